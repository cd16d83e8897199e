"""The connection check: one cheap request, its outcome explained for a person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from netvisor_assets.netvisor.errors import (
    AuthenticationFailed,
    NetvisorError,
    NetvisorUnavailable,
    ServiceAccessError,
)
from netvisor_assets.timezone import HELSINKI

if TYPE_CHECKING:
    from netvisor_assets.netvisor.client import NetvisorClient


@dataclass(frozen=True)
class ConnectionCheck:
    """Outcome of `check_connection`, written for a person setting up credentials."""

    ok: bool
    problem: Literal["none", "authentication_failed", "service_access", "unavailable", "other"]
    message: str
    hint: str

    def __str__(self) -> str:
        return self.message if self.ok else f"{self.message} Hint: {self.hint}"


def check_connection(client: NetvisorClient, attempts: int = 2) -> ConnectionCheck:
    """Ask customerlist.nv (the resource every integration is granted) and explain the
    outcome for a person: wrong keys, missing rights or an unreachable host.

    Few attempts by default: a person is waiting for the answer.
    """
    today = dt.datetime.now(HELSINKI).date()
    try:
        # Changed-since today keeps the answer small whatever the company's size.
        client.request("customerlist.nv", {"changedsince": today}, max_attempts=attempts)
    except AuthenticationFailed as exc:
        return ConnectionCheck(
            False,
            "authentication_failed",
            f"Netvisor rejected the credentials: {exc.message}",
            "check NETVISOR_CUSTOMER_ID/CUSTOMER_KEY (Netvisor: Company > API identifiers), "
            "the partner id/key, the organisation id and the server clock; test keys only "
            "work on isvapi.netvisor.fi, production keys on integration.netvisor.fi.",
        )
    except ServiceAccessError as exc:
        return ConnectionCheck(
            False,
            "service_access",
            f"The credentials work but lack rights: {exc.message}",
            "a Netvisor admin must grant the integration access to the interface "
            "resources (at least customerlist.nv) and the API user must keep its rights.",
        )
    except NetvisorUnavailable as exc:
        return ConnectionCheck(
            False,
            "unavailable",
            f"Netvisor at {client.base_url} is unreachable: {exc.message}",
            "check NETVISOR_BASE_URL, DNS and firewall; for the local demo start the "
            "simulator (python -m netvisor_assets.simulator).",
        )
    except NetvisorError as exc:
        return ConnectionCheck(
            False,
            "other",
            f"Netvisor answered with an error: {exc}",
            "retry later; if it persists, send the message to Netvisor support.",
        )
    return ConnectionCheck(
        True,
        "none",
        f"Connected to Netvisor at {client.base_url} as organisation {client.organisation_id}.",
        "",
    )
