"""NetvisorClient: the transport to Netvisor's XML API, and the one generic read over it.

What it takes care of, so callers never have to:

- signing (`auth.py`), with headers rebuilt for every attempt: a retry must carry a new
  transaction id and a fresh timestamp or Netvisor rejects it as REQUEST_NOT_UNIQUE;
- serialisation: Netvisor allows one request at a time per company ("overlapping calls cause
  various errors"), so every client in the process shares one lock per (base URL,
  organisation id), plus an optional minimum interval between request starts;
- retries with exponential backoff and jitter for transient failures only (TECHNICAL_ERROR,
  SYSTEM_MAINTENANCE, REQUEST_NOT_UNIQUE, HTTP 5xx, timeouts, connection errors, truncated
  bodies); configuration errors (AUTHENTICATION_FAILED, INVALID_DATA, SERVICE_ACCESS_ERROR,
  PERIOD_LOCK, DUPLICATE_DATA) fail at once;
- paging and batching, as each table's registry entry declares them (`endpoints.py`), run by
  one generic fetch (`paging.py`): list-then-detail with 500 keys per detail call (400 for
  products), the 500-row cap of salesinvoicelist.nv walked with `invoicesabovenetvisorkey`,
  vendor pages read from the `X-Netvisor-Pagination-*` response headers.

Query strings are built by plain `key=value` joining and sent exactly as signed, because the
MAC covers the URL as sent. Dates go out as `YYYY-MM-DD` and datetimes as
`YYYY-MM-DDTHH:MM:SS` in Helsinki local time (the time zone of Netvisor's change filters is
undocumented; Finnish local time is the plausible reading and matches the response timestamps).
Keys and MACs never reach logs or exception messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from netvisor_assets.netvisor import paging
from netvisor_assets.netvisor.auth import TRANSACTION_ID_HEADER, Credentials, build_headers
from netvisor_assets.netvisor.connection import ConnectionCheck, check_connection
from netvisor_assets.netvisor.endpoints import Endpoint, Param
from netvisor_assets.netvisor.errors import (
    DeadlineExceeded,
    MalformedResponse,
    NetvisorError,
    NetvisorUnavailable,
    SystemMaintenance,
    UnexpectedHttpStatus,
    UnexpectedValue,
)
from netvisor_assets.netvisor.gate import Gate, GateBusy, gate_for
from netvisor_assets.netvisor.query import build_query
from netvisor_assets.netvisor.stream import BodyReader, Watchdog
from netvisor_assets.netvisor.xml import (
    Envelope,
    RecordPath,
    body_reader,
    iter_records,
    parse_datetime,
)

if TYPE_CHECKING:
    from netvisor_assets.settings import NetvisorSettings

logger = logging.getLogger(__name__)

# Netvisor's Finnish integration guide asks for at least 360 s: big list responses are slow
# to produce. It is the deadline of the whole request, body included, not of one read.
TIMEOUT_SECONDS = 360.0
# After our side gave up on a request, Netvisor may still be working on it; the next request
# to the company waits this long so it does not collide ("simultaneous requests").
TIMEOUT_COOLDOWN_SECONDS = 30.0
# A response larger than this is refused (ResponseTooLarge) rather than parsed into memory.
MAX_RESPONSE_BYTES = 256 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 10.0
_TIMESTAMP = re.compile(rb"<TimeStamp>\s*([^<]+?)\s*</TimeStamp>", re.IGNORECASE)
_TIMESTAMP_WINDOW = 1024
T = TypeVar("T")
Record = dict[str, Any]


@dataclass(frozen=True)
class RawResponse:
    """One HTTP response whose envelope was checked (status OK, body well-formed)."""

    resource: str
    url: str
    status_code: int
    headers: httpx.Headers
    # The streamed body while it is parsed; bytes once a caller keeps it (`request()`).
    body: bytes | BodyReader
    transaction_id: str
    envelope: Envelope | None = None


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, NetvisorError) and exc.retryable


class NetvisorClient:
    """Synchronous client for one Netvisor company (see the module docstring for behaviour).

    Thread-safe: concurrent calls from several threads are serialised per company.
    """

    def __init__(
        self,
        base_url: str,
        sender: str,
        customer_id: str,
        customer_key: str,
        partner_id: str,
        partner_key: str,
        organisation_id: str,
        language: str = "EN",
        *,
        timeout: float = TIMEOUT_SECONDS,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        timeout_cooldown: float = TIMEOUT_COOLDOWN_SECONDS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        min_interval: float = 0.0,
        max_attempts: int = 6,
        backoff_initial: float = 0.5,
        backoff_max: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self._credentials = Credentials(
            sender=sender,
            customer_id=customer_id,
            customer_key=customer_key,
            partner_id=partner_id,
            partner_key=partner_key,
            organisation_id=organisation_id,
            language=language.upper(),
        )
        self._secrets = tuple(s for s in (customer_key, partner_key) if s)
        self.min_interval = min_interval
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.timeout = timeout
        self.timeout_cooldown = timeout_cooldown
        self.max_response_bytes = max_response_bytes
        self._http = httpx.Client(
            # Every phase gets the whole deadline; the body's deadline is enforced as it
            # arrives (BodyReader) and by a watchdog that cuts a stalled read.
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
        )
        self._gate: Gate = gate_for(organisation_id)
        self._count_lock = threading.Lock()
        self._requests_made = 0
        # Records per day of a resource, where the warehouse already knows (see `planning`).
        self.known_density: dict[str, float] = {}
        self._server_time: dt.datetime | None = None

    @classmethod
    def from_settings(cls, settings: NetvisorSettings, **kw: Any) -> NetvisorClient:
        return cls(
            settings.base_url,
            settings.sender,
            settings.customer_id,
            settings.customer_key,
            settings.partner_id,
            settings.partner_key,
            settings.organisation_id,
            settings.language,
            **kw,
        )

    def __repr__(self) -> str:
        return f"NetvisorClient({self.base_url!r}, {self._credentials!r})"

    @property
    def organisation_id(self) -> str:
        return self._credentials.organisation_id

    @property
    def requests_made(self) -> int:
        """HTTP requests sent by this client, retries included."""
        return self._requests_made

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NetvisorClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- transport

    def build_url(self, resource: str, params: Mapping[str, Param] | None = None) -> str:
        """The exact URL that is sent and signed."""
        name = resource.strip("/")
        if not name.lower().endswith(".nv"):
            name += ".nv"
        query = build_query(params)
        url = f"{self.base_url}/{name}" + (f"?{query}" if query else "")
        # Sign what httpx will put on the wire, not what we meant to send.
        return str(httpx.URL(url))

    def request(
        self,
        resource: str,
        params: Mapping[str, Param] | None = None,
        *,
        max_attempts: int | None = None,
    ) -> RawResponse:
        """One GET, retried on transient failures; the body is checked to be a complete OK
        envelope before it is returned."""

        def parse(raw: RawResponse) -> RawResponse:
            # Small, irregular responses are kept whole (bounded by the size cap), decoded.
            body = body_reader(raw.body, raw.resource).read_all()
            envelopes: list[Envelope] = []
            for _ in iter_records(body, (), resource=raw.resource, envelope_out=envelopes):
                pass  # pragma: no cover - no paths requested
            return RawResponse(
                raw.resource,
                raw.url,
                raw.status_code,
                raw.headers,
                body,
                raw.transaction_id,
                envelopes[0],
            )

        return self._call(resource, params, parse, max_attempts=max_attempts)

    def _fetch(
        self,
        resource: str,
        params: Mapping[str, Param] | None,
        paths: Sequence[RecordPath],
    ) -> tuple[list[Record], RawResponse]:
        """Records of one request; the whole response is parsed inside the retry loop, so a
        body cut off mid-way is fetched again instead of yielding a partial list."""

        def parse(raw: RawResponse) -> tuple[list[Record], RawResponse]:
            return list(iter_records(raw.body, paths, resource=raw.resource)), raw

        return self._call(resource, params, parse)

    def _call(
        self,
        resource: str,
        params: Mapping[str, Param] | None,
        parse: Callable[[RawResponse], T],
        *,
        max_attempts: int | None = None,
    ) -> T:
        url = self.build_url(resource, params)
        name = url.split("?", 1)[0].rsplit("/", 1)[-1].lower()
        attempts = max_attempts or self.max_attempts
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                number = attempt.retry_state.attempt_number
                return self._send(name, url, number, attempts, parse)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, SystemMaintenance):
            # Maintenance lasts minutes, not seconds: wait the longest allowed pause.
            return self.backoff_max
        base = wait_exponential_jitter(
            initial=self.backoff_initial, max=self.backoff_max, jitter=self.backoff_initial
        )
        return min(self.backoff_max, base(state))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "Netvisor request failed (attempt %d), retrying in %.1f s: %s",
            state.attempt_number,
            wait,
            exc,
        )

    def _send(
        self,
        resource: str,
        url: str,
        attempt: int,
        attempts: int,
        parse: Callable[[RawResponse], T],
    ) -> T:
        """One attempt: hold the company's gate while the body arrives, release, `parse` it.

        The gate is held until the last byte has arrived (the request is in flight until then),
        and never longer than the deadline: a watchdog shuts the socket when it passes, so a
        body trickling a byte a second is cut at the deadline instead of holding the company.
        The parse comes after, outside the gate: another thread's request (the next detail
        batch, the next window) waits on Netvisor meanwhile. A body that does not parse fails
        this attempt as before, so the retry fetches it again.
        """
        try:
            turn = self._gate.turn(self.min_interval, wait_limit=self.timeout * 2)
            with turn as gate:
                headers = build_headers(url, self._credentials)
                transaction_id = headers[TRANSACTION_ID_HEADER]
                with self._count_lock:
                    self._requests_made += 1
                started = time.monotonic()
                deadline = started + self.timeout
                try:
                    raw = self._receive(resource, url, headers, deadline, started)
                except DeadlineExceeded:
                    gate.cool_down(self.timeout_cooldown)
                    logger.debug(
                        "netvisor %s tx=%s attempt=%d deadline", resource, transaction_id, attempt
                    )
                    raise
                except httpx.TransportError as exc:
                    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
                        # The request reached Netvisor, which may still be working on it.
                        gate.cool_down(self.timeout_cooldown)
                    logger.debug(
                        "netvisor %s tx=%s attempt=%d failed: %s",
                        resource,
                        transaction_id,
                        attempt,
                        type(exc).__name__,
                    )
                    retryable = not isinstance(exc, httpx.UnsupportedProtocol)
                    raise NetvisorUnavailable(
                        self._redact(
                            f"no response from {httpx.URL(url).host} (attempt {attempt} of "
                            f"{attempts}): {type(exc).__name__}: {exc}"
                        ),
                        resource=resource,
                        retryable=retryable,
                    ) from None
        except GateBusy as exc:
            raise NetvisorUnavailable(str(exc), resource=resource, retryable=True) from None
        return self._parse(raw, parse)

    def _receive(
        self,
        resource: str,
        url: str,
        headers: Mapping[str, str],
        deadline: float,
        started: float,
    ) -> RawResponse:
        with self._http.stream("GET", url, headers=headers) as response:
            watchdog = Watchdog(response, deadline)
            reader = BodyReader(
                response.iter_bytes(),
                resource=resource,
                deadline=deadline,
                max_bytes=self.max_response_bytes,
                timeout=self.timeout,
            )
            try:
                body = reader.received()
            except (httpx.TransportError, NetvisorError):
                if watchdog.fired:
                    raise reader._late() from None
                raise
            finally:
                watchdog.cancel()
            logger.debug(
                "netvisor %s tx=%s http=%d bytes=%d %.0f ms",
                resource,
                headers[TRANSACTION_ID_HEADER],
                response.status_code,
                reader.bytes_read,
                (time.monotonic() - started) * 1000,
            )
            return RawResponse(
                resource=resource,
                url=url,
                status_code=response.status_code,
                headers=response.headers,
                body=body,
                transaction_id=headers[TRANSACTION_ID_HEADER],
            )

    def _parse(self, raw: RawResponse, parse: Callable[[RawResponse], T]) -> T:
        """Map a response to a result or an exception, reading the XML for every status."""
        try:
            result = parse(raw)
        except UnexpectedValue as exc:
            self._log_outcome(raw, "MALFORMED_VALUE")
            raise self._cleaned(exc) from None
        except MalformedResponse as exc:
            self._log_outcome(raw, "MALFORMED")
            if raw.status_code >= 400:
                # No Netvisor envelope: a proxy or server error page. 5xx is transient.
                raise UnexpectedHttpStatus(
                    f"HTTP {raw.status_code} without a Netvisor error body ({exc.message})",
                    resource=raw.resource,
                    retryable=raw.status_code >= 500,
                ) from None
            raise self._cleaned(exc) from None
        except NetvisorError as exc:
            self._log_outcome(raw, exc.code or type(exc).__name__)
            raise self._cleaned(exc) from None
        if raw.status_code >= 400:
            self._log_outcome(raw, "OK_WITH_HTTP_ERROR")
            raise UnexpectedHttpStatus(
                f"HTTP {raw.status_code} with an OK envelope",
                resource=raw.resource,
                retryable=raw.status_code >= 500,
            )
        self._log_outcome(raw, "OK")
        self._note_server_time(raw.body.prefix if isinstance(raw.body, BodyReader) else raw.body)
        return result

    def _note_server_time(self, body: bytes) -> None:
        # The envelope's TimeStamp sits in the first few hundred bytes; a regex avoids a second
        # parse. An unreadable stamp is ignored: it only informs change cursors.
        match = _TIMESTAMP.search(body[:_TIMESTAMP_WINDOW])
        if match:
            with contextlib.suppress(ValueError):
                self._server_time = parse_datetime(match.group(1).decode("ascii", "replace"))

    @property
    def server_time(self) -> dt.datetime | None:
        """Netvisor's clock (Helsinki) from the latest OK response, None before any.

        Change cursors use the server's clock rather than ours, so a skewed local clock can
        never make a change window skip updates.
        """
        return self._server_time

    def _log_outcome(self, raw: RawResponse, status: str) -> None:
        logger.debug("netvisor %s tx=%s status=%s", raw.resource, raw.transaction_id, status)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _cleaned(self, exc: NetvisorError) -> NetvisorError:
        # Netvisor's test environment echoes the hashed string in MAC failures; a server (or a
        # simulator) that did not mask the keys must not leak them into logs through us.
        exc.message = self._redact(exc.message)
        exc.args = (exc.message,)
        return exc

    # ------------------------------------------------------------------------- reading

    def fetch(self, endpoint: Endpoint, **filters: Any) -> list[Record]:
        """Records of any declared endpoint (`paging.fetch`): a date `window`, a change filter
        (`modified`, `changed_since`), `keys`, or everything; `params` add or override."""
        return paging.fetch(self, endpoint, **filters)

    def list_rows(self, endpoint: Endpoint, **filters: Any) -> list[Record]:
        """The endpoint's list rows only, every page of them (`paging.list_rows`)."""
        return paging.list_rows(self, endpoint, **filters)

    def details(
        self, endpoint: Endpoint, keys: Iterable[int | str], *, skip_vanished: bool = False
    ) -> list[Record]:
        """The endpoint's detail records for `keys`, in key batches."""
        return paging.details(self, endpoint, keys, skip_vanished=skip_vanished)

    def deleted(self, kind: str, since: dt.date | dt.datetime) -> list[Record]:
        """deleted<kind>.nv: keys deleted since `since` (Netvisor keeps 7 days of history).

        `kind` is a source's declared deletion kind. Roots other than vouchers and sales
        invoices/orders are assumed to follow the same `Deleted<Kind>/Deleted<Kind minus s>`
        pattern.
        """
        if not re.fullmatch(r"[a-z]+s", kind):
            raise ValueError(f"not a deletion kind: {kind!r}")
        root = f"deleted{kind}"
        return self._fetch(f"{root}.nv", {"deletedsince": since}, [(root, root[:-1])])[0]

    # ------------------------------------------------------------------------- setup

    def check_connection(self, attempts: int = 2) -> ConnectionCheck:
        """Ask customerlist.nv and explain the outcome for a person (`connection.py`)."""
        return check_connection(self, attempts)
