"""Dagster IO managers over the warehouse contract: one implementation, two backends.

`handle_output` stores a pandas frame in the table named by the last component of the asset
key. The table's registry entry is found through `table_registry`, an import path
`"module:function"` (default `netvisor_assets.tables:get_table`). It is a config string rather
than a Python object because Dagster runs each step in a fresh process and rebuilds resources
from config there; tests point it at their own lookup function. The entry is narrowed to the
frame's data columns (column selection) and the sync mode picks the write:

- PARTITIONED: `replace_window` over the run's partition time window in Helsinki dates, so a
  ranged backfill of many days is one atomic write. The window's bounds are floored to the
  Helsinki date they fall on: daily partitions in Europe/Helsinki start at local midnight.
- MERGE: `merge` on the primary key.  FULL_REFRESH: `replace_all`.

`_synced_at` and `_run_id` are added when the frame does not carry them. `load_input` reads
the whole table, or the run's window of a partitioned table, with exact types.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from netvisor_assets.tables.schema import SyncMode, Table
from netvisor_assets.timezone import HELSINKI
from netvisor_assets.warehouse.base import (
    SYSTEM_COLUMN_NAMES,
    FrameError,
    Warehouse,
    WarehouseError,
    WriteResult,
)
from netvisor_assets.warehouse.config import (
    DEFAULT_DUCKDB_SCHEMA,
    WarehouseSettings,
    duckdb_path_from_env,
)
from netvisor_assets.warehouse.duckdb_warehouse import DuckDBWarehouse

DEFAULT_TABLE_REGISTRY = "netvisor_assets.tables:get_table"
_REGISTRY_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def load_table_registry(path: str) -> Callable[[str], Table]:
    """Import the `module:function` that maps a table name to its registry `Table`."""
    if not _REGISTRY_PATH.match(path):
        raise WarehouseError(f"table_registry {path!r} must look like 'package.module:function'")
    module_name, function_name = path.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    if not callable(function):
        raise WarehouseError(f"table_registry {path!r} is not callable")
    return function


def helsinki_window(window: dg.TimeWindow) -> tuple[dt.date, dt.date]:
    """A partition time window as Helsinki dates [start, end), end exclusive."""
    return window.start.astimezone(HELSINKI).date(), window.end.astimezone(HELSINKI).date()


def _with_system_columns(frame: pd.DataFrame, run_id: str) -> pd.DataFrame:
    if "_synced_at" in frame.columns and "_run_id" in frame.columns:
        return frame
    frame = frame.copy()
    if "_synced_at" not in frame.columns:
        frame["_synced_at"] = pd.Series(
            [pd.Timestamp.now(tz="UTC")] * len(frame),
            index=frame.index,
            dtype="datetime64[ns, UTC]",
        )
    if "_run_id" not in frame.columns:
        frame["_run_id"] = pd.Series([run_id] * len(frame), index=frame.index, dtype=object)
    return frame


def write_output(
    warehouse: Warehouse,
    table: Table,
    frame: pd.DataFrame,
    run_id: str,
    window: tuple[dt.date, dt.date] | None,
) -> WriteResult:
    """Narrow `table` to the frame's columns and write it the way its sync mode says."""
    if not isinstance(frame, pd.DataFrame):
        raise FrameError(
            f"table {table.name}: the asset must return a pandas DataFrame, got {type(frame)}"
        )
    data_columns = [str(c) for c in frame.columns if c not in SYSTEM_COLUMN_NAMES]
    try:
        narrowed = table.with_columns(data_columns)
    except KeyError as exc:
        raise FrameError(str(exc.args[0]) if exc.args else str(exc)) from None
    frame = _with_system_columns(frame, run_id)
    if table.mode is SyncMode.PARTITIONED:
        if window is None:
            raise WarehouseError(
                f"table {table.name} is partitioned by {table.partition_column}: "
                "materialize it with a partition (or a partition range)"
            )
        return warehouse.replace_window(narrowed, frame, window[0], window[1])
    if table.mode is SyncMode.MERGE:
        return warehouse.merge(narrowed, frame)
    return warehouse.replace_all(narrowed, frame)


