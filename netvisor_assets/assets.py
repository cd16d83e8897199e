"""The asset factory: one multi-asset per source in the table registry.

Partitioned assets read `context.partition_time_window`, so a single day and a month-long
backfill chunk run the same code with the fewest requests: the window is fetched in ranges of
up to a month per list call and details in batches of 500 keys. The asset writes its tables
itself (`loading.sync_source`), streaming window by window and committing every table of the
source in one transaction, then reports each table with a `MaterializeResult`: a failure on
any table leaves all of them as they were and none is recorded as materialized.
"""

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg

from netvisor_assets import checks
from netvisor_assets.loading import SourceSync, sync_source
from netvisor_assets.netvisor.errors import NetvisorError
from netvisor_assets.resources import NetvisorResource
from netvisor_assets.selection import Selection
from netvisor_assets.settings import SettingsError
from netvisor_assets.tables import SOURCES, TABLES, Source, SyncMode, Table
from netvisor_assets.timezone import HELSINKI
from netvisor_assets.warehouse.base import FrameError, SchemaConflictError, Warehouse
from netvisor_assets.warehouse.io_manager import WarehouseIOManager, result_metadata

ASSET_PREFIX = "netvisor"
GROUP = "netvisor"
POOL = "netvisor"
# A backfill launched from the UI runs in chunks of half a year: a five-year one is
# ceil(1826 / 183) = 10 runs, not 1,826. Dagster cuts a backfill by count from its first day,
# and every run walks each list again (at least one request per resource, a partial last
# window), so a sparse company pays for every cut. Measured on `small` (a year, minimum 42
# requests, `benchmarks/initial_sync.py --path backfill --chunk-days`): chunks of 31 days 156
# requests in 12 runs, 92 days 76, 183 days 62, 366 days 54; Dagster's time 258 s at 31 days,
# 94-107 s at 92-183. Half a year keeps a retry (which repeats the run) to half a year.
MAX_PARTITIONS_PER_RUN = 183
# What a ranged run's materialization of each partition records (see `_asset`).
RANGED_METADATA = frozenset(
    {"dagster/row_count", "requests", "request_windows", "rows_outside_window", "new_api_fields"}
)
RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)
NEW_FIELDS_CHECK = "new_api_fields"


class SyncConfig(dg.Config):
    """Run configuration of a Netvisor asset."""

    changed_since: str | None = None
    """Merge tables only: fetch only records changed since this ISO timestamp (the changes
    sensor sets it); empty means every record."""


def asset_key(table: Table | str) -> dg.AssetKey:
    """`netvisor/<table>`."""
    return dg.AssetKey([ASSET_PREFIX, table if isinstance(table, str) else table.name])


def daily_partitions(start: dt.date) -> dg.DailyPartitionsDefinition:
    """Days of the document date in Helsinki time, from the ledger start date.

    The last partition is yesterday: today's day is not complete until midnight in Finland.
    """
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone="Europe/Helsinki")


def column_schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=col.name, type=col.type, description=col.description)
            for col in table.all_columns
        ]
    )


