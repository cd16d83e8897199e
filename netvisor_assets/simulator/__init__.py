"""The Netvisor simulator: a generated company served over Netvisor's XML API.

`dagster dev`, the tests and the benchmarks talk to it instead of Netvisor. It reproduces the
parts of Netvisor a sync depends on (authentication, envelope, formats, caps, paging, change
filters, deletes, one-request-at-a-time) closely enough that passing against it means passing
against Netvisor; see `app.py` for the request pipeline and `handlers/` for the resources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netvisor_assets.simulator.auth import Credentials
from netvisor_assets.simulator.faults import FaultConfig, LatencyConfig
from netvisor_assets.simulator.server import SimulatorServer

if TYPE_CHECKING:
    from netvisor_assets.simulator.company import Company, generate_company

__all__ = [
    "Company",
    "Credentials",
    "FaultConfig",
    "LatencyConfig",
    "SimulatorServer",
    "generate_company",
]


def __getattr__(name: str) -> Any:
    # The generator is imported on first use: the HTTP layer (and its tests of auth and
    # rendering) does not need to build a company to be importable.
    if name in ("Company", "generate_company"):
        from netvisor_assets.simulator import company

        return getattr(company, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
