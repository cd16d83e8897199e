"""A five-year backfill of every partitioned asset through `dagster dev`, as the UI launches it.

Starts the simulator (`tiny` company, seed 1) and `dagster dev` on free ports with a temporary
DAGSTER_HOME (the project's dagster.yaml, pool `netvisor` registered with limit 1), a temporary
DuckDB warehouse, NETVISOR_LEDGER_START_DATE=2021-01-01 and no NETVISOR_* credentials. Then it
sends the mutation the UI's Materialize -> backfill dialog sends (`launchPartitionBackfill` with
every partitioned asset and the partitions 2021-01-01..2025-12-31, 1,826 days) and prints:
how many runs the backfill became, whether any two of them overlapped (pool limit 1), each run's
time from launch (the run queue dequeues it) to success, and the wall time until the backfill
completed. A backfill still going after --timeout is cancelled and the figures so far are
printed with a projection. Every process started here is stopped (process groups) at the end.

Usage: .venv/bin/python benchmarks/five_year_backfill.py [--timeout 1500] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest  # noqa: E402  (the helpers below report startup problems with pytest.fail)

from netvisor_assets.assets import MAX_PARTITIONS_PER_RUN  # noqa: E402
from netvisor_assets_tests.test_ui import (  # noqa: E402
    BACKFILL_TERMINAL,
    PROJECT_DIR,
    RUN_TERMINAL,
    VENV_BIN,
    GraphQL,
    _free_port,
    _process_group,
    _tail,
    _wait_for_code_location,
    _wait_for_port,
    _warehouse_counts,
)

LEDGER_START = dt.date(2021, 1, 1)
FIRST_DAY = dt.date(2021, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
POLL_S = 2.0
PROGRESS_S = 30.0
CANCEL_WAIT_S = 300.0  # the daemon cancels over its iterations: about 2 min measured
# What the UI adds to every launch (uiExecutionTags.tsx: DagsterTag.FromUI).
UI_TAGS = [{"key": "dagster/from_ui", "value": "true"}]

ASSET_NODES_QUERY = "{ assetNodes { assetKey { path } isPartitioned } }"
# The UI's LAUNCH_PARTITION_BACKFILL_MUTATION (LaunchAssetChoosePartitionsDialog).
LAUNCH_MUTATION = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on PartitionSetNotFoundError { message }
    ... on UnauthorizedError { message }
    ... on RunConflict { message }
    ... on ConflictingExecutionParamsError { message }
  }
}
"""
CANCEL_MUTATION = """
mutation ($id: String!) { cancelPartitionBackfill(backfillId: $id) {
    __typename ... on PythonError { message } ... on UnauthorizedError { message }
} }
"""
BACKFILL_QUERY = """
query ($id: String!) { partitionBackfillOrError(backfillId: $id) {
    __typename ... on PartitionBackfill { status numPartitions timestamp endTimestamp
        error { message } }
    ... on PythonError { message }
} }
"""
RUNS_QUERY = """
query ($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    __typename ... on Runs { results {
        runId status creationTime startTime endTime tags { key value }
    } }
  }
}
"""


@dataclass
class Run:
    run_id: str
    status: str
    first: dt.date
    last: dt.date
    created: float
    started: float | None = None  # RUN_START: the run's process began executing
    ended: float | None = None
    launched: float | None = None  # RUN_STARTING (else RUN_DEQUEUED): the queue launched it
    materializations: int = 0

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass
class Observed:
    backfill_id: str = ""
    launched_at: float = 0.0  # wall clock (epoch s) just before the mutation
    status: str = ""
    first_run_at: float | None = None  # when the first run of the backfill was seen
    all_covered_at: float | None = None  # when runs covered every requested day
    completed_at: float | None = None  # backfill terminal and every run terminal
    timed_out: bool = False
    cancel_status: str = ""
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)


def days_between(first: dt.date, last: dt.date) -> list[str]:
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def run_range(tags: list[dict[str, str]]) -> tuple[dt.date, dt.date]:
    by_key = {t["key"]: t["value"] for t in tags}
    if "dagster/partition" in by_key:
        day = dt.date.fromisoformat(by_key["dagster/partition"])
        return day, day
    return (
        dt.date.fromisoformat(by_key["dagster/asset_partition_range_start"]),
        dt.date.fromisoformat(by_key["dagster/asset_partition_range_end"]),
    )


