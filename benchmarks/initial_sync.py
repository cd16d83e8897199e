"""An initial sync of the simulated company against a fixed round trip, and where its time goes.

Starts the simulator (always this checkout's: it is the environment, not what is measured) in
its own process (`--fixed-latency-ms`: every response takes exactly that long, its rendering
inside, so requests x latency is the floor a sync cannot beat; the responses it built late are
counted) and runs the sync in a child process, so that the figures (CPU, peak RSS) belong to
the sync alone:

- `--path cli`: what `scripts/sync` runs (`netvisor_assets.sync.run_full_sync`): the reference
  and merge jobs, then every partitioned table over the whole history in one ranged run. The dbt
  reports are left out (`benchmarks/reports.py` measures them).
- `--path backfill`: the same jobs, then the partitioned job once per chunk of the asset's
  `BackfillPolicy`, as the daemon launches a UI backfill (the chunks Dagster cuts, each with its
  range tags), into a persistent SQLite instance, which is where a UI backfill's events go.
  `benchmarks/five_year_backfill.py` launches the real thing through `dagster dev`.

Printed, one table: rows per table, then requests, the API's minimum under the response budget
(`netvisor_assets.netvisor.planning.minimum_requests`, from the simulator's ground truth),
requests / minimum, time waiting on the API, client CPU (parse, rows, frames, write), Dagster's
time (the jobs' wall time less the time spent in the assets' own code), wall, wall / API floor,
runs and peak RSS.

    .venv/bin/python benchmarks/initial_sync.py --size small --latency-ms 100 --path cli

`BENCH_PROFILE=FILE` writes a cProfile of the CLI path's sync there (where Dagster's time goes);
`DAGSTER_EVENT_BATCH_SIZE` and `DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS` pass through to
the sync, to measure Dagster's own switches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _simulator import free_port, late_responses, simulator_process  # noqa: E402

# The checkout measured (`--baseline` measures another one beside this one).
MEASURED = Path(os.environ.get("BENCH_PROJECT", PROJECT))
sys.path.insert(0, str(MEASURED))

SIZES = ("tiny", "small", "medium", "large")


def history_start(size: str, today: dt.date) -> dt.date:
    """The first day of the company's books: its size's months back from this month, so the
    company's clock ends today and nothing lies in the future."""
    from netvisor_assets.simulator.company.store import SIZES as SPECS

    months = SPECS[size].months
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


# ----------------------------------------------------------------------------- the child


