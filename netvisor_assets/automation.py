"""Jobs, schedules and the changes sensor that keep the warehouse current.

The sensor asks Netvisor what changed since its cursor (one list call per table with a change
filter, one `deleted*.nv` call where Netvisor reports deletions), maps every changed or deleted
document to the day it belongs to, and requests runs for exactly those days. A document whose
date moved is also re-run on the day the warehouse has it, so no stale copy remains. Merge
tables get a run that merges only the records changed since the cursor.
"""

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from netvisor_assets.assets import asset_key
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.resources import NetvisorResource
from netvisor_assets.selection import Selection
from netvisor_assets.tables import SOURCES, Source, SyncMode
from netvisor_assets.warehouse import Warehouse, warehouse_from_env

HELSINKI = ZoneInfo("Europe/Helsinki")
SENSOR_NAME = "netvisor_changes"
PARTITIONED_JOB = "netvisor_partitioned_sync"
MERGE_JOB = "netvisor_merge_sync"
REFERENCE_JOB = "netvisor_reference_sync"
# Re-read the last hour on every tick: Netvisor does not document the precision or the time
# zone of its change filters, and an update that lands while a tick runs must not be missed.
OVERLAP = dt.timedelta(hours=1)
# Without a cursor (first tick), look back as far as Netvisor keeps deletions.
INITIAL_LOOKBACK = dt.timedelta(days=7)
DEFAULT_INTERVAL_SECONDS = 3600
BALANCES_SOURCE = "account_balances"
LEDGER_SOURCE = "vouchers"


@dataclass
class ChangePlan:
    """What one sensor tick found: days to re-run per partitioned source, merges to run."""

    days: dict[str, set[dt.date]] = field(default_factory=dict)
    merges: dict[str, str] = field(default_factory=dict)
    requests: int = 0

    def ranges(self, source: str) -> list[tuple[dt.date, dt.date]]:
        """The source's days as contiguous inclusive ranges: one run per range."""
        out: list[tuple[dt.date, dt.date]] = []
        for day in sorted(self.days.get(source, ())):
            if out and day == out[-1][1] + dt.timedelta(days=1):
                out[-1] = (out[-1][0], day)
            else:
                out.append((day, day))
        return out


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
    now: dt.datetime,
    first_day: dt.date,
    last_day: dt.date,
) -> ChangePlan:
    """Ask Netvisor what changed in [since, now] and map it to runs."""
    plan = ChangePlan()
    before = client.requests_made
    new_days = _days(max(since.astimezone(HELSINKI).date(), first_day), last_day)
    for source in SOURCES:
        if not any(selection.is_selected(t.name) for t in source.tables):
            continue
        if source.mode is SyncMode.MERGE:
            if source.changes is not None and source.changes(client, since, now):
                plan.merges[source.name] = since.isoformat()
            continue
        if source.mode is not SyncMode.PARTITIONED or source.name == BALANCES_SOURCE:
            continue
        days: set[dt.date] = set()
        keys: set[int] = set()
        if source.changes is not None:
            for key, day in source.changes(client, since, now):
                keys.add(key)
                if day is not None:
                    days.add(day)
        else:
            # No change filter (paymentlist.nv): re-read the days since the last tick.
            days |= new_days
        if source.deleted_kind is not None:
            deleted = client.deleted(source.deleted_kind, since.astimezone(HELSINKI).date())
            keys |= {r["netvisorkey"] for r in deleted}
        days |= _stored_dates(warehouse, source, keys)
        in_range = {d for d in days if first_day <= d <= last_day}
        if in_range:
            plan.days[source.name] = in_range
    if selection.is_selected("account_balances"):
        # A balance is cumulative: a posting on day D changes every closing balance from D on,
        # and every new day has balances even without postings.
        start = min(plan.days.get(LEDGER_SOURCE, set()) | new_days, default=None)
        if start is not None:
            plan.days[BALANCES_SOURCE] = _days(start, last_day)
    plan.requests = client.requests_made - before
    return plan


def _days(first: dt.date, last: dt.date) -> set[dt.date]:
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