def window_dates(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The run's partition window as inclusive Helsinki dates."""
    window = context.partition_time_window
    first = window.start.astimezone(HELSINKI).date()
    last = (window.end.astimezone(HELSINKI) - dt.timedelta(days=1)).date()
    return first, last


def _deterministic(exc: BaseException) -> bool:
    """Failures that a second attempt would repeat exactly: never worth a retry."""
    if isinstance(exc, NetvisorError):
        return not exc.retryable
    return isinstance(exc, FrameError | SchemaConflictError | SettingsError | ValueError)


def as_failure(source: Source, exc: BaseException) -> BaseException:
    """A deterministic failure as a `dg.Failure` that bypasses the retry policy.

    Only transient faults (Netvisor unavailable after the client's own retries, a warehouse
    hiccup) are retried by Dagster; a bad value, a NULL key, INVALID_DATA or a body defusedxml
    refuses fails at once with its typed message.
    """
    if not _deterministic(exc):
        return exc
    return dg.Failure(
        description=f"{source.name}: {type(exc).__name__}: {exc}",
        metadata={"error_type": type(exc).__name__, "retried": False},
        allow_retries=False,
    )


@contextlib.contextmanager
def failing_fast(source: Source) -> Iterator[None]:
    """Turn a deterministic failure inside the block into a `dg.Failure` that is not retried."""
    try:
        yield
    except Exception as exc:
        failure = as_failure(source, exc)
        if failure is exc:
            raise
        raise failure from exc


def sync_window(
    source: Source,
    tables: list[Table],
    netvisor: NetvisorResource,
    warehouse: Warehouse,
    *,
    run_id: str,
    log: Callable[[str], None],
    window: tuple[dt.date, dt.date] | None = None,
    changed_since: dt.datetime | None = None,
    rebuild: bool = False,
) -> SourceSync:
    """Fetch one window of a source and write its tables: the body every sync shares.

    The assets and the admin full refresh both run it, so a rebuild fails, retries and
    reports exactly as a sync does.
    """
    with failing_fast(source), netvisor.get_client() as client:
        return sync_source(
            source,
            tables,
            client,
            warehouse,
            run_id=run_id,
            window=window,
            changed_since=changed_since,
            rebuild=rebuild,
            log=log,
        )


def sync_metadata(
    outcome: SourceSync, table: Table, warehouse: Warehouse, selection: Selection
) -> dict[str, Any]:
    """What a synced table's materialization records: rows, requests and the load's figures."""
    result = outcome.results[table.name]
    return {
        "dagster/row_count": result.rows_written,
        "requests": outcome.requests,
        "unselected_columns": ", ".join(selection.unselected_columns(table.name)),
        "rows_outside_window": outcome.outside_window.get(table.name, 0),
        "request_windows": outcome.windows,
        **result_metadata(warehouse, result),
    }


def freshness_policy(table: Table) -> dg.FreshnessPolicy:
    """What the UI's health shows: partitioned tables materialized in the 24 hours before 06:00
    (Helsinki), other tables within 26 hours. Dagster judges by the latest materialization
    of any partition; `reconciliation.build_freshness` checks the partition itself."""
    if table.mode is SyncMode.PARTITIONED:
        return dg.FreshnessPolicy.cron(
            deadline_cron="0 6 * * *",
            lower_bound_delta=dt.timedelta(hours=24),
            timezone="Europe/Helsinki",
        )
    return dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26))


def check_result(key: dg.AssetKey, name: str, outcome: checks.Outcome) -> dg.AssetCheckResult:
    """An evaluated check as Dagster's result: failures are errors unless only a warning."""
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=key,
        passed=outcome.passed,
        severity=(dg.AssetCheckSeverity.WARN if outcome.warn_only else dg.AssetCheckSeverity.ERROR),
        description=outcome.description,
        metadata=outcome.metadata,
    )


