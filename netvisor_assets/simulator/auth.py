"""Netvisor's request authentication, checked the way the real service checks it.

The simulator exists so that a client passing against it passes against Netvisor, so every
rule here is the server side of reference section 2 (`/work/shared/netvisor-api.md`):

- every header of section 2.2 must be present (names case-insensitive, `Organisation-ID` and
  `Organisation-Id` alike, as HTTP headers are);
- only `HMACSHA256` is accepted: Netvisor announced that the legacy `SHA256` and `MD5` schemes
  are switched off in 2025, and a new client must not depend on them;
- the MAC is recomputed over the URL *as received* (scheme, Host header, raw path and raw query
  bytes, never a re-encoded copy) plus the header values and both keys, all encoded as
  ISO-8859-15. A client that hashes a differently encoded URL than it sends fails here exactly
  as it would against Netvisor;
- an unknown partner id or customer id, a foreign organisation id, or a `TimestampUnix` more
  than 300 s from the real clock is `AUTHENTICATION_FAILED`;
- a transaction id seen before (scope: the partner id, as the research notes say) is
  `REQUEST_NOT_UNIQUE`.

Assumptions where the reference says [unverified]:
- allowed clock skew 300 s (the reference's suggestion);
- transaction ids are remembered for `txid_retention` seconds (default one hour). A reused id
  is only possible with a fresh timestamp, and Netvisor's real retention is unknown; a bound
  keeps a long benchmark from growing memory without limit;
- HTTP status codes with `UseHTTPResponseStatusCodes: 1`: 401 for AUTHENTICATION_FAILED, 400
  for REQUEST_NOT_UNIQUE (a client error, fixed by a new id); without the header, 200 as in
  the historic behaviour;
- on a MAC mismatch the message echoes the string that was hashed with both keys masked as
  `YOUR_PRIVATE_KEY_HERE`, like Netvisor's test environment, but NOT the expected hash: the
  Host header is chosen by the caller, so echoing the expected MAC would turn a simulator
  started with real credentials into a signing oracle for real Netvisor requests.

Keys never leave this module: not in responses, not in logs, not in a repr.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from netvisor_assets import settings

ALGORITHM = "HMACSHA256"
LEGACY_ALGORITHMS = frozenset({"SHA256", "MD5"})
MAX_CLOCK_SKEW_SECONDS = 300
MASKED_KEY = "YOUR_PRIVATE_KEY_HERE"
ENCODING = "iso-8859-15"

H_SENDER = "x-netvisor-authentication-sender"
H_CUSTOMER_ID = "x-netvisor-authentication-customerid"
H_PARTNER_ID = "x-netvisor-authentication-partnerid"
H_TIMESTAMP = "x-netvisor-authentication-timestamp"
H_TIMESTAMP_UNIX = "x-netvisor-authentication-timestampunix"
H_TRANSACTION_ID = "x-netvisor-authentication-transactionid"
H_LANGUAGE = "x-netvisor-interface-language"
H_ORGANISATION_ID = "x-netvisor-organisation-id"
H_ALGORITHM = "x-netvisor-authentication-machashcalculationalgorithm"
H_USE_STATUS_CODES = "x-netvisor-authentication-usehttpresponsestatuscodes"
H_MAC = "x-netvisor-authentication-mac"

# Section 2.2, in the order a reader of the reference expects them.
REQUIRED_HEADERS = (
    H_SENDER,
    H_CUSTOMER_ID,
    H_PARTNER_ID,
    H_TIMESTAMP,
    H_TIMESTAMP_UNIX,
    H_TRANSACTION_ID,
    H_LANGUAGE,
    H_ORGANISATION_ID,
    H_ALGORITHM,
    H_USE_STATUS_CODES,
    H_MAC,
)
LANGUAGES = ("FI", "EN", "SE")

_PARTNER_NOT_FOUND = {
    "FI": "Integraatiokumppania ei löydy, katso dokumentaatio",
    "EN": "Integration partner not found, see the documentation",
    "SE": "Integrationspartnern hittades inte, se dokumentationen",
}


@dataclass(frozen=True)
class Credentials:
    """The one API user, partner and company the simulator accepts."""

    customer_id: str
    customer_key: str
    partner_id: str
    partner_key: str
    organisation_id: str

    def __repr__(self) -> str:
        # The keys are MAC secrets; a repr ends up in logs and tracebacks.
        return (
            f"Credentials(customer_id={self.customer_id!r}, partner_id={self.partner_id!r}, "
            f"organisation_id={self.organisation_id!r}, keys=***)"
        )

    __str__ = __repr__

    @classmethod
    def demo(cls) -> Credentials:
        """The documented demo credentials: what the client uses with no NETVISOR_* set."""
        return cls(
            customer_id=settings.DEMO_CUSTOMER_ID,
            customer_key=settings.DEMO_CUSTOMER_KEY,
            partner_id=settings.DEMO_PARTNER_ID,
            partner_key=settings.DEMO_PARTNER_KEY,
            organisation_id=settings.DEMO_ORGANISATION_ID,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Credentials named by the client's environment variables, or the demo set.

        Same all-or-none rule as `settings.NetvisorSettings`: a partial set would make the
        simulator accept credentials the client cannot have, so it is an error.
        """
        env = os.environ if environ is None else environ
        fields_ = settings.CREDENTIAL_FIELDS
        raw = {f: (env.get(settings.ENV_VARS[f]) or "").strip() for f in fields_}
        if not any(raw.values()):
            return cls.demo()
        missing = [settings.ENV_VARS[f] for f in fields_ if not raw[f]]
        if missing:
            raise ValueError(
                "Simulator credentials: set all of "
                + ", ".join(settings.ENV_VARS[f] for f in fields_)
                + " or none of them; missing: "
                + ", ".join(missing)
            )
        return cls(**raw)


