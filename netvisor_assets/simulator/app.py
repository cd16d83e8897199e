"""The simulator's ASGI app: Netvisor's `/<resource>.nv` endpoints plus `/_admin/`.

Request pipeline for a Netvisor resource, in the order Netvisor evidently applies it:
1. route: unknown resource -> HTTP 404 with a FAILED envelope (real behaviour unknown; the
   reference allows 404 or FAILED, the simulator gives both);
2. authentication (`auth.Authenticator`) over the URL exactly as received: scheme, the Host
   header, the raw path and the raw query bytes from the ASGI scope;
2b. access rights: a resource in `denied_resources` answers `SERVICE_ACCESS_ERROR`, what
   Netvisor answers an integration the company has not granted that interface resource
   (reference 2.1; HTTP 403 with status codes is an assumption, the mapping is unverified).
   Rights are checked only for authenticated requests and before faults, so a fault never
   hides a missing right;
3. one request in flight per organisation. Netvisor documents that overlapping calls "cause
   various errors" without naming them; the simulator answers the second request with
   `TECHNICAL_ERROR :: Simultaneous requests ...` and HTTP 503 (a retryable server-side
   refusal), which is what a client's serialisation must prevent;
4. seeded faults and latency (`faults.decide`), counted over authenticated requests;
5. the handler, run in a worker thread under the company lock, and the XML streamed in chunks.

Failures use Netvisor's envelope and, when the request sent
`X-Netvisor-Authentication-UseHTTPResponseStatusCodes: 1`, the HTTP status of the error
(401 auth, 400 data, 500 technical, 503 simultaneous); otherwise 200, the historic behaviour.

Admin endpoints (`/_admin/advance`, `/_admin/stats`, `/_admin/counts`) need no auth and answer
loopback clients only: they change the company, so nothing off the machine may call them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from netvisor_assets.simulator import handlers
from netvisor_assets.simulator.auth import ApiError, Authenticator, Credentials
from netvisor_assets.simulator.defects import Defects
from netvisor_assets.simulator.faults import Decision, FaultConfig, LatencyConfig, decide
from netvisor_assets.simulator.render import error_document, stream_document

log = logging.getLogger("netvisor_assets.simulator")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

XML_MEDIA_TYPE = "text/xml; charset=utf-8"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class ConnectionRegistry:
    """Peer address -> asyncio transport, filled by the server's protocol class.

    Lets the app abort a connection with a TCP reset, which ASGI itself cannot express.
    """

    def __init__(self) -> None:
        self._transports: dict[tuple[str, int], asyncio.BaseTransport] = {}
        self._lock = threading.Lock()

    def add(self, peer: tuple[str, int], transport: asyncio.BaseTransport) -> None:
        with self._lock:
            self._transports[peer] = transport

    def discard(self, peer: tuple[str, int]) -> None:
        with self._lock:
            self._transports.pop(peer, None)

    def reset(self, peer: tuple[str, int] | None) -> bool:
        """Abort the connection from `peer` with RST; False when it is not known."""
        if peer is None:
            return False
        with self._lock:
            transport = self._transports.get((peer[0], peer[1]))
        if transport is None:
            return False
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER 0: close() sends RST instead of FIN - a "connection reset by peer".
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()  # type: ignore[attr-defined]
        return True


class SimulatorApp:
    """ASGI app over one company; all state the admin endpoints report lives here."""

    def __init__(
        self,
        company: Any,
        credentials: Credentials | None = None,
        faults: FaultConfig | None = None,
        latency: LatencyConfig | None = None,
        *,
        connections: ConnectionRegistry | None = None,
        clock: Callable[[], float] = time.time,
        denied_resources: Iterable[str] = (),
        vendor_page_size: int | None = None,
    ) -> None:
        if vendor_page_size is not None and vendor_page_size < 1:
            raise ValueError("vendor_page_size must be at least 1")
        self.company = company
        self.denied_resources = denied_resource_names(denied_resources)
        self.vendor_page_size = vendor_page_size
        self.credentials = credentials or Credentials.demo()
        self.authenticator = Authenticator(self.credentials, clock=clock)
        self.faults = faults
        # Seeded data defects (tests of the checks); the ground truth never carries them.
        self.defects: Defects | None = None
        self.latency = latency
        self.connections = connections or ConnectionRegistry()
        self.company_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._sequence = 0
        self.requests_served = 0
        self.per_resource: Counter[str] = Counter()
        self.per_outcome: Counter[str] = Counter()
        self.faults_injected: Counter[str] = Counter()
        # Responses whose building took longer than their delay (see `_serve`).
        self.late_responses = 0

    # --- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - websockets are not served
            return
        path: str = scope.get("path", "")
        if path.startswith("/_admin/"):
            response = await self._admin(scope, path)
            await response(scope, receive, send)
            return
        await self._netvisor(scope, receive, send)

    # --- Netvisor resources -------------------------------------------------------------

    async def _netvisor(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        resource = handlers.resource_name(scope.get("path", ""))
        label = resource or "unknown"
        if resource is None:
            self._count(label, "NOT_FOUND")
            await _error(404, "INVALID_DATA", f"Resource not found: {scope.get('path')}")(
                scope, receive, send
            )
            return
        if scope.get("method") != "GET":
            self._count(label, "METHOD")
            await _error(405, "SERVICE_ACCESS_ERROR", "The simulator serves read resources only")(
                scope, receive, send
            )
            return
        url = _url_as_received(scope, headers)
        try:
            ctx = self.authenticator.check(url, headers)
        except ApiError as exc:
            self._count(label, exc.code)
            log.info("%s rejected: %s", label, exc.code)
            await _error(exc.http_status, exc.code, exc.message)(scope, receive, send)
            return
        if resource in self.denied_resources:
            self._count(label, "SERVICE_ACCESS_ERROR")
            await _error(
                403 if ctx.use_status_codes else 200,
                "SERVICE_ACCESS_ERROR",
                f"The integration has no access rights to interface resource {resource}.nv",
            )(scope, receive, send)
            return
        with self._state_lock:
            if ctx.organisation_id in self._in_flight:
                busy = True
            else:
                busy = False
                self._in_flight.add(ctx.organisation_id)
                self._sequence += 1
                sequence = self._sequence
        if busy:
            self._count(label, "SIMULTANEOUS")
            status = 503 if ctx.use_status_codes else 200
            await _error(
                status,
                "TECHNICAL_ERROR",
                "Simultaneous requests for the same organisation are not allowed; "
                "wait for the previous response",
            )(scope, receive, send)
            return
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                with self._state_lock:
                    self._in_flight.discard(ctx.organisation_id)

        async def send_then_release(message: MutableMapping[str, Any]) -> None:
            # The request stops being "in flight" when its last byte is handed over, not when
            # this coroutine unwinds: a client that sends its next request the moment it has
            # read the response must not be told it overlapped.
            if message.get("type") == "http.response.body" and not message.get("more_body"):
                release()
            await send(message)

        try:
            decision = decide(sequence, self.faults, self.latency)
            await self._serve(scope, receive, send_then_release, resource, headers, decision, ctx)
        finally:
            release()

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        resource: str,
        headers: Headers,
        decision: Decision,
        ctx: Any,
    ) -> None:
        use_codes = ctx.use_status_codes
        # The delay is the server's response time, counted from the request's arrival: the
        # work of answering (the handler, rendering the body) happens inside it, as it does in
        # Netvisor, whose latency is its own work. A response that takes longer to build than
        # its delay is sent when built, and counted (`late_responses`).
        deadline = time.monotonic() + decision.delay_seconds
        fault = decision.fault
        if fault in _FAULTS_WITHOUT_BODY:
            await _until(deadline)
        if fault is not None:
            self.faults_injected[fault] += 1
        if fault == "reset":
            self._count(resource, "RESET")
            if self.connections.reset(scope.get("client")):
                return
            # Unknown transport (foreign server): end the connection without a response.
            raise ConnectionAbortedError("simulated connection reset")
        if fault == "http_503":
            self._count(resource, "HTTP_503")
            await PlainTextResponse("Service Unavailable", status_code=503)(scope, receive, send)
            return
        if fault == "technical_error":
            self._count(resource, "TECHNICAL_ERROR")
            await _error(
                500 if use_codes else 200, "TECHNICAL_ERROR", "Unexpected error, try again later"
            )(scope, receive, send)
            return
        if fault == "not_unique":
            self._count(resource, "REQUEST_NOT_UNIQUE")
            await _error(
                400 if use_codes else 200,
                "REQUEST_NOT_UNIQUE",
                f"Transaction id {ctx.transaction_id} has already been used",
            )(scope, receive, send)
            return
        if fault == "malformed_error":
            self._count(resource, "MALFORMED_ERROR")
            body = (
                b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Root>'
                b"<ResponseStatus><Status>FAILED</Status>"
                b"<Status>TECHNICAL_ERROR :: Unexpected error & try again later</Status>"
                b"</ResponseStatus></Root>"
            )
            await Response(body, 500 if use_codes else 200, media_type=XML_MEDIA_TYPE)(
                scope, receive, send
            )
            return
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), True))
        base_url = _base_url(scope, headers)
        try:
            reply = await anyio.to_thread.run_sync(self._handle, resource, params, base_url)
        except ApiError as exc:
            self._count(resource, exc.code)
            status = exc.http_status if use_codes or exc.http_status == 404 else 200
            await self._on_time(deadline)
            await _error(status, exc.code, exc.message)(scope, receive, send)
            return
        chunks = stream_document(reply.parts, reply.style, getattr(self.company, "now", None))
        if fault == "truncate":
            self._count(resource, "TRUNCATED")
            body = await anyio.to_thread.run_sync(lambda: b"".join(chunks))
            await self._on_time(deadline)
            cut = max(1, int(len(body) * decision.cut_fraction))
            await Response(body[:cut], 200, reply.headers, XML_MEDIA_TYPE)(scope, receive, send)
            return
        if resource in NO_DECLARATION:
            chunks = _without_declaration(chunks)
        if fault == "encoding_mismatch":
            self._count(resource, "ENCODING_MISMATCH")
            chunks = _declared_latin(chunks)
        elif fault == "trickle":
            self._count(resource, "TRICKLE")
            assert self.faults is not None
            body = await anyio.to_thread.run_sync(lambda: b"".join(chunks))
            await self._on_time(deadline)
            trickled = _trickle(body, self.faults.trickle_bytes_per_second)
            await StreamingResponse(
                trickled, status_code=200, headers=reply.headers, media_type=XML_MEDIA_TYPE
            )(scope, receive, send)
            return
        else:
            self._count(resource, "OK")
        if decision.delay_seconds > 0:
            # Built whole inside the delay, then sent (without a delay: streamed as rendered).
            body = await anyio.to_thread.run_sync(lambda: b"".join(chunks))
            await self._on_time(deadline)
            await Response(body, 200, reply.headers, XML_MEDIA_TYPE)(scope, receive, send)
            return
        response = StreamingResponse(
            chunks, status_code=200, headers=reply.headers, media_type=XML_MEDIA_TYPE
        )
        await response(scope, receive, send)

    async def _on_time(self, deadline: float) -> None:
        """Wait for the response's time; count it late when building it took longer."""
        if self.latency is not None and time.monotonic() > deadline:
            with self._state_lock:
                self.late_responses += 1
        await _until(deadline)

    def _handle(self, resource: str, params: dict[str, str], base_url: str) -> handlers.Reply:
        with self.company_lock:
            reply = handlers.handle(
                self.company, resource, params, base_url, vendor_page_size=self.vendor_page_size
            )
            if self.defects is not None:
                self.defects.apply(self.company, resource, params, reply)
            return reply

    def ground_truth(
        self, resource: str, params: dict[str, Any] | None = None, base_url: str = ""
    ) -> list[dict]:
        """The records a request for `resource` with `params` carries, as the parser reads them."""
        raw = {k: str(v) for k, v in (params or {}).items()}
        with self.company_lock:
            reply = handlers.handle(
                self.company, resource, raw, base_url, vendor_page_size=self.vendor_page_size
            )
            return reply.ground_truth()

    def _count(self, resource: str, outcome: str) -> None:
        with self._state_lock:
            self.requests_served += 1
            self.per_resource[resource] += 1
            self.per_outcome[outcome] += 1

    # --- admin --------------------------------------------------------------------------

    async def _admin(self, scope: Scope, path: str) -> Response:
        client = scope.get("client")
        if client is None or client[0] not in LOOPBACK:
            return PlainTextResponse("admin endpoints answer loopback clients only", 403)
        method = scope.get("method")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if path == "/_admin/advance" and method == "POST":
            try:
                days = int(query.get("days", "1"))
            except ValueError:
                return PlainTextResponse("days must be an integer", 400)
            if days < 0:
                return PlainTextResponse("days must not be negative", 400)
            summary = await anyio.to_thread.run_sync(self.advance, days)
            return _json(summary)
        if path == "/_admin/stats" and method == "GET":
            return _json(self.stats())
        if path == "/_admin/counts" and method == "GET":
            return _json(await anyio.to_thread.run_sync(self.counts))
        return PlainTextResponse("not found", 404)

    def advance(self, days: int) -> dict:
        """Move the company's business date on, under the lock requests read it with."""
        with self.company_lock:
            return self.company.advance(days)

    def counts(self) -> dict:
        with self.company_lock:
            return self.company.counts()

    def stats(self) -> dict:
        with self._state_lock:
            return {
                "requests_served": self.requests_served,
                "per_resource": dict(sorted(self.per_resource.items())),
                "per_outcome": dict(sorted(self.per_outcome.items())),
                "faults_injected": dict(sorted(self.faults_injected.items())),
                "late_responses": self.late_responses,
                "authenticated_requests": self._sequence,
            }