def build_source_asset(
    source: Source, ledger_start: dt.date, warehouse_kind: str, selection: Selection
) -> dg.AssetsDefinition:
    """The multi-asset that fetches one source and writes its selected tables together.

    Long because it is a factory: the asset body is a closure over the source, its specs and
    checks, and reads best next to the definitions it closes over.
    """
    partitioned = source.mode is SyncMode.PARTITIONED
    partitions_def = daily_partitions(ledger_start) if partitioned else None
    tables = [selection.table(t.name) for t in source.tables if selection.is_selected(t.name)]
    check_key = dg.AssetCheckKey(asset_key(tables[0]), NEW_FIELDS_CHECK)
    selected_names = [t.name for t in tables]
    table_checks = {t.name: checks.table_check_names(source, t, selected_names) for t in tables}
    check_specs = [
        dg.AssetCheckSpec(
            NEW_FIELDS_CHECK,
            asset=check_key.asset_key,
            description=(
                "Warns when Netvisor returns fields no registry column reads (details and "
                "list rows). They are never added by themselves: add them to the registry "
                "and the selection."
            ),
        )
    ]
    for table in tables:
        for name in table_checks[table.name]:
            check_specs.append(
                dg.AssetCheckSpec(
                    name,
                    asset=asset_key(table),
                    description=checks.check_description(name),
                    blocking=name == checks.KEY_CHECK,
                )
            )
    specs = [
        dg.AssetSpec(
            key=asset_key(table),
            description=table.description,
            group_name=GROUP,
            skippable=True,
            kinds={"netvisor", warehouse_kind},
            freshness_policy=freshness_policy(table),
            metadata={
                "dagster/column_schema": column_schema(table),
                "netvisor/primary_key": ", ".join(table.primary_key),
                "netvisor/sync_mode": table.mode.value,
                "netvisor/partition_column": table.partition_column or "",
                "netvisor/resources": ", ".join(source.resources_of(table)),
            },
        )
        for table in tables
    ]

    @dg.multi_asset(
        name=f"netvisor_{source.name}",
        specs=specs,
        partitions_def=partitions_def,
        backfill_policy=(
            dg.BackfillPolicy.multi_run(MAX_PARTITIONS_PER_RUN) if partitioned else None
        ),
        can_subset=True,
        pool=POOL,
        retry_policy=RETRY_POLICY,
        description=source.description,
        check_specs=check_specs,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        netvisor: NetvisorResource,
        io_manager: dg.ResourceParam[WarehouseIOManager],
    ) -> Iterator:
        chosen = [t for t in tables if asset_key(t) in context.selected_asset_keys]
        window: tuple[dt.date, dt.date] | None = None
        if partitioned:
            first, last = window_dates(context)
            window = (max(first, ledger_start), last)
        since = (
            dt.datetime.fromisoformat(config.changed_since)
            if config.changed_since and not partitioned
            else None
        )
        warehouse = io_manager.warehouse()
        outcome = sync_window(
            source,
            chosen,
            netvisor,
            warehouse,
            run_id=context.run_id,
            window=window,
            changed_since=since,
            log=context.log.info,
        )
        for table in chosen:
            metadata = sync_metadata(outcome, table, warehouse, selection)
            if table is chosen[0]:
                metadata["new_api_fields"] = ", ".join(outcome.new_fields)
            if window is None or window[0] == window[1]:
                metadata["dagster/column_schema"] = column_schema(table)
            else:
                # Dagster copies a ranged run's metadata onto every partition's event (1,826
                # of them per table for five years), held in memory and serialised each time:
                # a ranged run keeps the figures of the range and leaves out the rest (the
                # schema is on the definition, the warehouse entries repeat the row count).
                metadata = {k: v for k, v in metadata.items() if k in RANGED_METADATA}
            if window is not None:
                metadata["window"] = f"{window[0].isoformat()}..{window[1].isoformat()}"
            if since is not None:
                metadata["changed_since"] = config.changed_since or ""
            yield dg.MaterializeResult(asset_key=asset_key(table), metadata=metadata)
        if check_key in context.selected_asset_check_keys:
            new_fields = outcome.new_fields
            yield dg.AssetCheckResult(
                check_name=NEW_FIELDS_CHECK,
                asset_key=check_key.asset_key,
                passed=not new_fields,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"new_api_fields": ", ".join(new_fields) or "none"},
                description=(
                    f"Netvisor returned {len(new_fields)} field(s) no registry column reads"
                    if new_fields
                    else "every returned field is known"
                ),
            )
        selected_checks = context.selected_asset_check_keys
        for table in tables:
            names = [
                n
                for n in table_checks[table.name]
                if dg.AssetCheckKey(asset_key(table), n) in selected_checks
            ]
            if not names:
                continue
            synced = table in chosen
            results = checks.evaluate_table_checks(
                source,
                table,
                names,
                warehouse,
                run_id=context.run_id,
                window=window,
                ledger_start=ledger_start if partitioned else None,
                sync=outcome if synced else None,
                tables=TABLES,
            )
            for name, result in results.items():
                yield check_result(asset_key(table), name, result)

    _asset.__doc__ = source.description
    return _asset


def build_assets(
    ledger_start: dt.date, selection: Selection, warehouse_kind: str = "duckdb"
) -> list[dg.AssetsDefinition]:
    """Every source with at least one selected table, as a multi-asset."""
    return [
        build_source_asset(src, ledger_start, warehouse_kind, selection)
        for src in SOURCES
        if any(selection.is_selected(t.name) for t in src.tables)
    ]
