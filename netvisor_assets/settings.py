"""Load-time settings, read from environment variables and validated once.

Every setting has exactly one environment variable. Errors are collected and reported together,
one line per variable, so a user fixing a deployment sees everything wrong at once. With no
`NETVISOR_*` credentials set, the documented demo credentials are used: they are the ones the
bundled simulator accepts, so `dagster dev` works out of the box.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

HELSINKI = "Europe/Helsinki"

# The simulator accepts these when no NETVISOR_* credentials are set. They are not secrets:
# they only open the local simulator, never a real Netvisor environment.
DEMO_BASE_URL = "http://127.0.0.1:8765"
DEMO_SENDER = "netvisor_assets"
DEMO_CUSTOMER_ID = "DEMO_CUSTOMER"
DEMO_CUSTOMER_KEY = "demo-customer-key"
DEMO_PARTNER_ID = "DEMO_PARTNER"
DEMO_PARTNER_KEY = "demo-partner-key"
DEMO_ORGANISATION_ID = "1967543-8"
# The simulated company's books open on this date; a fixed date keeps the demo deterministic.
DEMO_LEDGER_START_DATE = "2025-01-01"

LANGUAGES = ("EN", "FI", "SE")

ENV_VARS = {
    "base_url": "NETVISOR_BASE_URL",
    "sender": "NETVISOR_SENDER",
    "customer_id": "NETVISOR_CUSTOMER_ID",
    "customer_key": "NETVISOR_CUSTOMER_KEY",
    "partner_id": "NETVISOR_PARTNER_ID",
    "partner_key": "NETVISOR_PARTNER_KEY",
    "organisation_id": "NETVISOR_ORGANISATION_ID",
    "language": "NETVISOR_LANGUAGE",
    "ledger_start_date": "NETVISOR_LEDGER_START_DATE",
    "timeout_seconds": "NETVISOR_TIMEOUT_SECONDS",
    "max_response_mb": "NETVISOR_MAX_RESPONSE_MB",
}

DEMO_VALUES = {
    "base_url": DEMO_BASE_URL,
    "sender": DEMO_SENDER,
    "customer_id": DEMO_CUSTOMER_ID,
    "customer_key": DEMO_CUSTOMER_KEY,
    "partner_id": DEMO_PARTNER_ID,
    "partner_key": DEMO_PARTNER_KEY,
    "organisation_id": DEMO_ORGANISATION_ID,
    "language": "EN",
    "ledger_start_date": DEMO_LEDGER_START_DATE,
    "timeout_seconds": "",
    "max_response_mb": "",
}

# Netvisor's integration guide asks clients to wait at least 360 s for a response: large list
# responses are produced slowly. The deadline covers the whole request, body included.
DEFAULT_TIMEOUT_SECONDS = 360.0
# A larger response is refused with a typed error instead of being parsed into memory.
DEFAULT_MAX_RESPONSE_MB = 256

# Credentials come as a set: mixing demo values with a real key would sign requests that no
# Netvisor environment accepts, so a partial set is an error rather than a silent demo fallback.
CREDENTIAL_FIELDS = ("customer_id", "customer_key", "partner_id", "partner_key", "organisation_id")

_Y_TUNNUS = re.compile(r"^(\d{7})-(\d)$")
_Y_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


class SettingsError(ValueError):
    """Raised with one line per invalid environment variable."""


def today_in_helsinki() -> dt.date:
    """Netvisor's calendar day: documents are dated in Finnish local time."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(HELSINKI)).date()


def load_dotenv_file(path: str | os.PathLike[str] | None = None) -> str | None:
    """Read `.env` (next to workspace.yaml, i.e. the working directory) like `dagster dev` does.

    Variables already set in the environment win, as in `dagster dev`. Returns the file read.
    """
    from dotenv import load_dotenv

    candidate = os.path.join(os.getcwd(), ".env") if path is None else os.fspath(path)
    if not os.path.isfile(candidate):
        return None
    load_dotenv(candidate, override=False)
    return candidate


