"""What each check costs and reports on a clean simulated company (`small` by default).

Runs a full sync (reference, merge, then the partitioned tables in one ranged run) into a
temporary DuckDB file with every check the sync jobs carry, then times each check again on
the synced warehouse, one by one, and runs the weekly completeness job and the freshness job.
Prints one table: check, tables it covers, requests, seconds, results.
Usage: .venv/bin/python benchmarks/checks.py [--size small] [--seed 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import dagster as dg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netvisor_assets import checks, reconciliation  # noqa: E402
from netvisor_assets.automation import COMPLETENESS_JOB, FRESHNESS_JOB  # noqa: E402
from netvisor_assets.loading import sync_source  # noqa: E402
from netvisor_assets.resources import client_from_settings  # noqa: E402
from netvisor_assets.selection import load_selection  # noqa: E402
from netvisor_assets.settings import NetvisorSettings  # noqa: E402
from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company  # noqa: E402
from netvisor_assets.tables import SOURCES, TABLES, SyncMode  # noqa: E402
from netvisor_assets.warehouse import warehouse_from_env  # noqa: E402
from netvisor_assets_tests.harness import (  # noqa: E402
    RANGE_END_TAG,
    RANGE_START_TAG,
    definitions,
    run_full_sync,
    sync_env,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = dt.date(2025, 1, 1)
    company = generate_company(seed=args.seed, size=args.size, start_date=start)
    rows: list[tuple[str, int, int, float, str]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, Path(tmp), start.isoformat()),
    ):
        defs = definitions(load_selection())
        instance = dg.DagsterInstance.ephemeral()
        started = time.monotonic()
        results = run_full_sync(defs, start, company.today, instance)
        sync_seconds = time.monotonic() - started
        evaluations = [e for r in results for e in r.get_asset_check_evaluations()]
        failed = [e for e in evaluations if not e.passed]
        warehouse = warehouse_from_env()
        window = (start, company.today)
        settings = NetvisorSettings.from_env()
        # Each in-asset check once more, alone, on the synced warehouse (no request).
        per_check: dict[str, list[float]] = defaultdict(list)
        for source in SOURCES:
            names = [t.name for t in source.tables]
            for table in source.tables:
                for name in checks.table_check_names(source, table, names):
                    if name in (checks.ROWS_CHECK, checks.LOCKED_CHECK):
                        continue  # need the sync's own counts: timed with the sync below
                    began = time.monotonic()
                    checks.evaluate_table_checks(
                        source,
                        table,
                        [name],
                        warehouse,
                        run_id="benchmark",
                        window=window if table.mode is SyncMode.PARTITIONED else None,
                        ledger_start=start,
                        sync=None,
                        tables=TABLES,
                    )
                    per_check[name].append(time.monotonic() - began)
        # The lock check's own cost: a re-sync of the whole range with it, less one without
        # it (the check reads the stored locked rows first and fingerprints both sides).
        lock = checks.Outcome(True, "")
        selection = load_selection()
        with client_from_settings(settings) as client:
            for source in SOURCES:
                if not source.follows_period_locks:
                    continue
                tables = [selection.table(t.name) for t in source.tables]
                began = time.monotonic()
                plain_source = dataclasses.replace(source, follows_period_locks=False)
                sync_source(plain_source, tables, client, warehouse, run_id="p", window=window)
                plain = time.monotonic() - began
                began = time.monotonic()
                outcome = sync_source(source, tables, client, warehouse, run_id="b", window=window)
                per_check[checks.LOCKED_CHECK].append(time.monotonic() - began - plain)
                lock = checks.locked_changes(outcome.locked_changes, outcome.lock_date)
                if not lock.passed:
                    break
        for name, seconds in per_check.items():
            rows.append((name, len(seconds), 0, sum(seconds), "passed in the sync"))
        for check, fn in (
            (checks.BALANCES_CHECK, lambda: reconciliation.balances_outcome(warehouse, window)),
            (
                checks.RECEIVABLES_CHECK,
                lambda: reconciliation.open_items_outcome(warehouse, "sales_invoices"),
            ),
            (
                checks.PAYABLES_CHECK,
                lambda: reconciliation.open_items_outcome(warehouse, "purchase_invoices"),
            ),
        ):
            began = time.monotonic()
            outcome = fn()
            rows.append((check, 1, 0, time.monotonic() - began, outcome.description))
        tags = {RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: company.today.isoformat()}
        for job, check in (
            (COMPLETENESS_JOB, checks.COMPLETENESS_CHECK),
            (FRESHNESS_JOB, "freshness"),
        ):
            before, began = sim.requests_served, time.monotonic()
            result = defs.resolve_job_def(job).execute_in_process(instance=instance, tags=tags)
            found = result.get_asset_check_evaluations()
            passed = sum(e.passed for e in found)
            rows.append(
                (
                    check,
                    len(found),
                    sim.requests_served - before,
                    time.monotonic() - began,
                    f"{passed}/{len(found)} passed",
                )
            )
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, Path(tmp), start.isoformat()),
    ):
        began = time.monotonic()
        run_full_sync(
            definitions(load_selection()),
            start,
            company.today,
            dg.DagsterInstance.ephemeral(),
            with_checks=False,
        )
        plain_seconds = time.monotonic() - began
    print(
        f"company {args.size} seed {args.seed}: full sync with checks {sync_seconds:.1f} s, "
        f"without {plain_seconds:.1f} s"
    )
    print(
        f"checks evaluated by the sync: {len(evaluations)}, failed: {len(failed)} "
        + ", ".join(f"{e.asset_key.path[-1]}:{e.check_name}" for e in failed)
    )
    print(f"re-sync of every locked-period source: {lock.description}")
    print(f"{'check':<34} {'evals':>5} {'requests':>8} {'seconds':>8}  result")
    for name, count, requests, seconds, text in rows:
        print(f"{name:<34} {count:>5} {requests:>8} {seconds:>8.2f}  {text[:70]}")


if __name__ == "__main__":
    main()