def covered_days(runs: list[dict[str, Any]]) -> set[dt.date]:
    days: set[dt.date] = set()
    for run in runs:
        first, last = run_range(run["tags"])
        days.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return days


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def watch(gql: GraphQL, obs: Observed, n_days: int, timeout_s: float) -> None:
    """Poll the backfill and its runs until both are over, or cancel it after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    next_report = time.monotonic() + PROGRESS_S
    while True:
        backfill = gql(BACKFILL_QUERY, id=obs.backfill_id)["partitionBackfillOrError"]
        if backfill["__typename"] != "PartitionBackfill":
            raise RuntimeError(f"backfill {obs.backfill_id}: {backfill}")
        obs.status = backfill["status"]
        runs = gql(RUNS_QUERY, id=obs.backfill_id)["runsOrError"]["results"]
        now = time.time()
        obs.runs = {r["runId"]: r for r in runs}
        if runs and obs.first_run_at is None:
            obs.first_run_at = now
        if obs.all_covered_at is None and len(covered_days(runs)) >= n_days:
            obs.all_covered_at = now
        if obs.status in BACKFILL_TERMINAL and all(r["status"] in RUN_TERMINAL for r in runs):
            obs.completed_at = backfill["endTimestamp"] or now
            if backfill.get("error"):
                progress(f"backfill error: {backfill['error']['message']}")
            return
        if time.monotonic() >= next_report:
            done = sum(r["status"] == "SUCCESS" for r in runs)
            progress(
                f"{now - obs.launched_at:6.0f} s: backfill {obs.status}, {len(runs)} runs "
                f"({done} succeeded), {len(covered_days(runs))}/{n_days} days in runs"
            )
            next_report += PROGRESS_S
        if time.monotonic() >= deadline:
            obs.timed_out = True
            cancel(gql, obs)
            return
        time.sleep(POLL_S)


def cancel(gql: GraphQL, obs: Observed) -> None:
    progress(f"timeout: cancelling backfill {obs.backfill_id}")
    result = gql(CANCEL_MUTATION, id=obs.backfill_id)["cancelPartitionBackfill"]
    if result["__typename"] != "CancelBackfillSuccess":
        progress(f"cancel failed: {result}")
    deadline = time.monotonic() + CANCEL_WAIT_S
    while time.monotonic() < deadline:
        status = gql(BACKFILL_QUERY, id=obs.backfill_id)["partitionBackfillOrError"]["status"]
        runs = gql(RUNS_QUERY, id=obs.backfill_id)["runsOrError"]["results"]
        obs.runs = {r["runId"]: r for r in runs}
        obs.cancel_status = status
        if status in BACKFILL_TERMINAL and all(r["status"] in RUN_TERMINAL for r in runs):
            return
        time.sleep(POLL_S)
    progress(f"backfill still {obs.cancel_status} {CANCEL_WAIT_S:.0f} s after cancelling")


def run_details(dagster_home: Path, observed: dict[str, dict[str, Any]]) -> list[Run]:
    """Launch, start and end times and materializations per run, from the instance's event log."""
    import dagster as dg

    types = {
        dg.DagsterEventType.RUN_DEQUEUED,
        dg.DagsterEventType.RUN_STARTING,
        dg.DagsterEventType.RUN_START,
        dg.DagsterEventType.RUN_SUCCESS,
        dg.DagsterEventType.RUN_FAILURE,
        dg.DagsterEventType.RUN_CANCELED,
    }
    runs = []
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for run_id, gql_run in observed.items():
            first, last = run_range(gql_run["tags"])
            run = Run(
                run_id=run_id,
                status=gql_run["status"],
                first=first,
                last=last,
                created=gql_run["creationTime"],
                ended=gql_run["endTime"],
            )
            at: dict[dg.DagsterEventType, float] = {}
            for record in instance.get_records_for_run(run_id, of_type=types).records:
                event_type = record.event_log_entry.dagster_event_type
                assert event_type is not None
                at.setdefault(event_type, record.event_log_entry.timestamp)
            run.launched = at.get(dg.DagsterEventType.RUN_STARTING) or at.get(
                dg.DagsterEventType.RUN_DEQUEUED
            )
            run.started = at.get(dg.DagsterEventType.RUN_START)
            for end in (
                dg.DagsterEventType.RUN_SUCCESS,
                dg.DagsterEventType.RUN_FAILURE,
                dg.DagsterEventType.RUN_CANCELED,
            ):
                if end in at:
                    run.ended = at[end]
            run.materializations = len(
                instance.get_records_for_run(
                    run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
                ).records
            )
            runs.append(run)
    return sorted(runs, key=lambda r: (r.first, r.created))


def overlaps(spans: list[tuple[float, float, str]]) -> list[tuple[str, str, float]]:
    """Pairs of runs whose [begin, end] spans intersect, with the seconds they share."""
    found = []
    spans = sorted(spans)
    for i, (_begin, end, run_id) in enumerate(spans):
        for other_begin, other_end, other_id in spans[i + 1 :]:
            if other_begin >= end:
                break
            found.append((run_id[:8], other_id[:8], min(end, other_end) - other_begin))
    return found


