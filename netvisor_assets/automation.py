"""Jobs, schedules and the changes sensor that keep the warehouse current.

The sensor asks Netvisor what changed since its cursor (one list call per table with a change
filter, one `deleted*.nv` call where Netvisor reports deletions), maps every changed or deleted
document to the day it belongs to, and requests runs for exactly those days. A document whose
date moved is also re-run on the day the warehouse has it, so no stale copy remains. Merge
tables get a run that merges only the records changed since the cursor.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from netvisor_assets import checks
from netvisor_assets.assets import ASSET_PREFIX, POOL, asset_key
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.resources import NetvisorResource
from netvisor_assets.selection import Selection
from netvisor_assets.tables import SOURCES, TABLES, Source, SyncMode
from netvisor_assets.tables.source import Rerun, day_ranges
from netvisor_assets.timezone import HELSINKI
from netvisor_assets.warehouse import Warehouse, warehouse_from_env

# What `dg.define_asset_job` returns: Dagster does not export its class, and this code
# location imports nothing private from Dagster.
AssetJob = Any
SENSOR_NAME = "netvisor_changes"
PARTITIONED_JOB = "netvisor_partitioned_sync"
MERGE_JOB = "netvisor_merge_sync"
REFERENCE_JOB = "netvisor_reference_sync"
COMPLETENESS_JOB = "netvisor_completeness"
FRESHNESS_JOB = "netvisor_freshness"
# Netvisor lists deletions for 7 days: a sensor that did not tick for longer cannot trust them.
DELETIONS_KEPT = dt.timedelta(days=7)
# Re-read the last hour on every tick: Netvisor does not document the precision or the time
# zone of its change filters, and an update that lands while a tick runs must not be missed.
OVERLAP = dt.timedelta(hours=1)
# Without a cursor (first tick), look back as far as Netvisor keeps deletions.
INITIAL_LOOKBACK = dt.timedelta(days=7)
DEFAULT_INTERVAL_SECONDS = 3600
# Checks with their own schedules, left out of the sync jobs: completeness lists every month
# of every document source (weekly), freshness looks at the clock (daily at 06:00).
SCHEDULED_ONLY_CHECKS = frozenset(
    {
        checks.COMPLETENESS_CHECK,
        checks.PARTITION_FRESHNESS_CHECK,
        checks.REFRESH_FRESHNESS_CHECK,
    }
)


@dataclass
class ChangePlan:
    """What one sensor tick found: days to re-run per partitioned source, merges to run."""

    days: dict[str, set[dt.date]] = field(default_factory=dict)
    merges: dict[str, str] = field(default_factory=dict)
    # Reference tables whose content differs from what the last tick saw, and the new digests.
    refreshes: set[str] = field(default_factory=set)
    digests: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    # Netvisor's clock when the tick started: the next tick's change window starts here.
    server_time: dt.datetime | None = None

    def ranges(self, source: str) -> list[tuple[dt.date, dt.date]]:
        """The source's days as contiguous inclusive ranges: one run per range."""
        return day_ranges(self.days.get(source, ()))


def _stored_dates(warehouse: Warehouse, source: Source, keys: set[int]) -> set[dt.date]:
    """Days on which the warehouse holds any of these documents (moved or deleted ones)."""
    header = source.tables[0]
    if not keys or not warehouse.table_columns(header.name):
        return set()
    key, date = header.primary_key[0], header.partition_column
    assert date is not None
    frame = warehouse.read(header.name, columns=[key, date])
    hits = frame[frame[key].isin(keys)]
    return {d for d in hits[date] if d is not None}


