"""Requests and seconds of incremental syncs of the simulated `small` company.

Runs a full sync into a temporary DuckDB file, primes the changes sensor, then measures:
- a quiet tick: nothing changed in Netvisor since the last tick;
- a busy day: the simulator's clock moves one business day (new, edited, deleted documents),
  then one tick and every run it requests.
Usage: .venv/bin/python benchmarks/incremental_sync.py [--size small] [--days 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company  # noqa: E402
from netvisor_assets_tests.harness import definitions, run_full_sync, sync_env  # noqa: E402
from netvisor_assets_tests.test_incremental import execute, tick  # noqa: E402


def measure(label: str, sim: SimulatorServer, defs, instance, cursor: str) -> str:
    before, started = sim.requests_served, time.monotonic()
    result = tick(defs, instance, cursor)
    probe = sim.requests_served - before
    probe_seconds = time.monotonic() - started
    execute(defs, instance, result.run_requests)
    total = sim.requests_served - before
    seconds = time.monotonic() - started
    print(
        f"{label:<10} probe: {probe:>3} requests {probe_seconds:5.2f} s | runs: "
        f"{len(result.run_requests):>2} | total: {total:>4} requests {seconds:6.2f} s"
    )
    return result.cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=1, help="days the busy tick covers")
    args = parser.parse_args()
    start = dt.date(2025, 1, 1)
    company = generate_company(seed=args.seed, size=args.size, start_date=start)
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, Path(tmp), start.isoformat()),
    ):
        defs = definitions()
        instance = dg.DagsterInstance.ephemeral()
        started = time.monotonic()
        before = sim.requests_served
        run_full_sync(defs, start, company.today, instance)
        print(
            f"full sync {start}..{company.today}: {sim.requests_served - before} requests, "
            f"{time.monotonic() - started:.1f} s"
        )
        cursor = tick(defs, instance, None).cursor  # prime: first tick sets the cursor
        cursor = measure("quiet", sim, defs, instance, cursor)
        summary = sim.advance(args.days)
        changes = {k: sum(v.values()) for k, v in summary.items()}
        print(f"advance {args.days} day(s): {changes}")
        measure("busy", sim, defs, instance, cursor)


if __name__ == "__main__":
    main()