def stats(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (
        f"min {min(values):6.1f}  median {statistics.median(values):6.1f}  "
        f"mean {statistics.fmean(values):6.1f}  max {max(values):6.1f} s"
    )


def report(
    obs: Observed, runs: list[Run], n_days: int, n_assets: int, rows: dict[str, int]
) -> None:
    expected_runs = math.ceil(n_days / MAX_PARTITIONS_PER_RUN)
    succeeded = [r for r in runs if r.status == "SUCCESS"]
    by_status: dict[str, int] = {}
    for run in runs:
        by_status[run.status] = by_status.get(run.status, 0) + 1
    days = covered_days(list(obs.runs.values()))
    requested = {dt.date.fromisoformat(d) for d in days_between(FIRST_DAY, LAST_DAY)}
    chunk_sizes = sorted({r.days for r in runs})
    run_windows = [(r.launched, r.ended, r.run_id) for r in runs if r.launched and r.ended]
    exec_windows = [(r.started, r.ended, r.run_id) for r in runs if r.started and r.ended]
    launch_to_success = [r.ended - r.launched for r in succeeded if r.launched and r.ended]
    executing = [r.ended - r.started for r in succeeded if r.started and r.ended]
    queued = [r.launched - r.created for r in runs if r.launched]
    ordered = sorted(run_windows)
    gaps = [b[0] - a[1] for a, b in zip(ordered, ordered[1:], strict=False)]
    launched_overlaps = overlaps(run_windows)
    exec_overlaps = overlaps(exec_windows)

    status = obs.status
    if obs.timed_out:
        status += f" at the timeout, then cancelled: {obs.cancel_status}"

    def since_launch(t: float | None) -> str:
        return f"{t - obs.launched_at:7.1f} s" if t else "      -"

    print()
    print(f"Five-year backfill {FIRST_DAY}..{LAST_DAY}: {n_days} daily partitions x {n_assets}")
    print(f"partitioned assets, multi_run({MAX_PARTITIONS_PER_RUN}), pool netvisor limit 1")
    print(f"backfill {obs.backfill_id}")
    print()
    rows_out = [
        ("backfill status", status),
        ("runs created", f"{len(runs)} (expected ceil({n_days}/31) = {expected_runs})"),
        ("runs by status", ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))),
        ("days per run", ", ".join(str(s) for s in chunk_sizes) or "-"),
        (
            "requested days in runs",
            f"{len(days & requested)}/{n_days}, outside: {len(days - requested)}",
        ),
        (
            "overlapping runs (launch..end)",
            f"{len(launched_overlaps)} pairs {launched_overlaps[:3]}",
        ),
        ("overlapping runs (start..end)", f"{len(exec_overlaps)} pairs {exec_overlaps[:3]}"),
        ("first run created", since_launch(obs.first_run_at) + " after launch (polled)"),
        ("all days in runs", since_launch(obs.all_covered_at) + " after launch (polled)"),
        (
            "last run ended",
            since_launch(max((r.ended for r in runs if r.ended), default=None)),
        ),
        ("backfill completed", since_launch(obs.completed_at) if obs.completed_at else "-"),
        ("launch -> success per run", stats(launch_to_success)),
        ("start -> success per run", stats(executing)),
        ("queued (created -> launch)", stats(queued)),
        ("gap end -> next launch", stats(gaps)),
        (
            "materializations per run",
            stats([float(r.materializations) for r in succeeded]).replace(" s", ""),
        ),
        ("warehouse rows (partitioned)", f"{sum(rows.values())} in {len(rows)} tables"),
    ]
    width = max(len(k) for k, _ in rows_out)
    for key, value in rows_out:
        print(f"{key:<{width}}  {value}")
    if obs.timed_out and succeeded:
        last_end = max(r.ended for r in succeeded if r.ended)
        elapsed = last_end - obs.launched_at
        per_run = elapsed / len(succeeded)
        projected = per_run * expected_runs
        print(
            f"\nprojection: {len(succeeded)} runs succeeded in {elapsed:.0f} s "
            f"({per_run:.1f} s per run incl. queue gaps) -> {expected_runs} runs in about "
            f"{projected / 60:.1f} min"
        )

    print()
    print(f"{'#':>3}  {'window':<23} {'days':>4} {'status':<8} {'queued':>7} {'launch->ok':>10} "
          f"{'start->ok':>9} {'mats':>5}")  # fmt: skip
    for i, run in enumerate(runs, start=1):
        q = f"{run.launched - run.created:7.1f}" if run.launched else "      -"
        lo = f"{run.ended - run.launched:10.1f}" if run.launched and run.ended else " " * 9 + "-"
        so = f"{run.ended - run.started:9.1f}" if run.started and run.ended else " " * 8 + "-"
        print(
            f"{i:>3}  {run.first}..{run.last} {run.days:>4} {run.status:<8} {q} {lo} {so} "
            f"{run.materializations:>5}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=1500, help="seconds before cancelling")
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (logs)")
    args = parser.parse_args()

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work, cleanup = args.keep.resolve(), None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="five_year_backfill_")
        work = Path(cleanup.name)
    try:
        return benchmark(work, args)
    finally:
        if cleanup is not None:
            cleanup.cleanup()