class Meter:
    """Wall and thread-CPU seconds per part, from wrappers around the product's functions.

    Wrapping from outside (rather than timers inside the product) keeps the product free of
    benchmark code and lets the same script measure an older checkout.
    """

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def wrap(self, owner: Any, name: str, part: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                with self.lock:
                    self.wall[part] += time.perf_counter() - wall
                    self.cpu[part] += time.thread_time() - cpu
                    self.count[part] += 1

        if isinstance(owner, type) or not hasattr(owner, "__dataclass_fields__"):
            setattr(owner, name, timed)
        else:  # a frozen dataclass instance (a Source's `to_rows`)
            object.__setattr__(owner, name, timed)


def child(args: argparse.Namespace) -> None:
    """Run the sync in this process and print its figures as JSON on the last line."""
    import dagster as dg

    from netvisor_assets import assets, checks, loading, sync
    from netvisor_assets.netvisor.client import NetvisorClient
    from netvisor_assets.tables import SOURCES
    from netvisor_assets.warehouse import duckdb_warehouse

    meter = Meter()
    meter.wrap(NetvisorClient, "_send", "send")
    meter.wrap(NetvisorClient, "_parse", "parse")
    if hasattr(NetvisorClient, "_receive"):
        meter.wrap(NetvisorClient, "_receive", "receive")
    for source in SOURCES:
        meter.wrap(source, "to_rows", "rows")
    meter.wrap(loading, "to_frame", "frames")
    meter.wrap(duckdb_warehouse._DuckDBLoad, "stage", "stage")
    meter.wrap(duckdb_warehouse._DuckDBLoad, "commit", "commit")
    meter.wrap(assets, "sync_window", "ours")
    meter.wrap(checks, "evaluate_table_checks", "checks")
    meter.wrap(dg.JobDefinition, "execute_in_process", "runs")
    import netvisor_assets.definitions as definitions

    definitions.build_report_assets = lambda *args, **kwargs: None  # benchmarks/reports.py
    cpu_before = time.process_time()
    started = time.perf_counter()
    runs = 0
    if args.path == "cli":
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profile = cProfile.Profile()
            counts = profile.runcall(sync.run_full_sync)
            profile.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            counts = sync.run_full_sync()
        runs = meter.count["runs"]
    else:
        counts, runs = _backfill(dg)
    wall = time.perf_counter() - started
    figures = {
        "counts": counts,
        "wall": wall,
        "cpu": time.process_time() - cpu_before,
        "runs": runs,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "meter": {"wall": meter.wall, "cpu": meter.cpu, "count": meter.count},
    }
    print(json.dumps(figures))


def _backfill(dg: Any) -> tuple[dict[str, int], int]:
    """The reference and merge jobs, then one run per backfill chunk, as the daemon cuts them."""
    from netvisor_assets.automation import MERGE_JOB, PARTITIONED_JOB, REFERENCE_JOB
    from netvisor_assets.definitions import build_definitions
    from netvisor_assets.sync import RANGE_END_TAG, RANGE_START_TAG, RUN_CONFIG
    from netvisor_assets.tables import TABLES
    from netvisor_assets.warehouse import warehouse_from_env

    if os.environ.get("BENCH_CHUNK_DAYS"):  # `--chunk-days`: the backfill policy measured
        from netvisor_assets import assets

        assets.MAX_PARTITIONS_PER_RUN = int(os.environ["BENCH_CHUNK_DAYS"])
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    runs = 0
    for name in (REFERENCE_JOB, MERGE_JOB):
        result = defs.resolve_job_def(name).execute_in_process(
            run_config=RUN_CONFIG, instance=instance
        )
        assert result.success
        runs += 1
    job = defs.resolve_job_def(PARTITIONED_JOB)
    keys = job.partitions_def.get_partition_keys()
    policies = [a.backfill_policy for a in defs.assets or [] if getattr(a, "backfill_policy", None)]
    per_run = min(p.max_partitions_per_run or len(keys) for p in policies)
    for i in range(0, len(keys), per_run):
        chunk = keys[i : i + per_run]
        result = job.execute_in_process(
            run_config=RUN_CONFIG,
            instance=instance,
            tags={RANGE_START_TAG: chunk[0], RANGE_END_TAG: chunk[-1]},
        )
        assert result.success, f"chunk {chunk[0]}..{chunk[-1]} failed"
        runs += 1
    warehouse = warehouse_from_env()
    counts = {
        name: len(warehouse.read(name, columns=[table.primary_key[0]]))
        for name, table in TABLES.items()
        if warehouse.table_columns(name)
    }
    return counts, runs


# ----------------------------------------------------------------------------- the parent


def minimum(
    size: str, seed: int, books: dt.date, start: dt.date, last: dt.date
) -> dict[str, int] | None:
    """The API's minimum per source under the response budget, from the ground truth."""
    try:
        from netvisor_assets.netvisor.planning import minimum_requests
    except ImportError:  # an older checkout has no planner
        return None
    from netvisor_assets.simulator import Credentials, SimulatorServer
    from netvisor_assets.simulator.company import generate_company
    from netvisor_assets.simulator.truth import source_records
    from netvisor_assets.tables import SOURCES

    company = generate_company(seed=seed, size=size, start_date=books)
    sim = SimulatorServer(company=company, credentials=Credentials.demo(), port=0)  # not started
    return {
        s.name: minimum_requests(s.endpoint, len(source_records(sim, s.name, start, last)))
        for s in SOURCES
    }


def run(args: argparse.Namespace, project: Path, chunk_days: int | None = None) -> dict[str, Any]:
    today = dt.date.today()
    books = history_start(args.size, today)
    start = books
    if args.months:  # sync only the latest months of the company's history
        index = today.year * 12 + today.month - 1 - args.months
        start = max(books, dt.date(index // 12, index % 12 + 1, 1))
    last = today - dt.timedelta(days=1)
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="initial_sync_"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NETVISOR_", "DAGSTER_"))}
    env.update(
        NETVISOR_BASE_URL=f"http://127.0.0.1:{port}",
        NETVISOR_LEDGER_START_DATE=start.isoformat(),
        NETVISOR_DUCKDB_PATH=str(tmp / "warehouse.duckdb"),
        NETVISOR_WAREHOUSE="duckdb",
        DAGSTER_HOME=str(tmp),
        PYTHONUNBUFFERED="1",
        BENCH_PROJECT=str(project),
    )
    # The measured checkout's instance settings (an older one names its own event storage).
    (tmp / "dagster.yaml").write_text((project / "dagster.yaml").read_text())
    if chunk_days:
        env["BENCH_CHUNK_DAYS"] = str(chunk_days)
    for name in ("DAGSTER_EVENT_BATCH_SIZE", "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"):
        if name in os.environ:
            env[name] = os.environ[name]
    with simulator_process(
        args.size, args.seed, args.latency_ms, env, port=port, start_date=books
    ) as url:
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--path", args.path],
            cwd=project, env=env, capture_output=True, text=True,
        )  # fmt: skip
        late = late_responses(url)
    if done.returncode != 0:
        raise SystemExit(f"the sync failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["late"] = late
    figures["window"] = f"{start}..{last}"
    figures["start"], figures["last"] = start.isoformat(), last.isoformat()
    figures["books"] = books.isoformat()
    return figures


def figures_rows(args: argparse.Namespace, f: dict[str, Any], least: int | None) -> list:
    """(label, value) of one measurement, in the order the table prints them."""
    m = f["meter"]
    requests = m["count"].get("send", 0)
    latency = args.latency_ms / 1000
    floor = requests * latency
    # A request is in flight while its response arrives (`_receive`, inside the company's
    # gate); an older checkout parsed inside it, so there the parse is taken out.
    wait = m["wall"].get("receive") or m["wall"].get("send", 0.0) - m["wall"].get("parse", 0.0)
    write = m["wall"].get("stage", 0.0) + m["wall"].get("commit", 0.0)
    ours = m["wall"].get("ours", 0.0) + m["wall"].get("checks", 0.0)
    api_floor = (least or 0) * latency
    rows: list[tuple[str, str]] = [
        (f"rows: {name}", f"{count:,}") for name, count in f["counts"].items()
    ]
    rows += [
        ("rows", f"{sum(f['counts'].values()):,}"),
        ("requests", f"{requests:,}"),
        ("minimum under the response budget", f"{least:,}" if least else "n/a"),
        ("requests / minimum", f"{requests / least:.2f}" if least else "n/a"),
        ("waiting on the API (s)", f"{wait:.1f}"),
        ("responses the simulator built late", f"{f.get('late', 0):,}"),
        ("API floor = minimum x latency (s)", f"{api_floor:.1f}"),
        ("own requests x latency (s)", f"{floor:.1f}"),
        ("client CPU: parse (s)", f"{m['cpu'].get('parse', 0.0):.1f}"),
        ("client CPU: rows (s)", f"{m['cpu'].get('rows', 0.0):.1f}"),
        ("client CPU: frames (s)", f"{m['cpu'].get('frames', 0.0):.1f}"),
        ("warehouse write, wall (s)", f"{write:.1f}"),
        ("checks, wall (s)", f"{m['wall'].get('checks', 0.0):.1f}"),
        ("assets' own code, wall (s)", f"{ours:.1f}"),
        ("Dagster (wall less own code) (s)", f"{f['wall'] - ours:.1f}"),
        ("process CPU (s)", f"{f['cpu']:.1f}"),
        ("wall (s)", f"{f['wall']:.1f}"),
        ("wall / API floor", f"{f['wall'] / api_floor:.2f}" if api_floor else "n/a"),
        ("runs", f"{f['runs']}"),
        ("peak RSS (MB)", f"{f['peak_rss_mb']:.0f}"),
    ]
    return rows


def report(args: argparse.Namespace, measured: dict[str, dict[str, Any]], least: dict) -> str:
    """One table: a column per checkout measured."""
    first = next(iter(measured.values()))
    total = sum(least.values()) if least else None
    columns = {label: dict(figures_rows(args, f, total)) for label, f in measured.items()}
    labels = list(dict.fromkeys(k for c in columns.values() for k in c))
    width = max(len(k) for k in labels)
    lines = [
        f"initial sync: size {args.size}, path {args.path}, {args.latency_ms:g} ms per request, "
        f"{first['window']}",
        "",
        f"  {'':<{width}}" + "".join(f"  {label:>12}" for label in columns),
    ]
    for k in labels:
        lines.append(f"  {k:<{width}}" + "".join(f"  {c.get(k, ''):>12}" for c in columns.values()))
    if least:
        shown = ", ".join(f"{k} {v}" for k, v in least.items())
        lines += ["", f"  minimum per source: {shown}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--path", choices=("cli", "backfill"), default="cli")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--months", type=int, help="sync only this many latest months (default: all history)"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout (its own .venv not needed) to measure first"
    )
    parser.add_argument(
        "--chunk-days",
        help="backfill path: days per run to compare, side by side (e.g. 31,92; default: the "
        "asset's BackfillPolicy)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    measured: dict[str, dict[str, Any]] = {}
    if args.baseline:
        measured["baseline"] = run(args, args.baseline.resolve())
    if args.chunk_days and args.path == "backfill":
        for days in (int(d) for d in args.chunk_days.split(",")):
            measured[f"{days} days"] = run(args, PROJECT, chunk_days=days)
    else:
        measured["this"] = run(args, PROJECT)
    first = next(iter(measured.values()))
    if args.json:
        Path(args.json).write_text(json.dumps(measured, indent=1, default=str))
    least = minimum(
        args.size,
        args.seed,
        dt.date.fromisoformat(first["books"]),
        dt.date.fromisoformat(first["start"]),
        dt.date.fromisoformat(first["last"]),
    )
    print(report(args, measured, least or {}))
    if args.json:
        Path(args.json).write_text(json.dumps(measured, indent=1, default=str))


if __name__ == "__main__":
    main()
