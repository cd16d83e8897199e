"""The warehouse layer: one contract (`base.Warehouse`), two backends, their IO managers.

DuckDB (a local file, the default) and BigQuery (production) store the same typed tables;
`NETVISOR_WAREHOUSE=duckdb|bigquery` picks one (`warehouse_from_env`, `io_manager_from_env`).
The BigQuery classes are imported when first asked for (`__getattr__`): a DuckDB process never
loads google-cloud-bigquery or dagster-gcp.
"""

from typing import Any

from netvisor_assets.warehouse.base import (
    FrameError,
    SchemaConflictError,
    Warehouse,
    WarehouseError,
    WriteResult,
)
from netvisor_assets.warehouse.config import WarehouseSettings, WarehouseSettingsError
from netvisor_assets.warehouse.duckdb_warehouse import DuckDBWarehouse
from netvisor_assets.warehouse.io_manager import (
    DuckDBWarehouseIOManager,
    WarehouseIOManager,
    io_manager_from_env,
    warehouse_from_env,
)

__all__ = [
    "BigQueryWarehouse",
    "BigQueryWarehouseIOManager",
    "DuckDBWarehouse",
    "DuckDBWarehouseIOManager",
    "FrameError",
    "SchemaConflictError",
    "Warehouse",
    "WarehouseError",
    "WarehouseIOManager",
    "WarehouseSettings",
    "WarehouseSettingsError",
    "WriteResult",
    "io_manager_from_env",
    "warehouse_from_env",
]


def __getattr__(name: str) -> Any:
    if name == "BigQueryWarehouse":
        from netvisor_assets.warehouse.bigquery import BigQueryWarehouse

        return BigQueryWarehouse
    if name == "BigQueryWarehouseIOManager":
        from netvisor_assets.warehouse.bigquery_io import BigQueryWarehouseIOManager

        return BigQueryWarehouseIOManager
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
