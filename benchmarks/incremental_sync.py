"""Requests and seconds of incremental syncs of the simulated company: a quiet and a busy day.

Runs a full sync into a temporary DuckDB file, primes the changes sensor, then measures:
- a quiet day: nothing changed in Netvisor since the last tick;
- a busy day: the simulator's clock moves one business day (new, edited, deleted documents),
  then one tick and every run it requests.
Each response waits exactly `--latency-ms`. Printed, one table: requests (the sensor's probe and
the runs), requests per synced table, seconds and rows changed in the warehouse.

    .venv/bin/python benchmarks/incremental_sync.py [--size small] [--days 1] [--latency-ms 100]
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
from netvisor_assets.simulator.faults import LatencyConfig  # noqa: E402
from netvisor_assets_tests.harness import definitions, run_full_sync, sync_env  # noqa: E402
from netvisor_assets_tests.test_incremental import execute, tick  # noqa: E402


def _rows(defs) -> dict[str, int]:
    from netvisor_assets.tables import TABLES
    from netvisor_assets.warehouse import warehouse_from_env

    warehouse = warehouse_from_env()
    return {
        name: len(warehouse.read(name, columns=[table.primary_key[0]]))
        for name, table in TABLES.items()
        if warehouse.table_columns(name)
    }


def measure(sim: SimulatorServer, defs, instance, cursor: str) -> tuple[dict, str]:
    """One tick and its runs: requests, seconds and warehouse rows changed."""
    rows_before = _rows(defs)
    before, started = sim.requests_served, time.monotonic()
    result = tick(defs, instance, cursor)
    probe = sim.requests_served - before
    execute(defs, instance, result.run_requests)
    rows_after = _rows(defs)
    changed = sum(abs(rows_after.get(k, 0) - rows_before.get(k, 0)) for k in rows_after)
    figures = {
        "probe requests": probe,
        "run requests": sim.requests_served - before - probe,
        "requests": sim.requests_served - before,
        "requests per table": (sim.requests_served - before) / len(rows_after),
        "runs": len(result.run_requests),
        "seconds": time.monotonic() - started,
        "net rows added": changed,
    }
    return figures, result.cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=1, help="days the busy tick covers")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    start = dt.date(2025, 1, 1)
    company = generate_company(seed=args.seed, size=args.size, start_date=start)
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimulatorServer(
            company=company,
            credentials=Credentials.demo(),
            latency=LatencyConfig(fixed_ms=args.latency_ms) if args.latency_ms else None,
        ) as sim,
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
        quiet, cursor = measure(sim, defs, instance, cursor)
        summary = sim.advance(args.days)
        changes = {k: sum(v.values()) for k, v in summary.items()}
        busy, _ = measure(sim, defs, instance, cursor)
        tables = len(_rows(defs))
    print(
        f"\nincremental sync: size {args.size}, {args.latency_ms:g} ms per request, {tables} tables"
    )
    print(f"busy day: {args.days} day(s) simulated: {changes}\n")
    print(f"  {'':<20}{'quiet day':>12}{'busy day':>12}")
    for name in quiet:
        q, b = quiet[name], busy[name]
        shown = f"{q:>12.2f}{b:>12.2f}" if isinstance(q, float) else f"{q:>12,}{b:>12,}"
        print(f"  {name:<20}{shown}")


if __name__ == "__main__":
    main()