def plan_changes(
    client: NetvisorClient,
    warehouse: Warehouse,
    selection: Selection,
    since: dt.datetime,
    first_day: dt.date,
    last_day: dt.date,
    digests: dict[str, str] | None = None,
) -> ChangePlan:
    """Ask Netvisor what changed since `since` and map it to runs.

    Windows are open-ended (the upper bound is a day past our clock) and the cursor is
    Netvisor's own clock from the responses, so neither clock skew nor a slow tick loses an
    update; the overlap re-reads the edge.
    """
    plan = ChangePlan()
    before = client.requests_made
    if client.server_time is None:
        # Learn Netvisor's clock first (one small request): when it runs ahead of ours, a
        # window ending at our clock would skip its changes for good once the cursor moved on.
        client.check_connection()
    server_now = client.server_time or dt.datetime.now(HELSINKI)
    end = max(dt.datetime.now(HELSINKI), server_now) + dt.timedelta(days=1)
    no_filter: list[Source] = []
    cumulative: list[Source] = []
    for source in SOURCES:
        if not any(selection.is_selected(t.name) for t in source.tables):
            continue
        if source.mode is SyncMode.MERGE:
            if source.has_change_filter and source.changes(client, since, end):
                plan.merges[source.name] = since.isoformat()
            continue
        if source.mode is SyncMode.FULL_REFRESH:
            # No change filter exists; one request reads the whole (small) table, and a
            # digest of it tells whether the last tick saw the same content.
            digest = _digest(source.fetch_all(client))
            plan.digests[source.name] = digest
            if digests is None or digests.get(source.name) != digest:
                plan.refreshes.add(source.name)
            continue
        if source.mode is not SyncMode.PARTITIONED:
            continue
        if source.rerun is Rerun.FROM_FIRST_CHANGE:
            cumulative.append(source)
            continue
        if source.rerun is Rerun.NEW_DAYS:
            no_filter.append(source)
        days = _changed_days(client, warehouse, source, since, end)
        in_range = {d for d in days if first_day <= d <= last_day}
        if in_range:
            plan.days[source.name] = in_range
    plan.server_time = client.server_time
    # Days from the last tick up to Netvisor's today (nothing later can hold data yet).
    today = (plan.server_time or end).astimezone(HELSINKI).date()
    new_days = _days(max(since.astimezone(HELSINKI).date(), first_day), min(last_day, today))
    for source in no_filter:
        # No change filter (paymentlist.nv): re-read the days since the last tick.
        plan.days[source.name] = plan.days.get(source.name, set()) | new_days
    for source in cumulative:
        moved = plan.days.get(source.moved_by or "", set()) | new_days
        days = _cumulative_days(warehouse, source, moved, today, last_day)
        if days:
            plan.days[source.name] = days
    plan.requests = client.requests_made - before
    return plan


def _changed_days(
    client: NetvisorClient,
    warehouse: Warehouse,
    source: Source,
    since: dt.datetime,
    end: dt.datetime,
) -> set[dt.date]:
    """Days holding a document that changed or was deleted: the document's own date, and the
    day the warehouse holds it on (a document can move to another day or vanish)."""
    days: set[dt.date] = set()
    keys: set[int] = set()
    if source.rerun is not Rerun.NEW_DAYS:
        for key, day in source.changes(client, since, end):
            keys.add(key)
            if day is not None:
                days.add(day)
    if source.deleted_kind is not None:
        deleted = client.deleted(source.deleted_kind, since.astimezone(HELSINKI).date())
        keys |= {r["netvisorkey"] for r in deleted}
    return days | _stored_dates(warehouse, source, keys)


def _cumulative_days(
    warehouse: Warehouse, source: Source, moved: set[dt.date], today: dt.date, last_day: dt.date
) -> set[dt.date]:
    """A cumulative figure (a balance) on day D moves with every change on or before D, and
    every new day has one even without changes. Every day from the first moved one up to
    Netvisor's today is re-run, and every later day the warehouse already holds (Netvisor's
    clock behind ours, or a backfill ahead of it), so no stored figure stays stale."""
    header = source.tables[0]
    assert header.partition_column is not None
    start = min(moved, default=None)
    stored = warehouse.max_value(header.name, header.partition_column)
    end_day = min(last_day, max(today, stored) if stored is not None else today)
    return _days(start, end_day) if start is not None and start <= end_day else set()


