"""The asset factory: one multi-asset per source in the table registry.

Partitioned assets read `context.partition_time_window`, so a single day and a month-long
backfill chunk run the same code with the fewest requests: the window is fetched in ranges of
up to a month per list call and details in batches of 500 keys.
"""

import datetime as dt
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import dagster as dg

from netvisor_assets.frames import to_frame
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.resources import NetvisorResource
from netvisor_assets.selection import Selection
from netvisor_assets.tables import SOURCES, Source, SyncMode, Table
from netvisor_assets.tables.source import Records, month_windows

HELSINKI = ZoneInfo("Europe/Helsinki")
ASSET_PREFIX = "netvisor"
GROUP = "netvisor"
POOL = "netvisor"
# A five-year backfill launched from the UI becomes ceil(1826 / 31) = 59 runs, not 1,826:
# per-run overhead dominates small daily runs (measured: 4.7 s per run in-process).
MAX_PARTITIONS_PER_RUN = 31
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


def fetch_window_records(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    source: Source,
    client: NetvisorClient,
    first: dt.date,
    last: dt.date,
) -> Records:
    """Fetch a window in month-sized requests, logging progress for long initial syncs."""
    assert source.fetch_window is not None
    windows = month_windows(first, last, source.max_days_per_request)
    records: Records = []
    started = time.monotonic()
    for index, (a, b) in enumerate(windows, start=1):
        records.extend(source.fetch_window(client, a, b))
        if len(windows) > 1:
            context.log.info(
                f"{source.name}: fetched {a}..{b} (window {index}/{len(windows)}), "
                f"{len(records)} records so far, {time.monotonic() - started:.1f} s"
            )
    return records


def _in_window(table: Table, rows: list[dict], first: dt.date, last: dt.date) -> list[dict]:
    # Netvisor's date filters are inclusive on both ends; this also guarantees that nothing
    # dated before the ledger start date ever lands, whatever the API returns.
    column = table.partition_column
    assert column is not None
    return [r for r in rows if r.get(column) is not None and first <= r[column] <= last]


def build_source_asset(
    source: Source, ledger_start: dt.date, warehouse_kind: str, selection: Selection
) -> dg.AssetsDefinition:
    """The multi-asset that fetches one source and yields one frame per selected table."""
    partitioned = source.mode is SyncMode.PARTITIONED
    partitions_def = daily_partitions(ledger_start) if partitioned else None
    tables = [selection.table(t.name) for t in source.tables if selection.is_selected(t.name)]
    check_key = dg.AssetCheckKey(asset_key(tables[0]), NEW_FIELDS_CHECK)
    outs = {
        table.name: dg.AssetOut(
            key=asset_key(table),
            description=table.description,
            group_name=GROUP,
            is_required=False,
            kinds={"netvisor", warehouse_kind},
            metadata={
                "dagster/column_schema": column_schema(table),
                "netvisor/primary_key": ", ".join(table.primary_key),
                "netvisor/sync_mode": table.mode.value,
                "netvisor/partition_column": table.partition_column or "",
                "netvisor/resources": ", ".join(table.resources),
            },
        )
        for table in tables
    }

    @dg.multi_asset(
        name=f"netvisor_{source.name}",
        outs=outs,
        partitions_def=partitions_def,
        backfill_policy=(
            dg.BackfillPolicy.multi_run(MAX_PARTITIONS_PER_RUN) if partitioned else None
        ),
        can_subset=True,
        pool=POOL,
        retry_policy=RETRY_POLICY,
        description=source.description,
        check_specs=[
            dg.AssetCheckSpec(
                NEW_FIELDS_CHECK,
                asset=check_key.asset_key,
                description=(
                    "Warns when Netvisor returns fields no registry column reads. They are "
                    "never added by themselves: add them to the registry and the selection."
                ),
            )
        ],
    )
    def _asset(
        context: dg.AssetExecutionContext, config: SyncConfig, netvisor: NetvisorResource
    ) -> Iterator:
        with netvisor.get_client() as client:
            before = client.requests_made
            window: tuple[dt.date, dt.date] | None = None
            if partitioned:
                first, last = window_dates(context)
                first = max(first, ledger_start)
                window = (first, last)
                records = fetch_window_records(context, source, client, first, last)
            elif config.changed_since and source.fetch_changed is not None:
                since = dt.datetime.fromisoformat(config.changed_since)
                records = source.fetch_changed(client, since)
            else:
                assert source.fetch_all is not None
                records = source.fetch_all(client)
            requests = client.requests_made - before
        rows = source.to_rows(records)
        new_fields = source.unknown_fields(records)
        synced_at = dt.datetime.now(dt.UTC)
        for table in tables:
            if table.name not in context.selected_output_names:
                continue
            table_rows = rows[table.name]
            if window is not None:
                table_rows = _in_window(table, table_rows, *window)
            frame = to_frame(table, table_rows, run_id=context.run_id, synced_at=synced_at)
            metadata: dict[str, dg.RawMetadataValue] = {
                "dagster/row_count": len(frame),
                "requests": requests,
                "unselected_columns": ", ".join(selection.unselected_columns(table.name)),
            }
            if table is tables[0]:
                metadata["new_api_fields"] = ", ".join(new_fields)
            if not partitioned or window is not None and window[0] == window[1]:
                # Dagster copies a ranged run's output metadata onto every partition's event:
                # the schema (tens of columns) would be serialised 31 times per backfill
                # chunk. The definition carries it too, so ranged runs leave it out.
                metadata["dagster/column_schema"] = column_schema(table)
            if window is not None:
                metadata["window"] = f"{window[0].isoformat()}..{window[1].isoformat()}"
            if config.changed_since and not partitioned:
                metadata["changed_since"] = config.changed_since
            yield dg.Output(frame, output_name=table.name, metadata=metadata)
        if check_key in context.selected_asset_check_keys:
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
