"""The BigQuery IO manager, in a module of its own so that a DuckDB code location never imports
google-cloud-bigquery and dagster-gcp (about 30-45 MB of every process: the code server, each
run worker, the CLI sync)."""

from __future__ import annotations

from dagster_gcp import BigQueryResource
from pydantic import Field

from netvisor_assets.warehouse.base import Warehouse
from netvisor_assets.warehouse.bigquery import BigQueryWarehouse
from netvisor_assets.warehouse.config import DEFAULT_DATASET
from netvisor_assets.warehouse.io_manager import WarehouseIOManager


class BigQueryWarehouseIOManager(WarehouseIOManager):
    """Stores assets in BigQuery through dagster-gcp's BigQueryResource."""

    bigquery: BigQueryResource
    dataset: str = Field(default=DEFAULT_DATASET, description="BigQuery dataset (created).")

    def warehouse(self) -> Warehouse:
        return BigQueryWarehouse.from_resource(self.bigquery, dataset=self.dataset)