def benchmark(work: Path, args: argparse.Namespace) -> int:
    dagster_home = work / "dagster_home"
    dagster_home.mkdir(exist_ok=True)
    shutil.copy(PROJECT_DIR / "dagster.yaml", dagster_home / "dagster.yaml")
    subprocess.run(
        [str(VENV_BIN / "dagster"), "instance", "concurrency", "set", "netvisor", "1"],
        env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
        check=True,
        capture_output=True,
    )
    warehouse = work / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir(exist_ok=True)
    sim_port, web_port = _free_port(), _free_port()
    while web_port == sim_port:
        web_port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVISOR_")}
    env.update(
        DAGSTER_HOME=str(dagster_home),
        NETVISOR_BASE_URL=f"http://127.0.0.1:{sim_port}",
        NETVISOR_DUCKDB_PATH=str(warehouse),
        NETVISOR_LEDGER_START_DATE=LEDGER_START.isoformat(),
        PYTHONUNBUFFERED="1",
    )
    sim_log, dev_log = work / "simulator.log", work / "dagster_dev.log"
    partition_names = days_between(FIRST_DAY, LAST_DAY)
    obs = Observed()
    progress(f"work dir {work}; simulator :{sim_port}, dagster dev :{web_port}")

    try:
        with ExitStack() as stack:
            sim = stack.enter_context(
                _process_group(
                    [str(VENV_BIN / "python"), "-m", "netvisor_assets.simulator",
                     "--host", "127.0.0.1", "--port", str(sim_port),
                     "--seed", str(args.seed), "--size", args.size],
                    env,
                    sim_log,
                )
            )  # fmt: skip
            dev = stack.enter_context(
                _process_group(
                    [str(VENV_BIN / "dagster"), "dev", "-w", "workspace.yaml",
                     "-h", "127.0.0.1", "-p", str(web_port)],
                    env,
                    dev_log,
                )
            )  # fmt: skip
            gql = GraphQL(f"http://127.0.0.1:{web_port}")
            stack.callback(gql.client.close)
            started = time.monotonic()
            _wait_for_port(sim_port, sim, sim_log, "the simulator")
            _wait_for_port(web_port, dev, dev_log, "dagster dev")
            _wait_for_code_location(gql, dev, dev_log)
            progress(f"code location loaded after {time.monotonic() - started:.1f} s")

            nodes = gql(ASSET_NODES_QUERY)["assetNodes"]
            assets = [{"path": n["assetKey"]["path"]} for n in nodes if n["isPartitioned"]]
            n_assets = len(assets)
            if not assets:
                raise RuntimeError("no partitioned assets in the code location")
            params = {
                "tags": UI_TAGS,
                "assetSelection": assets,
                "partitionNames": partition_names,
                "fromFailure": False,
            }
            obs.launched_at = time.time()
            result = gql(LAUNCH_MUTATION, backfillParams=params)["launchPartitionBackfill"]
            if result["__typename"] != "LaunchBackfillSuccess":
                raise RuntimeError(f"launchPartitionBackfill: {result}")
            obs.backfill_id = result["backfillId"]
            progress(
                f"backfill {obs.backfill_id}: {n_assets} assets x {len(partition_names)} days "
                f"launched in {time.time() - obs.launched_at:.1f} s"
            )
            try:
                watch(gql, obs, len(partition_names), args.timeout)
            except BaseException:
                # Interrupted or broken: leave no backfill running behind the processes.
                if obs.status not in BACKFILL_TERMINAL:
                    with suppress(Exception):
                        cancel(gql, obs)
                raise
            progress(f"backfill {obs.status}; stopping dagster dev and the simulator")
    except (pytest.fail.Exception, RuntimeError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        print(f"--- dagster dev log (tail) ---\n{_tail(dev_log)}", file=sys.stderr)
        print(f"--- simulator log (tail) ---\n{_tail(sim_log)}", file=sys.stderr)
        return 1

    # Processes are gone: read the instance's event log and the warehouse.
    runs = run_details(dagster_home, obs.runs)
    rows = {}
    if warehouse.exists():
        from netvisor_assets.tables import TABLES

        counts = _warehouse_counts(warehouse)
        rows = {n: c for n, c in counts.items() if n in TABLES and TABLES[n].partition_column}
    report(obs, runs, len(partition_names), n_assets, rows)
    ok = obs.status == "COMPLETED_SUCCESS" and all(r.status == "SUCCESS" for r in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
