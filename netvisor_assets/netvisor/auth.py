"""Netvisor request signing (HMACSHA256 scheme).

Netvisor authenticates every request by a MAC over the URL and the authentication headers,
keyed with the two secret keys, which are never sent. The MAC covers the URL exactly as it is
put on the wire, so the caller must hash the same string it sends. The legacy SHA256 and MD5
schemes are being switched off by Netvisor and are deliberately not implemented.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass

# Netvisor's documentation asks for ISO-8859-15; it only matters for non-ASCII values (a
# Sender with ä/ö), where UTF-8 would give a different digest.
MAC_ENCODING = "iso-8859-15"
ALGORITHM = "HMACSHA256"

MAC_HEADER = "X-Netvisor-Authentication-MAC"
TRANSACTION_ID_HEADER = "X-Netvisor-Authentication-TransactionId"


@dataclass(frozen=True, repr=False)
class Credentials:
    """Everything needed to sign a request for one Netvisor company."""

    sender: str
    customer_id: str
    customer_key: str
    partner_id: str
    partner_key: str
    organisation_id: str
    language: str = "EN"

    def __repr__(self) -> str:
        # A repr ends up in logs and tracebacks: keys stay out of it.
        return (
            f"Credentials(sender={self.sender!r}, customer_id={self.customer_id!r}, "
            f"partner_id={self.partner_id!r}, organisation_id={self.organisation_id!r}, "
            f"language={self.language!r})"
        )

    __str__ = __repr__


def compute_mac(
    url: str,
    sender: str,
    customer_id: str,
    timestamp: str,
    language: str,
    organisation_id: str,
    transaction_id: str,
    timestamp_unix: str,
    customer_key: str,
    partner_key: str,
) -> str:
    """HMAC-SHA256 over the ten `&`-joined values, keyed `CustomerKey&PartnerKey`, lower hex.

    `timestamp` and `timestamp_unix` must be the exact header values: the server hashes the
    strings it received, not the instants they denote.
    """
    message = "&".join(
        [
            url,
            sender,
            customer_id,
            timestamp,
            language,
            organisation_id,
            transaction_id,
            timestamp_unix,
            customer_key,
            partner_key,
        ]
    )
    key = f"{customer_key}&{partner_key}"
    return hmac.new(
        key.encode(MAC_ENCODING), message.encode(MAC_ENCODING), hashlib.sha256
    ).hexdigest()


def format_timestamp(now: dt.datetime) -> str:
    """UTC `YYYY-MM-DD HH:MM:SS.fff`, the format of the Timestamp header."""
    utc = now.astimezone(dt.UTC) if now.tzinfo else now
    return utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


def new_transaction_id() -> str:
    """A fresh id per attempt: Netvisor rejects a reused one with REQUEST_NOT_UNIQUE."""
    return uuid.uuid4().hex


def build_headers(
    url: str,
    credentials: Credentials,
    *,
    now: dt.datetime | None = None,
    transaction_id: str | None = None,
) -> dict[str, str]:
    """All authentication headers for one request to `url` (full URL incl. query string).

    Call it immediately before sending, once per attempt: the timestamp is checked by the
    server and the transaction id must never repeat.
    """
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    timestamp = format_timestamp(moment)
    timestamp_unix = str(int(moment.timestamp()))
    tx_id = transaction_id if transaction_id is not None else new_transaction_id()
    mac = compute_mac(
        url,
        credentials.sender,
        credentials.customer_id,
        timestamp,
        credentials.language,
        credentials.organisation_id,
        tx_id,
        timestamp_unix,
        credentials.customer_key,
        credentials.partner_key,
    )
    return {
        "X-Netvisor-Authentication-Sender": credentials.sender,
        "X-Netvisor-Authentication-CustomerId": credentials.customer_id,
        "X-Netvisor-Authentication-PartnerId": credentials.partner_id,
        "X-Netvisor-Authentication-Timestamp": timestamp,
        "X-Netvisor-Authentication-TimestampUnix": timestamp_unix,
        TRANSACTION_ID_HEADER: tx_id,
        "X-Netvisor-Interface-Language": credentials.language,
        "X-Netvisor-Organisation-ID": credentials.organisation_id,
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": ALGORITHM,
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
        MAC_HEADER: mac,
    }
