"""Settings contract: every NETVISOR_* variable validated with one clear line; demo fallback."""

from __future__ import annotations

import datetime as dt

import pytest

from netvisor_assets.settings import (
    DEMO_CUSTOMER_KEY,
    DEMO_ORGANISATION_ID,
    NetvisorSettings,
    SettingsError,
    validate_y_tunnus,
    y_tunnus_check_digit,
)

REAL = {
    "NETVISOR_BASE_URL": "https://isvapi.netvisor.fi",
    "NETVISOR_CUSTOMER_ID": "TK_12345_1",
    "NETVISOR_CUSTOMER_KEY": "7cd680e89e880553358bc07cd28b0ee2",
    "NETVISOR_PARTNER_ID": "PART_1",
    "NETVISOR_PARTNER_KEY": "07f94228d149a96b2f25e3edad55096e",
    "NETVISOR_ORGANISATION_ID": "1967543-8",
    "NETVISOR_LEDGER_START_DATE": "2021-01-01",
}


@pytest.mark.parametrize(
    ("y_tunnus", "valid"),
    [
        ("1967543-8", True),
        ("0737546-2", True),  # Nokia Oyj
        ("1572860-0", True),
        ("1967543-7", False),
        ("196754-38", False),
        ("1967543", False),
        ("abcdefg-h", False),
    ],
)
def test_y_tunnus(y_tunnus: str, valid: bool) -> None:
    assert (validate_y_tunnus(y_tunnus) is None) is valid


def test_check_digit_remainder_one_is_never_issued() -> None:
    seven = next(f"{n:07d}" for n in range(10_000_000) if y_tunnus_check_digit(f"{n:07d}") is None)
    weights = (7, 9, 10, 5, 8, 4, 2)
    assert sum(int(d) * w for d, w in zip(seven, weights, strict=True)) % 11 == 1


def test_demo_defaults_when_no_credentials() -> None:
    s = NetvisorSettings.from_env({})
    assert s.is_demo
    assert s.organisation_id == DEMO_ORGANISATION_ID
    assert s.language == "EN"
    assert s.ledger_start_date == dt.date(2025, 1, 1)


def test_real_settings_parse() -> None:
    s = NetvisorSettings.from_env(REAL)
    assert not s.is_demo
    assert s.base_url == "https://isvapi.netvisor.fi"
    assert s.ledger_start_date == dt.date(2021, 1, 1)


def test_every_error_reported_on_its_own_line() -> None:
    env = {
        **REAL,
        "NETVISOR_ORGANISATION_ID": "1967543-7",
        "NETVISOR_LANGUAGE": "SV",
        "NETVISOR_LEDGER_START_DATE": "1.1.2021",
        "NETVISOR_PARTNER_KEY": "",
    }
    with pytest.raises(SettingsError) as info:
        NetvisorSettings.from_env(env)
    lines = str(info.value).splitlines()[1:]
    assert [line.split(":", 1)[0] for line in lines] == [
        "NETVISOR_PARTNER_KEY",
        "NETVISOR_ORGANISATION_ID",
        "NETVISOR_LANGUAGE",
        "NETVISOR_LEDGER_START_DATE",
    ]


def test_keys_never_in_repr_or_errors() -> None:
    s = NetvisorSettings.from_env(REAL)
    assert REAL["NETVISOR_CUSTOMER_KEY"] not in repr(s)
    assert REAL["NETVISOR_PARTNER_KEY"] not in str(s)
    assert DEMO_CUSTOMER_KEY not in repr(NetvisorSettings.from_env({}))
    with pytest.raises(SettingsError) as info:
        NetvisorSettings.from_env({**REAL, "NETVISOR_LANGUAGE": "XX"})
    assert REAL["NETVISOR_CUSTOMER_KEY"] not in str(info.value)