def _digest(records: list[dict]) -> str:
    text = json.dumps(records, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _days(first: dt.date, last: dt.date) -> set[dt.date]:
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


def source_asset_keys(source: Source, selection: Selection) -> list[dg.AssetKey]:
    return [asset_key(t) for t in source.tables if selection.is_selected(t.name)]


def sync_check_keys(keys: list[dg.AssetKey], selection: Selection) -> list[dg.AssetCheckKey]:
    """The checks a sync run of these assets evaluates: all but the scheduled-only ones.

    A run request names them, because a request's asset selection alone brings every check of
    its assets (the weekly completeness listing and the freshness checks too).
    """
    from netvisor_assets.assets import NEW_FIELDS_CHECK
    from netvisor_assets.reconciliation import ledger_reconciliation_specs

    wanted = set(keys)
    selected = [t.name for t in TABLES.values() if selection.is_selected(t.name)]
    out: list[dg.AssetCheckKey] = []
    for source in SOURCES:
        tables = [t for t in source.tables if t.name in selected]
        for table in tables:
            key = asset_key(table)
            if key not in wanted:
                continue
            names = checks.table_check_names(source, table, [t.name for t in tables])
            if table is tables[0]:
                names = [NEW_FIELDS_CHECK, *names]
            out += [dg.AssetCheckKey(key, name) for name in names]
    out += [s.key for s in ledger_reconciliation_specs(selection) if s.asset_key in wanted]
    return out


def run_requests(
    plan: ChangePlan, selection: Selection, run_key_prefix: str
) -> list[dg.RunRequest]:
    """Runs for a plan, as few as keep the requests exact.

    Sources whose changed days form the same range share one run (each run costs seconds of
    overhead in Dagster); a source is never run for days it did not change. All merge tables
    share one run, all changed reference tables another.
    """
    tag = {"netvisor/trigger": SENSOR_NAME}
    by_range: dict[tuple[dt.date, dt.date], list[dg.AssetKey]] = {}
    merge_keys: list[dg.AssetKey] = []
    merge_config: dict[str, Any] = {}
    refresh_keys: list[dg.AssetKey] = []
    for source in SOURCES:
        keys = source_asset_keys(source, selection)
        if not keys:
            continue
        for day_range in plan.ranges(source.name):
            by_range.setdefault(day_range, []).extend(keys)
        if source.name in plan.merges:
            merge_keys.extend(keys)
            merge_config[f"netvisor_{source.name}"] = {
                "config": {"changed_since": plan.merges[source.name]}
            }
        if source.name in plan.refreshes:
            refresh_keys.extend(keys)
    requests = [
        dg.RunRequest(
            run_key=f"{run_key_prefix}:days:{first}:{last}",
            job_name=PARTITIONED_JOB,
            asset_selection=keys,
            asset_check_keys=sync_check_keys(keys, selection),
            tags={
                **tag,
                "dagster/asset_partition_range_start": first.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat(),
            },
        )
        for (first, last), keys in sorted(by_range.items())
    ]
    for suffix, job_name, keys, config in (
        ("merge", MERGE_JOB, merge_keys, {"ops": merge_config}),
        ("refresh", REFERENCE_JOB, refresh_keys, None),
    ):
        if keys:
            requests.append(
                dg.RunRequest(
                    run_key=f"{run_key_prefix}:{suffix}",
                    job_name=job_name,
                    asset_selection=keys,
                    asset_check_keys=sync_check_keys(keys, selection),
                    run_config=config,
                    tags=tag,
                )
            )
    return requests


def read_digests(cursor: str | None) -> dict[str, str] | None:
    """Digests of the reference tables as the last tick saw them (None on the first tick)."""
    return json.loads(cursor).get("digests") if cursor else None


def change_window_start(cursor: str | None, client: NetvisorClient) -> dt.datetime:
    """Last tick's Netvisor time minus the overlap; on the first tick, a week back from
    Netvisor's clock (read from the connection check's response)."""
    if cursor:
        return dt.datetime.fromisoformat(json.loads(cursor)["since"]) - OVERLAP
    client.check_connection()
    now = client.server_time or dt.datetime.now(HELSINKI)
    return now - INITIAL_LOOKBACK


_IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def run_in_progress(instance: dg.DagsterInstance, job_names: set[str]) -> dg.DagsterRun | None:
    """A run of this code location that is talking to Netvisor now (pool `netvisor`)."""
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=_IN_PROGRESS), limit=50):
        if run.job_name in job_names or run.job_name.startswith("netvisor_"):
            return run
        if any(key.path[:1] == [ASSET_PREFIX] for key in run.asset_selection or ()):
            return run
    return None


def build_changes_sensor(
    selection: Selection,
    partitions_def: dg.DailyPartitionsDefinition | None,
    jobs: Sequence[AssetJob],
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS,
) -> dg.SensorDefinition:
    """The `netvisor_changes` sensor.

    Long because it is a factory: the tick is a closure over the jobs and the selection; its
    planning lives in `plan_changes` and `change_runs`.
    """

    @dg.sensor(
        name=SENSOR_NAME,
        jobs=list(jobs),
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Asks Netvisor what changed since the last tick and runs exactly the affected "
            "days (and merges of changed customers, vendors and products)."
        ),
    )
    def netvisor_changes(
        context: dg.SensorEvaluationContext, netvisor: NetvisorResource
    ) -> dg.SensorResult | dg.SkipReason:
        job_names = {job.name for job in jobs}
        busy = run_in_progress(context.instance, job_names)
        if busy is not None:
            # Netvisor answers one request at a time per company: a tick while a run fetches
            # would compete with it. The cursor stays, so the next tick catches up.
            return dg.SkipReason(
                f"run {busy.run_id} ({busy.job_name}) of pool {POOL} is in progress; "
                "skipping this tick so it does not compete with it for Netvisor"
            )
        now = dt.datetime.now(HELSINKI)
        if partitions_def is not None:
            keys = partitions_def.get_partition_keys()
            first_day = dt.date.fromisoformat(keys[0]) if keys else now.date()
            last_day = dt.date.fromisoformat(keys[-1]) if keys else first_day
        else:
            first_day = last_day = now.date()
        with netvisor.get_client() as client:
            since = change_window_start(context.cursor, client)
            plan = plan_changes(
                client,
                warehouse_from_env(),
                selection,
                since,
                first_day,
                last_day,
                read_digests(context.cursor),
            )
        requests = run_requests(plan, selection, run_key_prefix=now.isoformat())
        # Measured on Netvisor's clock, like the cursor itself.
        gap = (plan.server_time or now) - since - OVERLAP if context.cursor else dt.timedelta(0)
        if gap > DELETIONS_KEPT and COMPLETENESS_JOB in job_names:
            context.log.warning(
                f"the last tick was {gap.days} days ago, longer than Netvisor keeps deletions "
                f"({DELETIONS_KEPT.days} days): deleted*.nv cannot be trusted for that gap, so "
                f"this tick requests {COMPLETENESS_JOB}, which compares every month's keys"
            )
            requests.append(
                dg.RunRequest(run_key=f"{now.isoformat()}:completeness", job_name=COMPLETENESS_JOB)
            )
        context.log.info(
            f"changes since {since.isoformat()}: {len(requests)} runs, "
            f"{plan.requests} Netvisor requests"
        )
        server_now = plan.server_time or now
        cursor = {"since": server_now.isoformat(), "digests": plan.digests}
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor))

    return netvisor_changes


