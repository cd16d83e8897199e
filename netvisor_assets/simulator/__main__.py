"""`python -m netvisor_assets.simulator`: serve a generated company on a local port.

Credentials are the ones the client reads (NETVISOR_CUSTOMER_ID, ... ; the documented demo set
when none is given), so a client configured from the same environment authenticates.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import sys

from netvisor_assets import settings
from netvisor_assets.simulator.app import denied_resource_names
from netvisor_assets.simulator.auth import Credentials
from netvisor_assets.simulator.faults import FAULT_KINDS, FaultConfig, LatencyConfig
from netvisor_assets.simulator.handlers import VENDOR_PAGE_SIZE
from netvisor_assets.simulator.server import SimulatorServer

log = logging.getLogger("netvisor_assets.simulator")


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a rate must be within [0, 1]")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m netvisor_assets.simulator",
        description="Serve a simulated Netvisor company over Netvisor's XML API.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1, help="company generator seed")
    parser.add_argument("--size", default="small", help="tiny, small, medium or large")
    parser.add_argument(
        "--start-date",
        type=dt.date.fromisoformat,
        default=dt.date.fromisoformat(settings.DEMO_LEDGER_START_DATE),
        help="first day of the company's books (YYYY-MM-DD)",
    )
    parser.add_argument("--advance-days", type=int, default=0, help="simulate N more days")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="mean response delay")
    parser.add_argument(
        "--fixed-latency-ms", type=float, default=0.0, help="constant delay of every response"
    )
    parser.add_argument("--stall-rate", type=_rate, default=0.0)
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    for kind in FAULT_KINDS:  # --technical-error-rate, --http-503-rate, ...
        parser.add_argument(f"--{kind.replace('_', '-')}-rate", type=_rate, default=0.0)
    parser.add_argument("--trickle-bytes-per-second", type=float, default=200.0)
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument(
        "--deny",
        action="append",
        default=[],
        metavar="RESOURCE",
        help="answer SERVICE_ACCESS_ERROR for this resource, e.g. customerlist.nv (repeatable, "
        "or comma-separated): an integration without those rights",
    )
    parser.add_argument(
        "--vendor-page-size",
        type=int,
        default=VENDOR_PAGE_SIZE,
        help="getvendor.nv page size (Netvisor: 500); smaller to exercise paging",
    )
    parser.add_argument("--log-level", default="info")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(message)s")
    try:
        credentials = Credentials.from_env()
        faults = FaultConfig(
            **{f"{kind}_rate": getattr(args, f"{kind}_rate") for kind in FAULT_KINDS},
            trickle_bytes_per_second=args.trickle_bytes_per_second,
            seed=args.fault_seed,
        )
        latency = LatencyConfig(
            mean_ms=args.latency_ms,
            stall_rate=args.stall_rate,
            stall_seconds=args.stall_seconds,
            fixed_ms=args.fixed_latency_ms,
        )
        denied = denied_resource_names(n for item in args.deny for n in item.split(","))
        if args.vendor_page_size < 1:
            raise ValueError("--vendor-page-size must be at least 1")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from netvisor_assets.simulator.company import generate_company

    company = generate_company(
        seed=args.seed,
        size=args.size,
        start_date=args.start_date,
        organisation_id=credentials.organisation_id,
    )
    if args.advance_days:
        company.advance(args.advance_days)
    server = SimulatorServer(
        company,
        credentials,
        faults if faults.active else None,
        latency if latency.active else None,
        host=args.host,
        port=args.port,
        log_level="warning",
        denied_resources=denied,
        vendor_page_size=args.vendor_page_size,
    )
    log.info(
        "company %s (seed %s, size %s, business date %s): %s",
        company.name,
        args.seed,
        args.size,
        company.today,
        company.counts(),
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
