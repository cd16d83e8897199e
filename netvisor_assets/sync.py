"""Full sync from the command line: every table, every day from the ledger start date.

With no `NETVISOR_*` credentials set, the bundled simulator is started in-process with the
demo company, so a new user sees the whole product work before connecting a real Netvisor.
The runs go through Dagster exactly as a UI backfill would (same assets, same IO manager).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg

from netvisor_assets.settings import (
    CREDENTIAL_FIELDS,
    DEMO_LEDGER_START_DATE,
    DEMO_ORGANISATION_ID,
    ENV_VARS,
    NetvisorSettings,
    SettingsError,
    load_dotenv_file,
)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Progress lines (windows fetched, rows) but not Dagster's per-event debug lines, of which a
# full sync has one per table and day.
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="netvisor-sync", description=__doc__)
    parser.add_argument("--size", default="small", help="simulated company size (demo only)")
    parser.add_argument("--seed", type=int, default=1, help="simulated company seed (demo only)")
    parser.add_argument("--until", help="last day to sync (default: the last complete day)")
    parser.add_argument(
        "--record-runs",
        action="store_true",
        help="record the runs in the DAGSTER_HOME instance so `dagster dev` shows them "
        "(slower: one stored event per table and day)",
    )
    return parser.parse_args(argv)


class SyncError(RuntimeError):
    """A sync that cannot run or did not finish, said in one line."""


def _failure(result: dg.ExecuteInProcessResult) -> str:
    """The first step failure's message: what a user needs, without Dagster's traceback."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            # Dagster wraps the user's exception; its innermost cause is what went wrong.
            while error is not None and error.cause is not None:
                error = error.cause
            message = error.message.strip() if error else ""
            return message.splitlines()[0] if message else "a step failed"
    return "the run failed; see the log above"


def _recorded(record_runs: bool) -> bool:
    """Runs go to the DAGSTER_HOME instance (`--record-runs`, when it is set), else to scratch
    instances nobody reads afterwards."""
    return record_runs and bool(os.environ.get("DAGSTER_HOME"))


def _instance(record_runs: bool) -> dg.DagsterInstance:
    return dg.DagsterInstance.get() if _recorded(record_runs) else _scratch_instance()


def _scratch_instance() -> dg.DagsterInstance:
    """A throwaway instance in a temporary folder, removed when the process ends.

    Dagster's SQLite storage with the batched event log (`event_storage`), not the in-memory
    instance: that one keeps every event of a run in the process (a ranged run records one per
    table and day). Measured on a 365-day run of 26 assets: the process grew 41 MB in memory,
    18 MB with the events on disk, and the run took 56 s instead of 81 s.
    """
    home = tempfile.mkdtemp(prefix="netvisor-sync-")
    atexit.register(shutil.rmtree, home, True)
    # Its settings are the overrides below (an empty file: Dagster says so otherwise).
    Path(home, "dagster.yaml").write_text("")
    return dg.DagsterInstance.local_temp(
        tempdir=home,
        overrides={
            "event_log_storage": {
                "module": "netvisor_assets.event_storage",
                "class": "BatchedSqliteEventLogStorage",
                "config": {"base_dir": os.path.join(home, "history", "runs", "")},
            }
        },
    )


# Dagster's switch for one "planned" event per asset and ranged run instead of one per asset
# and day. Its cost: a failed run's days show as missing rather than failed in the instance's
# partition status, which the CLI's scratch instance never shows anyone.
ONE_PLANNED_EVENT = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


@contextlib.contextmanager
def _one_planned_event_per_asset(enabled: bool) -> Iterator[None]:
    """Half of a ranged run's events are "planned" ones, one per table and day: skip them.

    Measured on `small` (2 years, 4,768 table-days, 0 ms latency): Dagster's share of the CLI
    sync fell from 23.4 s to 16.4-17.4 s. Only for the CLI's scratch instance; a recorded run
    (`--record-runs`) and the UI keep Dagster's default, so a failed backfill's days still show
    as failed.
    """
    if not enabled or ONE_PLANNED_EVENT in os.environ:
        yield
        return
    os.environ[ONE_PLANNED_EVENT] = "true"
    try:
        yield
    finally:
        os.environ.pop(ONE_PLANNED_EVENT, None)


