"""`SimulatorServer`: the simulator on a real socket, in a background thread or in front.

Tests and benchmarks need real HTTP (the client's transport, timeouts and connection handling
are part of what is tested), but no subprocess: the server runs uvicorn in a daemon thread of
the test process, on a socket bound before the thread starts, so `port=0` gives a free port
that is known the moment `start()` returns. The CLI (`__main__`) runs the same server in the
foreground.

The protocol class is uvicorn's own, subclassed only to register each connection's transport
so the fault injector can abort a connection with a TCP reset.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import uvicorn

from netvisor_assets.simulator.app import ConnectionRegistry, SimulatorApp
from netvisor_assets.simulator.auth import Credentials
from netvisor_assets.simulator.faults import FaultConfig, LatencyConfig

log = logging.getLogger("netvisor_assets.simulator")

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


def _protocol_class(registry: ConnectionRegistry) -> type:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:  # pragma: no cover - httptools is optional for uvicorn
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

    class TrackingProtocol(base):  # type: ignore[misc, valid-type]
        _peer: tuple[str, int] | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            if isinstance(peer, tuple) and len(peer) >= 2:
                self._peer = (str(peer[0]), int(peer[1]))
                registry.add(self._peer, transport)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._peer is not None:
                registry.discard(self._peer)
            super().connection_lost(exc)

    return TrackingProtocol


class SimulatorServer:
    """Netvisor simulator serving `company` over HTTP on `host:port` (0 = a free port)."""

    def __init__(
        self,
        company: Any = None,
        credentials: Credentials | None = None,
        faults: FaultConfig | None = None,
        latency: LatencyConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int = 1,
        size: str = "small",
        start_date: dt.date | None = None,
        log_level: str = "warning",
        denied_resources: Iterable[str] = (),
        vendor_page_size: int | None = None,
    ) -> None:
        """`denied_resources` (e.g. `{"customerlist"}`) answer SERVICE_ACCESS_ERROR, as for an
        integration lacking those rights. `vendor_page_size` is a test knob: getvendor.nv's
        page size is server-defined (500 at Netvisor, the default), a smaller one makes a
        small company page for real."""
        if company is None:
            from netvisor_assets.simulator.company import generate_company

            kwargs: dict[str, Any] = {"seed": seed, "size": size}
            if start_date is not None:
                kwargs["start_date"] = start_date
            if credentials is not None:
                kwargs["organisation_id"] = credentials.organisation_id
            company = generate_company(**kwargs)
        self.company = company
        self.credentials = credentials or Credentials.demo()
        self.connections = ConnectionRegistry()
        self.app = SimulatorApp(
            company,
            self.credentials,
            faults,
            latency,
            connections=self.connections,
            denied_resources=denied_resources,
            vendor_page_size=vendor_page_size,
        )
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        sock.listen(128)
        sock.set_inheritable(True)
        self.port = sock.getsockname()[1]
        return sock

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            lifespan="off",
            http=_protocol_class(self.connections),
            log_level=self._log_level,
            access_log=False,
            # Netvisor answers slowly at times; keep idle client connections for reuse.
            timeout_keep_alive=30,
        )

    def start(self) -> SimulatorServer:
        """Bind, start uvicorn in a daemon thread, return once it accepts connections."""
        if self._thread is not None:
            return self
        self._socket = self._bind()
        self._server = uvicorn.Server(self._config())
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"netvisor-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Netvisor simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving; open connections are closed."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_SECONDS)
        if self._socket is not None:
            self._socket.close()
        self._thread = None
        self._server = None
        self._socket = None

    def serve_forever(self) -> None:
        """Run in the calling thread until interrupted (the CLI)."""
        self._socket = self._bind()
        self._server = uvicorn.Server(self._config())
        log.info("Netvisor simulator ready at %s", self.url)
        self._server.run(sockets=[self._socket])

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- views --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the simulator is not bound yet; call start()")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def ground_truth(self, resource: str, params: dict[str, Any] | None = None) -> list[dict]:
        """The records a request for `resource` with `params` carries (parsed-record form).

        Produced by the same handler call as the response body, so it equals what a correct
        client reads back for a request to `self.url`.
        """
        base = self.url if self.port is not None else ""
        return self.app.ground_truth(resource, params, base_url=base)

    def advance(self, days: int) -> dict:
        """Move the simulated business date on by `days` (new, edited, deleted documents)."""
        return self.app.advance(days)

    def counts(self) -> dict:
        return self.app.counts()

    def stats(self) -> dict:
        return self.app.stats()

    @property
    def requests_served(self) -> int:
        return self.app.requests_served