def y_tunnus_check_digit(first_seven: str) -> int | None:
    """Check digit of a Finnish business id (Y-tunnus); None where no valid id exists.

    Weights 7,9,10,5,8,4,2, sum modulo 11: remainder 0 gives 0, remainder 1 is never issued,
    otherwise 11 minus the remainder.
    """
    remainder = sum(int(d) * w for d, w in zip(first_seven, _Y_WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def validate_y_tunnus(value: str) -> str | None:
    """Return an error message for an invalid Y-tunnus, or None when it is valid."""
    match = _Y_TUNNUS.match(value)
    if not match:
        return "must look like 1234567-8 (seven digits, hyphen, check digit)"
    expected = y_tunnus_check_digit(match.group(1))
    if expected is None or expected != int(match.group(2)):
        return "check digit does not match: this is not a valid Y-tunnus"
    return None


@dataclass(frozen=True)
class NetvisorSettings:
    """Connection and sync settings for one Netvisor company."""

    base_url: str
    sender: str
    customer_id: str
    customer_key: str
    partner_id: str
    partner_key: str
    organisation_id: str
    language: str
    ledger_start_date: dt.date
    is_demo: bool
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_response_mb: int = DEFAULT_MAX_RESPONSE_MB

    def __repr__(self) -> str:
        # Keys never appear in logs or exception messages, also not through a repr.
        return (
            f"NetvisorSettings(base_url={self.base_url!r}, customer_id={self.customer_id!r}, "
            f"organisation_id={self.organisation_id!r}, language={self.language!r}, "
            f"ledger_start_date={self.ledger_start_date.isoformat()!r}, is_demo={self.is_demo})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NetvisorSettings:
        """Read and validate every `NETVISOR_*` variable; raise SettingsError listing all errors.

        One variable after the other, collecting every error before raising, so a person fixes
        a `.env` in one go: splitting it would scatter that list.
        """
        env = os.environ if environ is None else environ
        raw = {field: (env.get(var) or "").strip() for field, var in ENV_VARS.items()}
        given_credentials = [f for f in CREDENTIAL_FIELDS if raw[f]]
        is_demo = not given_credentials
        errors: list[str] = []
        if not is_demo:
            for field in CREDENTIAL_FIELDS:
                if not raw[field]:
                    errors.append(
                        f"{ENV_VARS[field]}: missing; set all of "
                        + ", ".join(ENV_VARS[f] for f in CREDENTIAL_FIELDS)
                        + " (or none of them to use the local simulator's demo company)"
                    )
        values = {
            field: raw[field]
            or (DEMO_VALUES[field] if is_demo or field not in CREDENTIAL_FIELDS else "")
            for field in ENV_VARS
        }
        if not raw["base_url"] and not is_demo:
            errors.append(
                "NETVISOR_BASE_URL: missing; use https://integration.netvisor.fi for production "
                "or https://isvapi.netvisor.fi for Netvisor's test environment"
            )
        if not raw["sender"]:
            values["sender"] = DEMO_SENDER
        base_url = values["base_url"].rstrip("/")
        if base_url and not re.match(r"^https?://[^\s/]+", base_url):
            errors.append(f"NETVISOR_BASE_URL: {base_url!r} is not an http(s) URL")
        if values["organisation_id"]:
            problem = validate_y_tunnus(values["organisation_id"])
            if problem:
                errors.append(f"NETVISOR_ORGANISATION_ID: {values['organisation_id']!r} {problem}")
        language = values["language"].upper()
        if language not in LANGUAGES:
            errors.append(f"NETVISOR_LANGUAGE: {values['language']!r} must be one of EN, FI, SE")
        if not values["sender"].isascii():
            # The sender is part of the MAC; non-ASCII letters hash differently per encoding.
            errors.append("NETVISOR_SENDER: use ASCII characters only (it is part of the MAC)")
        start: dt.date | None = None
        if not is_demo and not raw["ledger_start_date"]:
            # The demo company's books open on a fixed date; a real company's do not, and a
            # silent default would either miss history or ask Netvisor for years of nothing.
            errors.append(
                "NETVISOR_LEDGER_START_DATE: missing; set the first day to sync (YYYY-MM-DD), "
                "e.g. the first day of the oldest financial year you report on"
            )
        else:
            try:
                start = dt.date.fromisoformat(values["ledger_start_date"])
            except ValueError:
                errors.append(
                    f"NETVISOR_LEDGER_START_DATE: {values['ledger_start_date']!r} is not an ISO "
                    "date (YYYY-MM-DD); any data before this date will not be fetched"
                )
            else:
                if start > today_in_helsinki():
                    errors.append(
                        f"NETVISOR_LEDGER_START_DATE: {start.isoformat()} is in the future; "
                        "there is nothing to sync before that day"
                    )
        timeout = DEFAULT_TIMEOUT_SECONDS
        if raw["timeout_seconds"]:
            try:
                timeout = float(raw["timeout_seconds"])
            except ValueError:
                timeout = -1.0
            if not 1.0 <= timeout <= 3600.0 or timeout != timeout:
                errors.append(
                    f"NETVISOR_TIMEOUT_SECONDS: {raw['timeout_seconds']!r} must be a number of "
                    f"seconds between 1 and 3600 (default {DEFAULT_TIMEOUT_SECONDS:.0f})"
                )
        max_mb = DEFAULT_MAX_RESPONSE_MB
        if raw["max_response_mb"]:
            if raw["max_response_mb"].isdigit() and 1 <= int(raw["max_response_mb"]) <= 4096:
                max_mb = int(raw["max_response_mb"])
            else:
                errors.append(
                    f"NETVISOR_MAX_RESPONSE_MB: {raw['max_response_mb']!r} must be a whole "
                    f"number of megabytes between 1 and 4096 (default {DEFAULT_MAX_RESPONSE_MB})"
                )
        if errors:
            raise SettingsError("Invalid Netvisor settings:\n" + "\n".join(errors))
        assert start is not None
        return cls(
            base_url=base_url,
            sender=values["sender"],
            customer_id=values["customer_id"],
            customer_key=values["customer_key"],
            partner_id=values["partner_id"],
            partner_key=values["partner_key"],
            organisation_id=values["organisation_id"],
            language=language,
            ledger_start_date=start,
            is_demo=is_demo,
            timeout_seconds=timeout,
            max_response_mb=max_mb,
        )