# A ranged run holds every event it records until it ends (Dagster's in-process result; an
# in-memory instance held them a second time): 2-4 KB per table and day. A long history is
# therefore synced at most two years of calendar months per run, each run on a new scratch
# instance. Each cut costs requests: every windowed list's last window before
# it is a partial one, and the capped list is walked again (medium, two years in three runs:
# 155 requests instead of 141 for a minimum of 139), so runs are no shorter than memory needs.
RUN_MONTHS = 24


def run_chunks(first: str, last: str, months: int | None = None) -> list[tuple[str, str]]:
    """[first, last] (ISO days) cut into the fewest runs of at most `months` calendar months,
    of equal length in months (no run of a few days at the end); each but the first starts on
    the first of a month."""
    import datetime as dt

    months = months or RUN_MONTHS
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    span = (end.year - start.year) * 12 + end.month - start.month + 1
    size = -(-span // -(-span // months))  # ceil(span / number of runs)
    chunks = []
    while start <= end:
        month = start.month - 1 + size
        following = dt.date(start.year + month // 12, month % 12 + 1, 1)
        chunks.append((start.isoformat(), min(end, following - dt.timedelta(days=1)).isoformat()))
        start = following
    return chunks


def _report_checks(evaluations: Sequence[dg.AssetCheckEvaluation]) -> None:
    """One line for the checks, and one per failure with what it found."""
    failed = [e for e in evaluations if not e.passed]
    print(f"checks: {len(evaluations)} evaluated, {len(evaluations) - len(failed)} passed")
    for e in failed:
        level = "warning" if e.severity == dg.AssetCheckSeverity.WARN else "FAILED"
        print(f"  {level} {e.asset_key.to_user_string()} {e.check_name}: {e.description}")


def run_full_sync(until: str | None = None, record_runs: bool = False) -> dict[str, int]:
    """Materialize every table; return the warehouse row count per table.

    The jobs in the order a full sync needs them (reference, merged, partitioned, reports),
    each with its own progress line: one readable sequence rather than scattered steps.
    """
    from netvisor_assets.definitions import (
        MERGE_JOB,
        PARTITIONED_JOB,
        REFERENCE_JOB,
        build_definitions,
    )
    from netvisor_assets.reconciliation import LATER_RUN_TAG
    from netvisor_assets.warehouse import warehouse_from_env

    defs = build_definitions()
    instance = _instance(record_runs)
    present = {job.name for job in defs.jobs or []}
    evaluations: list[dg.AssetCheckEvaluation] = []
    # Reference and merge tables first: the ledger's checks read the chart of accounts, the
    # default accounts and the period locks.
    for job_name in (REFERENCE_JOB, MERGE_JOB):
        if job_name not in present:
            continue
        started = time.monotonic()
        result = defs.resolve_job_def(job_name).execute_in_process(
            run_config=RUN_CONFIG, instance=instance, raise_on_error=False
        )
        if not result.success:
            raise SyncError(f"{job_name} failed: {_failure(result)}")
        print(f"{job_name}: {time.monotonic() - started:.1f} s")
        evaluations.extend(result.get_asset_check_evaluations())
    if PARTITIONED_JOB in present:
        partitioned_job = defs.resolve_job_def(PARTITIONED_JOB)
        partitions_def = partitioned_job.partitions_def
        assert partitions_def is not None
        keys = partitions_def.get_partition_keys()
        if not keys:
            raise SyncError("the ledger start date is today: there is no complete day to sync yet")
        last = until or keys[-1]
        if last not in keys:
            raise SyncError(f"--until {last}: not a day between {keys[0]} and {keys[-1]}")
        chunks = run_chunks(keys[0], last)
        for first_day, last_day in chunks:
            started = time.monotonic()
            # A new scratch instance per run: nothing of the runs before is kept.
            scratch = not _recorded(record_runs)
            run_instance = _scratch_instance() if scratch else instance
            with _one_planned_event_per_asset(scratch):
                result = partitioned_job.execute_in_process(
                    run_config=RUN_CONFIG,
                    instance=run_instance,
                    tags={
                        RANGE_START_TAG: first_day,
                        RANGE_END_TAG: last_day,
                        # Checks about today (the open invoices' tie) wait for the last run.
                        **({LATER_RUN_TAG: "true"} if last_day != chunks[-1][1] else {}),
                    },
                    raise_on_error=False,
                )
            evaluations.extend(result.get_asset_check_evaluations())
            if not result.success:
                _report_checks(evaluations)
                before = (
                    f" (the days before {first_day} are synced)" if first_day != keys[0] else ""
                )
                raise SyncError(
                    f"partitioned sync of {first_day}..{last_day} failed{before}: "
                    f"{_failure(result)}"
                )
            del result
            print(f"partitioned tables {first_day}..{last_day}: {time.monotonic() - started:.1f} s")
    from netvisor_assets.reports import JOB as REPORTS_JOB

    if REPORTS_JOB in present:
        # The reports read what the syncs above wrote: they run last, in one dbt build.
        started = time.monotonic()
        result = defs.resolve_job_def(REPORTS_JOB).execute_in_process(
            run_config=RUN_CONFIG, instance=instance, raise_on_error=False
        )
        evaluations.extend(result.get_asset_check_evaluations())
        if not result.success:
            _report_checks(evaluations)
            raise SyncError(f"reports failed: {_failure(result)}")
        print(f"reports (dbt build): {time.monotonic() - started:.1f} s")
    _report_checks(evaluations)
    warehouse = warehouse_from_env()
    from netvisor_assets.tables import TABLES

    # Reading one key column is enough to count rows.
    return {
        name: len(warehouse.read(name, columns=[table.primary_key[0]]))
        for name, table in TABLES.items()
        if warehouse.table_columns(name)
    }


def _print_reports() -> None:
    """The latest complete month's result and balance sheet total, where the reports were built."""
    from netvisor_assets.reports import statement_summary
    from netvisor_assets.warehouse import WarehouseSettings

    summary = statement_summary(WarehouseSettings.from_env())
    if summary:
        print("\nreports (schema " + summary.pop("schema") + "):")
        for label, value in summary.items():
            print(f"  {label}: {value}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `scripts/sync` and `netvisor-sync`.

    A script read top to bottom (settings, simulator, sync, reports, summary): what a person
    sees, in the order they see it.
    """
    args = _parse_args(argv)
    load_dotenv_file()
    demo = not any((os.environ.get(ENV_VARS[f]) or "").strip() for f in CREDENTIAL_FIELDS)
    with contextlib.ExitStack() as stack:
        if demo:
            import datetime as dt

            from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company

            started = time.monotonic()
            company = generate_company(
                seed=args.seed,
                size=args.size,
                start_date=dt.date.fromisoformat(DEMO_LEDGER_START_DATE),
                organisation_id=DEMO_ORGANISATION_ID,
            )
            sim = stack.enter_context(
                SimulatorServer(company=company, credentials=Credentials.demo(), port=0)
            )
            os.environ["NETVISOR_BASE_URL"] = sim.url
            print(
                f"simulator: {company.name} (size {args.size}, seed {args.seed}) at {sim.url}, "
                f"generated in {time.monotonic() - started:.1f} s"
            )
        from netvisor_assets.selection import SelectionError, load_selection
        from netvisor_assets.warehouse import WarehouseSettings, WarehouseSettingsError

        try:
            settings = NetvisorSettings.from_env()
            WarehouseSettings.from_env()
            selection = load_selection()
        except (SettingsError, WarehouseSettingsError, SelectionError) as exc:
            print(exc, file=sys.stderr)
            return 2
        if not selection.columns:
            print(
                f"the selection {selection.path or ''} lists no tables: nothing to sync",
                file=sys.stderr,
            )
            return 2
        from netvisor_assets.resources import client_from_settings

        with client_from_settings(settings) as client:
            check = client.check_connection()
        print(f"connection: {check}")
        if not check.ok:
            return 1
        print(f"ledger start date: {settings.ledger_start_date}")
        started = time.monotonic()
        try:
            counts = run_full_sync(args.until, args.record_runs)
        except SyncError as exc:
            print(f"sync failed: {exc}", file=sys.stderr)
            return 1
        total = time.monotonic() - started
        width = max(len(n) for n in counts)
        print("\nrows per table:")
        for name, count in counts.items():
            print(f"  {name:<{width}}  {count:>9}")
        print(f"full sync: {sum(counts.values())} rows in {total:.1f} s")
        _print_reports()
        if demo:
            print(f"requests served by the simulator: {sim.requests_served}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