class ApiError(Exception):
    """A Netvisor `FAILED` response: error code, message and the HTTP status to use."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code} :: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class AuthContext:
    """What a successful check learned about the request."""

    organisation_id: str
    transaction_id: str
    language: str
    use_status_codes: bool


def mac_message(
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
    """The ten `&`-joined values of section 2.3, in Netvisor's order."""
    return "&".join(
        (
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
        )
    )


def compute_mac(message: str, customer_key: str, partner_key: str) -> str:
    """HMAC-SHA256 of `message` keyed by `customer_key&partner_key`, lower-case hex.

    Raises UnicodeEncodeError for characters outside ISO-8859-15, which Netvisor cannot
    have hashed either.
    """
    key = f"{customer_key}&{partner_key}".encode(ENCODING)
    return hmac.new(key, message.encode(ENCODING), hashlib.sha256).hexdigest()


def signed_headers(
    url: str,
    credentials: Credentials,
    *,
    sender: str = settings.DEMO_SENDER,
    language: str = "EN",
    transaction_id: str | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """Headers of a correctly signed request for `url` (used by tests and benchmarks).

    The URL must be byte-for-byte the one sent; build it yourself rather than letting the
    HTTP library re-encode the query.
    """
    stamp = time.time() if now is None else now
    ms = int(round(stamp * 1000)) % 1000
    timestamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(stamp)) + f".{ms:03d}"
    tx = transaction_id or uuid.uuid4().hex
    unix = str(int(stamp))
    message = mac_message(
        url,
        sender,
        credentials.customer_id,
        timestamp,
        language,
        credentials.organisation_id,
        tx,
        unix,
        credentials.customer_key,
        credentials.partner_key,
    )
    return {
        "X-Netvisor-Authentication-Sender": sender,
        "X-Netvisor-Authentication-CustomerId": credentials.customer_id,
        "X-Netvisor-Authentication-PartnerId": credentials.partner_id,
        "X-Netvisor-Authentication-Timestamp": timestamp,
        "X-Netvisor-Authentication-TimestampUnix": unix,
        "X-Netvisor-Authentication-TransactionId": tx,
        "X-Netvisor-Interface-Language": language,
        "X-Netvisor-Organisation-ID": credentials.organisation_id,
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": ALGORITHM,
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
        "X-Netvisor-Authentication-MAC": compute_mac(
            message, credentials.customer_key, credentials.partner_key
        ),
    }


def wants_status_codes(headers: Mapping[str, str]) -> bool:
    """Whether failures get non-2xx HTTP codes (the header opts in; otherwise 200)."""
    return (headers.get(H_USE_STATUS_CODES) or "").strip() == "1"