def scheduled_only_check_keys(selection: Selection) -> list[dg.AssetCheckKey]:
    """Completeness and freshness checks: they run on their own schedules, not in syncs."""
    from netvisor_assets.reconciliation import completeness_specs, freshness_specs

    return [spec.key for spec in (*completeness_specs(selection), *freshness_specs(selection))]


def build_check_jobs(selection: Selection) -> dict[str, AssetJob]:
    """The weekly completeness job and the daily freshness job (checks only, no sync)."""
    keys = scheduled_only_check_keys(selection)
    out = {}
    for name, check_names, description in (
        (
            COMPLETENESS_JOB,
            {checks.COMPLETENESS_CHECK},
            "Netvisor's document keys against the warehouse, month by month; re-syncs the days "
            "that differ.",
        ),
        (
            FRESHNESS_JOB,
            {checks.PARTITION_FRESHNESS_CHECK, checks.REFRESH_FRESHNESS_CHECK},
            "Yesterday's partitions by 06:00 and reference tables within 26 hours.",
        ),
    ):
        out[name] = dg.define_asset_job(
            name,
            selection=dg.AssetSelection.checks(*[k for k in keys if k.name in check_names]),
            description=description,
        )
    return out


def build_jobs(selection: Selection) -> dict[str, AssetJob]:
    """The sync jobs by kind of table; a kind with no selected table has no job."""
    keys: dict[SyncMode, list[dg.AssetKey]] = {}
    for source in SOURCES:
        keys.setdefault(source.mode, []).extend(source_asset_keys(source, selection))
    excluded = scheduled_only_check_keys(selection)
    specs = {
        SyncMode.PARTITIONED: (PARTITIONED_JOB, "Every partitioned Netvisor table for given days."),
        SyncMode.MERGE: (MERGE_JOB, "Customers, vendors and products, merged on their key."),
        SyncMode.FULL_REFRESH: (REFERENCE_JOB, "Reference tables, replaced whole."),
    }
    return {
        name: dg.define_asset_job(
            name,
            selection=dg.AssetSelection.assets(*keys[mode]) - dg.AssetSelection.checks(*excluded),
            description=description,
        )
        for mode, (name, description) in specs.items()
        if keys.get(mode)
    }


def build_schedules(
    jobs: dict[str, AssetJob],
) -> list[dg.ScheduleDefinition]:
    """Daily schedules in Helsinki time, stopped until a user turns them on in the UI."""
    schedules: list[dg.ScheduleDefinition] = []
    if PARTITIONED_JOB in jobs:
        schedules.append(
            dg.build_schedule_from_partitioned_job(
                jobs[PARTITIONED_JOB],
                name="netvisor_daily_partitions",
                hour_of_day=3,
                minute_of_hour=0,
                description="Yesterday's partition of every partitioned table, at 03:00.",
                default_status=dg.DefaultScheduleStatus.STOPPED,
            )
        )
    for job, cron, name, description in (
        (COMPLETENESS_JOB, "0 4 * * 0", "netvisor_weekly_completeness", "Sundays at 04:00."),
        (FRESHNESS_JOB, "5 6 * * *", "netvisor_daily_freshness", "Freshness at 06:05."),
        # Before the 03:00 partitions: the ledger's checks read accounts and period locks.
        (REFERENCE_JOB, "30 2 * * *", "netvisor_daily_reference", "Reference tables daily."),
        (MERGE_JOB, "45 2 * * *", "netvisor_daily_merge", "All customers, vendors, products."),
    ):
        if job in jobs:
            schedules.append(
                dg.ScheduleDefinition(
                    name=name,
                    job=jobs[job],
                    cron_schedule=cron,
                    execution_timezone="Europe/Helsinki",
                    description=description,
                    default_status=dg.DefaultScheduleStatus.STOPPED,
                )
            )
    return schedules