def result_metadata(warehouse: Warehouse, result: WriteResult) -> dict[str, Any]:
    """Output metadata; prefixed so it never collides with what the asset itself reports."""
    metadata: dict[str, Any] = {
        "warehouse/table": result.table,
        "warehouse/backend": warehouse.kind,
        "warehouse/mode": result.mode,
        "warehouse/rows_written": result.rows_written,
    }
    if result.rows_deleted is not None:
        metadata["warehouse/rows_deleted"] = result.rows_deleted
    if result.window_start is not None and result.window_end is not None:
        metadata["warehouse/window"] = (
            f"[{result.window_start.isoformat()}, {result.window_end.isoformat()})"
        )
    if result.columns_added:
        metadata["warehouse/columns_added"] = ", ".join(result.columns_added)
    if result.table_created:
        metadata["warehouse/table_created"] = True
    return metadata


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Shared implementation; subclasses only say which warehouse to open."""

    table_registry: str = Field(
        default=DEFAULT_TABLE_REGISTRY,
        description="Import path 'module:function' mapping a table name to its registry Table.",
    )

    def warehouse(self) -> Warehouse:
        raise NotImplementedError

    def _table(self, asset_key: dg.AssetKey) -> Table:
        return load_table_registry(self.table_registry)(asset_key.path[-1])

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        table = self._table(context.asset_key)
        window = (
            helsinki_window(context.asset_partitions_time_window)
            if (context.has_asset_partitions)
            else None
        )
        warehouse = self.warehouse()
        result = write_output(warehouse, table, obj, context.run_id, window)
        context.add_output_metadata(result_metadata(warehouse, result))

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        table = self._table(context.asset_key)
        warehouse = self.warehouse()
        if table.partition_column and context.has_asset_partitions:
            start, end = helsinki_window(context.asset_partitions_time_window)
            return warehouse.read(
                table.name,
                where=f"{table.partition_column} >= @start AND {table.partition_column} < @end",
                params={"start": start, "end": end},
            )
        return warehouse.read(table.name)


class DuckDBWarehouseIOManager(WarehouseIOManager):
    """Stores assets in the local DuckDB file (the default warehouse)."""

    path: str | None = Field(
        default=None,
        description="DuckDB file; default NETVISOR_DUCKDB_PATH or $DAGSTER_HOME/warehouse.duckdb.",
    )
    duckdb_schema: str = Field(default=DEFAULT_DUCKDB_SCHEMA, description="DuckDB schema name.")

    def warehouse(self) -> Warehouse:
        return DuckDBWarehouse(self.path or duckdb_path_from_env(), schema=self.duckdb_schema)


def _settings(environ: Mapping[str, str] | None) -> WarehouseSettings:
    return WarehouseSettings.from_env(environ)


def warehouse_from_env(environ: Mapping[str, str] | None = None) -> Warehouse:
    """The warehouse NETVISOR_WAREHOUSE selects (duckdb by default), for scripts and jobs."""
    settings = _settings(environ)
    if settings.backend == "bigquery":
        from dagster_gcp import BigQueryResource

        from netvisor_assets.warehouse.bigquery import BigQueryWarehouse

        resource = BigQueryResource(
            project=settings.bigquery_project, location=settings.bigquery_location
        )
        return BigQueryWarehouse.from_resource(resource, dataset=settings.bigquery_dataset)
    return DuckDBWarehouse(settings.duckdb_path, schema=DEFAULT_DUCKDB_SCHEMA)


def io_manager_from_env(environ: Mapping[str, str] | None = None) -> WarehouseIOManager:
    """The IO manager for `Definitions`, chosen like `warehouse_from_env`."""
    settings = _settings(environ)
    if settings.backend == "bigquery":
        from dagster_gcp import BigQueryResource

        from netvisor_assets.warehouse.bigquery_io import BigQueryWarehouseIOManager

        return BigQueryWarehouseIOManager(
            bigquery=BigQueryResource(
                project=settings.bigquery_project, location=settings.bigquery_location
            ),
            dataset=settings.bigquery_dataset,
        )
    return DuckDBWarehouseIOManager(path=str(settings.duckdb_path))