# Resources whose real responses start with <Root> (AccountingPeriodList.xml: no declaration).
NO_DECLARATION = frozenset({"accountingperiodlist", "vouchertypelist", "paymenttermlist"})


def _rewrite_head(chunks: Iterable[bytes], rewrite: Callable[[bytes], bytes]) -> Iterator[bytes]:
    """The stream with its first chunk (which holds the XML declaration) rewritten."""
    iterator = iter(chunks)
    for first in iterator:
        yield rewrite(first)
        break
    yield from iterator


def _without_declaration(chunks: Iterable[bytes]) -> Iterator[bytes]:
    def strip(head: bytes) -> bytes:
        if not head.startswith(b"<?xml"):
            return head
        return head[head.index(b"?>") + 2 :].lstrip(b"\r\n")

    return _rewrite_head(chunks, strip)


def _declared_latin(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The same UTF-8 bytes under a declaration that claims ISO-8859-15."""

    def relabel(head: bytes) -> bytes:
        if head.startswith(b"<?xml"):
            return head.replace(b'encoding="utf-8"', b'encoding="ISO-8859-15"', 1)
        return b'<?xml version="1.0" encoding="ISO-8859-15"?>\r\n' + head

    return _rewrite_head(chunks, relabel)


async def _trickle(body: bytes, bytes_per_second: float) -> Any:
    """The body a few bytes at a time: each read succeeds, the whole never arrives in time."""
    step = max(1, int(bytes_per_second / 10))
    for start in range(0, len(body), step):
        yield body[start : start + step]
        await asyncio.sleep(0.1)


# Faults answered without a document to build: they only wait for the response's time.
_FAULTS_WITHOUT_BODY = frozenset(
    {"reset", "http_503", "technical_error", "not_unique", "malformed_error"}
)


async def _until(deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining > 0:
        await asyncio.sleep(remaining)


def denied_resource_names(names: Iterable[str]) -> frozenset[str]:
    """`["CustomerList.nv", "getvendor"]` -> `{"customerlist", "getvendor"}`; an unknown name
    is an error, so a typo cannot leave a right granted that a test meant to deny."""
    result = set()
    for raw in names:
        name = raw.strip().lower().removesuffix(".nv")
        if not name:
            continue
        if name not in handlers.RESOURCES:
            raise ValueError(f"unknown Netvisor resource to deny: {raw!r}")
        result.add(name)
    return frozenset(result)


def _url_as_received(scope: Scope, headers: Headers) -> str:
    """scheme://host/path?query with the raw bytes the client sent (no re-encoding)."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
    path = raw_path.decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"{_base_url(scope, headers)}{path}"
    return f"{url}?{query}" if query else url


def _base_url(scope: Scope, headers: Headers) -> str:
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def _error(status: int, code: str, message: str) -> Response:
    return Response(error_document(code, message), status, media_type=XML_MEDIA_TYPE)


def _json(payload: Any) -> Response:
    return JSONResponse(json.loads(json.dumps(payload, default=str)))


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
