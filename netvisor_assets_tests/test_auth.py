"""Contract: requests are signed exactly as Netvisor's HMACSHA256 scheme (reference §2.2-2.3).

The MAC is HMAC-SHA256 over ten `&`-joined values (URL with query string, Sender, CustomerId,
Timestamp, Language, OrganisationId, TransactionId, TimestampUnix, CustomerKey, PartnerKey),
keyed `CustomerKey&PartnerKey`, encoded ISO-8859-15, lower-case hex. Every call builds all
headers of §2.2 with a fresh transaction id, and keys never appear in a repr.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from netvisor_assets.netvisor.auth import (
    MAC_HEADER,
    TRANSACTION_ID_HEADER,
    Credentials,
    build_headers,
    compute_mac,
    format_timestamp,
)

WORKED = {
    "url": "https://isvapi.netvisor.fi/salesinvoicelist.nv?invoicesabovenetvisorkey=0",
    "sender": "Kaivo sync",
    "customer_id": "TK_12345_1",
    "timestamp": "2024-01-01 12:00:00.000",
    "language": "FI",
    "organisation_id": "1967543-8",
    "transaction_id": "0123456789abcdef0123456789abcdef",
    "timestamp_unix": "1704110400",
    "customer_key": "7cd680e89e880553358bc07cd28b0ee2",
    "partner_key": "07f94228d149a96b2f25e3edad55096e",
}


def test_worked_example_from_reference():
    assert compute_mac(**WORKED) == (
        "7073008b0765a305fa71096e77ffcd94fad742969a7dcbaf8186df0477fbf505"
    )


@pytest.mark.parametrize(
    ("sender", "prefix", "suffix"),
    [
        # ISO-8859-15, the encoding Netvisor documents; UTF-8 would give 087f9515...3902fcf3.
        ("Myyntiä Oy", "a302ea4e", "636440"),
    ],
)
def test_non_ascii_sender_is_hashed_as_iso_8859_15(sender, prefix, suffix):
    mac = compute_mac(**{**WORKED, "sender": sender})
    assert mac.startswith(prefix) and mac.endswith(suffix)
    assert not mac.startswith("087f9515")


@pytest.mark.parametrize(
    "field",
    [
        "url",
        "sender",
        "customer_id",
        "timestamp",
        "language",
        "organisation_id",
        "transaction_id",
        "timestamp_unix",
        "customer_key",
        "partner_key",
    ],
)
def test_every_input_changes_the_mac(field):
    assert compute_mac(**{**WORKED, field: WORKED[field] + "x"}) != compute_mac(**WORKED)


CREDS = Credentials(
    sender="Kaivo sync",
    customer_id="TK_12345_1",
    customer_key="7cd680e89e880553358bc07cd28b0ee2",
    partner_id="PARTNER_1",
    partner_key="07f94228d149a96b2f25e3edad55096e",
    organisation_id="1967543-8",
    language="FI",
)


def test_build_headers_reproduces_worked_example():
    headers = build_headers(
        WORKED["url"],
        CREDS,
        now=dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC),
        transaction_id=WORKED["transaction_id"],
    )
    assert headers == {
        "X-Netvisor-Authentication-Sender": "Kaivo sync",
        "X-Netvisor-Authentication-CustomerId": "TK_12345_1",
        "X-Netvisor-Authentication-PartnerId": "PARTNER_1",
        "X-Netvisor-Authentication-Timestamp": "2024-01-01 12:00:00.000",
        "X-Netvisor-Authentication-TimestampUnix": "1704110400",
        "X-Netvisor-Authentication-TransactionId": "0123456789abcdef0123456789abcdef",
        "X-Netvisor-Interface-Language": "FI",
        "X-Netvisor-Organisation-ID": "1967543-8",
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": "HMACSHA256",
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
        "X-Netvisor-Authentication-MAC": (
            "7073008b0765a305fa71096e77ffcd94fad742969a7dcbaf8186df0477fbf505"
        ),
    }
    assert CREDS.customer_key not in str(headers) and CREDS.partner_key not in str(headers)


def test_fresh_headers_per_call():
    first = build_headers(WORKED["url"], CREDS)
    second = build_headers(WORKED["url"], CREDS)
    assert re.fullmatch(r"[0-9a-f]{32}", first[TRANSACTION_ID_HEADER])
    assert first[TRANSACTION_ID_HEADER] != second[TRANSACTION_ID_HEADER]
    assert first[MAC_HEADER] != second[MAC_HEADER]
    assert re.fullmatch(
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}",
        first["X-Netvisor-Authentication-Timestamp"],
    )
    unix = int(first["X-Netvisor-Authentication-TimestampUnix"])
    assert abs(unix - dt.datetime.now(dt.UTC).timestamp()) < 60


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC), "2024-01-01 12:00:00.000"),
        (dt.datetime(2024, 6, 5, 13, 12, 6, 987654, tzinfo=dt.UTC), "2024-06-05 13:12:06.987"),
        # Local time is converted: the header is UTC.
        (
            dt.datetime(2024, 6, 5, 16, 12, 6, tzinfo=dt.timezone(dt.timedelta(hours=3))),
            "2024-06-05 13:12:06.000",
        ),
    ],
)
def test_timestamp_format(moment, expected):
    assert format_timestamp(moment) == expected


def test_credentials_repr_hides_keys():
    text = repr(CREDS) + str(CREDS)
    assert CREDS.customer_key not in text and CREDS.partner_key not in text
    assert "TK_12345_1" in text