@dataclass
class Authenticator:
    """Checks one request's headers against the configured credentials.

    Thread-safe: the transaction-id memory is shared by all connections.
    """

    credentials: Credentials
    max_skew: int = MAX_CLOCK_SKEW_SECONDS
    txid_retention: float = 3600.0
    clock: Callable[[], float] = time.time
    _seen: OrderedDict[tuple[str, str], float] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, url: str, headers: Mapping[str, str]) -> AuthContext:
        """Return the request's context or raise ApiError exactly as Netvisor would."""
        status = 401 if wants_status_codes(headers) else 200
        language = (headers.get(H_LANGUAGE) or "EN").strip().upper()

        def fail(message: str) -> ApiError:
            return ApiError("AUTHENTICATION_FAILED", message, status)

        for name in REQUIRED_HEADERS:
            if not (headers.get(name) or "").strip():
                raise fail(f"Missing or empty header {_display(name)}")
        algorithm = headers[H_ALGORITHM].strip()
        if algorithm.upper() in LEGACY_ALGORITHMS:
            raise fail(
                f"MAC hash calculation algorithm {algorithm} is no longer supported, "
                f"use {ALGORITHM}"
            )
        if algorithm.upper() != ALGORITHM:
            raise fail(f"Unknown MAC hash calculation algorithm {algorithm}")
        if language not in LANGUAGES:
            raise fail(f"Unknown interface language {language}, use FI, EN or SE")
        creds = self.credentials
        if headers[H_PARTNER_ID] != creds.partner_id:
            raise fail(_PARTNER_NOT_FOUND.get(language, _PARTNER_NOT_FOUND["EN"]))
        if headers[H_CUSTOMER_ID] != creds.customer_id:
            raise fail(
                "Integration keys are not valid. Please check the keys specific to the user "
                "and partner."
            )
        if headers[H_ORGANISATION_ID].strip() != creds.organisation_id:
            raise fail(
                f"The user has no access to organisation {headers[H_ORGANISATION_ID].strip()}"
            )
        parts = [
            url,
            headers[H_SENDER],
            headers[H_CUSTOMER_ID],
            headers[H_TIMESTAMP],
            headers[H_LANGUAGE],
            headers[H_ORGANISATION_ID],
            headers[H_TRANSACTION_ID],
            headers[H_TIMESTAMP_UNIX],
        ]
        message = mac_message(*parts, creds.customer_key, creds.partner_key)
        try:
            expected = compute_mac(message, creds.customer_key, creds.partner_key)
        except UnicodeEncodeError as exc:
            raise fail("Request contains characters outside ISO-8859-15") from exc
        given = headers[H_MAC].strip().lower()
        if not hmac.compare_digest(expected, given):
            shown = mac_message(*parts, MASKED_KEY, MASKED_KEY)
            raise fail(f"Integration keys are not valid. Hashed string: {shown}")
        try:
            unix = int(headers[H_TIMESTAMP_UNIX].strip())
        except ValueError as exc:
            raise fail("TimestampUnix is not an integer") from exc
        now = self.clock()
        if abs(now - unix) > self.max_skew:
            raise fail(f"Request timestamp is more than {self.max_skew} seconds from server time")
        transaction_id = headers[H_TRANSACTION_ID]
        self._remember(creds.partner_id, transaction_id, now, status)
        return AuthContext(
            organisation_id=creds.organisation_id,
            transaction_id=transaction_id,
            language=language,
            use_status_codes=status == 401,
        )

    def _remember(self, partner_id: str, transaction_id: str, now: float, status: int) -> None:
        key = (partner_id, transaction_id)
        with self._lock:
            horizon = now - self.txid_retention
            while self._seen:
                oldest_key, seen_at = next(iter(self._seen.items()))
                if seen_at >= horizon:
                    break
                del self._seen[oldest_key]
            if key in self._seen:
                raise ApiError(
                    "REQUEST_NOT_UNIQUE",
                    f"Transaction id {transaction_id} has already been used",
                    400 if status == 401 else 200,
                )
            self._seen[key] = now


def _display(header: str) -> str:
    """Header name in the reference's spelling, for messages."""
    pieces = header.split("-")
    return "-".join(p.upper() if p in ("x", "id") else p.capitalize() for p in pieces)
