"""Contract: NetvisorResource is the Dagster face of the client.

- `netvisor_resource_from_env` gives the simulator's demo credentials when no NETVISOR_*
  credentials are set, `dg.EnvVar`s for the credentials when they are (resolved only at run
  time), and refuses a partial set;
- keys never show in the resource's repr;
- `get_client()` yields a configured client and closes it; `check_connection()` reports an
  unreachable host and a working connection in one line.
"""

from __future__ import annotations

import http.server
import socket
import threading

import dagster as dg
import pytest

from netvisor_assets.netvisor.auth import compute_mac
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.resources import NetvisorResource, netvisor_resource_from_env
from netvisor_assets.settings import (
    DEMO_BASE_URL,
    DEMO_CUSTOMER_ID,
    DEMO_CUSTOMER_KEY,
    DEMO_ORGANISATION_ID,
    DEMO_PARTNER_ID,
    DEMO_PARTNER_KEY,
    SettingsError,
)

REAL_ENV = {
    "NETVISOR_BASE_URL": "https://isvapi.netvisor.fi/",
    "NETVISOR_SENDER": "acme sync",
    "NETVISOR_CUSTOMER_ID": "TK_1",
    "NETVISOR_CUSTOMER_KEY": "real-customer-key-123",
    "NETVISOR_PARTNER_ID": "PARTNER_1",
    "NETVISOR_PARTNER_KEY": "real-partner-key-456",
    "NETVISOR_ORGANISATION_ID": "1967543-8",
    "NETVISOR_LEDGER_START_DATE": "2024-01-01",
    "NETVISOR_LANGUAGE": "fi",
}


def test_demo_credentials_when_none_are_set():
    resource = netvisor_resource_from_env({})
    assert isinstance(resource, NetvisorResource)
    assert (resource.base_url, resource.customer_id, resource.partner_id) == (
        DEMO_BASE_URL,
        DEMO_CUSTOMER_ID,
        DEMO_PARTNER_ID,
    )
    assert (resource.customer_key, resource.partner_key) == (DEMO_CUSTOMER_KEY, DEMO_PARTNER_KEY)
    assert resource.organisation_id == DEMO_ORGANISATION_ID and resource.language == "EN"


def test_credentials_become_env_vars_resolved_at_run_time(monkeypatch):
    resource = netvisor_resource_from_env(REAL_ENV)
    assert resource.base_url == "https://isvapi.netvisor.fi"
    assert resource.sender == "acme sync" and resource.language == "FI"
    assert resource.organisation_id == "1967543-8"
    assert "real-customer-key-123" not in repr(resource)
    for var, value in REAL_ENV.items():
        monkeypatch.setenv(var, value)
    with dg.build_resources({"netvisor": resource}) as resources:
        live = resources.netvisor
        assert (live.customer_id, live.customer_key) == ("TK_1", "real-customer-key-123")
        assert (live.partner_id, live.partner_key) == ("PARTNER_1", "real-partner-key-456")
        text = repr(live) + str(live)
        assert "real-customer-key-123" not in text and "real-partner-key-456" not in text


def test_env_var_fields_are_not_literal_values():
    resource = netvisor_resource_from_env(REAL_ENV)
    # The field holds the EnvVar marker (the variable's name) until Dagster resolves it.
    for field, var in [
        ("customer_key", "NETVISOR_CUSTOMER_KEY"),
        ("partner_key", "NETVISOR_PARTNER_KEY"),
        ("customer_id", "NETVISOR_CUSTOMER_ID"),
        ("partner_id", "NETVISOR_PARTNER_ID"),
    ]:
        value = getattr(resource, field)
        assert isinstance(value, dg.EnvVar) and value == dg.EnvVar(var)


def test_partial_credentials_are_refused():
    env = {k: v for k, v in REAL_ENV.items() if k != "NETVISOR_PARTNER_KEY"}
    with pytest.raises(SettingsError, match="NETVISOR_PARTNER_KEY"):
        netvisor_resource_from_env(env)


def test_definitions_accept_the_resource():
    defs = dg.Definitions(resources={"netvisor": netvisor_resource_from_env({})})
    assert defs is not None


def test_get_client_configures_and_closes():
    resource = NetvisorResource(
        base_url="http://127.0.0.1:1",
        sender="s",
        customer_id="c",
        customer_key="k1",
        partner_id="p",
        partner_key="k2",
        organisation_id="1967543-8",
        min_interval_seconds=0.25,
        max_attempts=2,
    )
    with resource.get_client() as client:
        assert isinstance(client, NetvisorClient)
        assert (client.min_interval, client.max_attempts) == (0.25, 2)
        assert client.organisation_id == "1967543-8"
    assert client._http.is_closed  # noqa: SLF001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_check_connection_unreachable_host():
    resource = NetvisorResource(
        base_url=f"http://127.0.0.1:{free_port()}",
        sender="s",
        customer_id="c",
        customer_key="secret-k1",
        partner_id="p",
        partner_key="secret-k2",
        organisation_id="1967543-8",
        backoff_initial_seconds=0.001,
        backoff_max_seconds=0.001,
    )
    result = resource.check_connection()
    assert not result.ok and result.problem == "unavailable"
    assert "unreachable" in str(result) and "NETVISOR_BASE_URL" in str(result)
    assert "secret-k1" not in str(result)


class _Handler(http.server.BaseHTTPRequestHandler):
    """A real HTTP server that checks the MAC with the demo keys, as Netvisor would."""

    def do_GET(self):  # noqa: N802
        url = f"http://{self.headers['Host']}{self.path}"
        h = self.headers
        expected = compute_mac(
            url,
            h["X-Netvisor-Authentication-Sender"],
            h["X-Netvisor-Authentication-CustomerId"],
            h["X-Netvisor-Authentication-Timestamp"],
            h["X-Netvisor-Interface-Language"],
            h["X-Netvisor-Organisation-ID"],
            h["X-Netvisor-Authentication-TransactionId"],
            h["X-Netvisor-Authentication-TimestampUnix"],
            DEMO_CUSTOMER_KEY,
            DEMO_PARTNER_KEY,
        )
        if h["X-Netvisor-Authentication-MAC"] == expected:
            body = (
                b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus><Customerlist/></Root>"
            )
            status = 200
        else:
            body = (
                b"<Root><ResponseStatus><Status>FAILED</Status><Status>AUTHENTICATION_FAILED :: "
                b"Integration keys are not valid.</Status></ResponseStatus></Root>"
            )
            status = 401
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def demo_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("customer_key", "ok", "problem"),
    [(DEMO_CUSTOMER_KEY, True, "none"), ("wrong-key", False, "authentication_failed")],
)
def test_check_connection_against_a_signing_server(demo_server, customer_key, ok, problem):
    resource = NetvisorResource(
        base_url=demo_server,
        sender="netvisor_assets",
        customer_id=DEMO_CUSTOMER_ID,
        customer_key=customer_key,
        partner_id=DEMO_PARTNER_ID,
        partner_key=DEMO_PARTNER_KEY,
        organisation_id=DEMO_ORGANISATION_ID,
    )
    result = resource.check_connection()
    assert (result.ok, result.problem) == (ok, problem)
    assert "\n" not in str(result)