def source_asset_keys(source: Source, selection: Selection) -> list[dg.AssetKey]:
    return [asset_key(t) for t in source.tables if selection.is_selected(t.name)]


def run_requests(
    plan: ChangePlan, selection: Selection, run_key_prefix: str
) -> list[dg.RunRequest]:
    """One run per contiguous range of days per source, one merge run per changed table."""
    requests: list[dg.RunRequest] = []
    for source in SOURCES:
        keys = source_asset_keys(source, selection)
        if not keys:
            continue
        for first, last in plan.ranges(source.name):
            tags = {
                "netvisor/trigger": SENSOR_NAME,
                "dagster/asset_partition_range_start": first.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat(),
            }
            requests.append(
                dg.RunRequest(
                    run_key=f"{run_key_prefix}:{source.name}:{first}:{last}",
                    job_name=PARTITIONED_JOB,
                    asset_selection=keys,
                    tags=tags,
                )
            )
        if source.name in plan.merges:
            requests.append(
                dg.RunRequest(
                    run_key=f"{run_key_prefix}:{source.name}:merge",
                    job_name=MERGE_JOB,
                    asset_selection=keys,
                    run_config={
                        "ops": {
                            f"netvisor_{source.name}": {
                                "config": {"changed_since": plan.merges[source.name]}
                            }
                        }
                    },
                    tags={"netvisor/trigger": SENSOR_NAME},
                )
            )
    return requests


def read_cursor(cursor: str | None, now: dt.datetime) -> dt.datetime:
    """The start of the change window: last tick's start minus the overlap."""
    if not cursor:
        return now - INITIAL_LOOKBACK
    return dt.datetime.fromisoformat(json.loads(cursor)["since"]) - OVERLAP


def build_changes_sensor(
    selection: Selection,
    partitions_def: dg.DailyPartitionsDefinition | None,
    jobs: Sequence[UnresolvedAssetJobDefinition],
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS,
) -> dg.SensorDefinition:
    """The `netvisor_changes` sensor."""

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
    ) -> dg.SensorResult:
        now = dt.datetime.now(HELSINKI)
        since = read_cursor(context.cursor, now)
        if partitions_def is not None:
            keys = partitions_def.get_partition_keys()
            first_day = dt.date.fromisoformat(keys[0]) if keys else now.date()
            last_day = dt.date.fromisoformat(keys[-1]) if keys else first_day
        else:
            first_day = last_day = now.date()
        with netvisor.get_client() as client:
            plan = plan_changes(
                client, warehouse_from_env(), selection, since, now, first_day, last_day
            )
        requests = run_requests(plan, selection, run_key_prefix=now.isoformat())
        context.log.info(
            f"changes since {since.isoformat()}: {len(requests)} runs, "
            f"{plan.requests} Netvisor requests"
        )
        return dg.SensorResult(run_requests=requests, cursor=json.dumps({"since": now.isoformat()}))

    return netvisor_changes


def build_jobs(selection: Selection) -> dict[str, UnresolvedAssetJobDefinition]:
    """The sync jobs by kind of table; a kind with no selected table has no job."""
    keys: dict[SyncMode, list[dg.AssetKey]] = {}
    for source in SOURCES:
        keys.setdefault(source.mode, []).extend(source_asset_keys(source, selection))
    specs = {
        SyncMode.PARTITIONED: (PARTITIONED_JOB, "Every partitioned Netvisor table for given days."),
        SyncMode.MERGE: (MERGE_JOB, "Customers, vendors and products, merged on their key."),
        SyncMode.FULL_REFRESH: (REFERENCE_JOB, "Reference tables, replaced whole."),
    }
    return {
        name: dg.define_asset_job(
            name, selection=dg.AssetSelection.assets(*keys[mode]), description=description
        )
        for mode, (name, description) in specs.items()
        if keys.get(mode)
    }


def build_schedules(
    jobs: dict[str, UnresolvedAssetJobDefinition],
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
        (REFERENCE_JOB, "15 3 * * *", "netvisor_daily_reference", "Reference tables daily."),
        (MERGE_JOB, "30 3 * * *", "netvisor_daily_merge", "All customers, vendors, products."),
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
