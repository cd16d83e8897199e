"""The production backend: Google BigQuery through dagster-gcp's `BigQueryResource`.

Why this write path (see /work/shared/bigquery-emulator.md for the probes behind it):
- The frame is loaded with an explicit schema into a uniquely named staging table created
  first with `expires` set. The staging table exists before the transaction because BigQuery
  refuses permanent-table DDL inside one, and the expiry removes it even if this process dies.
- The partition window is replaced by ONE query job: a script whose transaction deletes the
  window and inserts the staging rows; an error rolls it back and re-raises the original
  message. Dagster's stock IO manager deletes and loads in two jobs, so a failed load leaves
  an empty window; this one never does.
- MERGE (one statement) upserts on the key; CREATE OR REPLACE TABLE .. AS SELECT replaces a
  full-refresh table in one statement, partitioning and clustering included.
- Partition decorators (`t$20240105`) are avoided: the emulator cannot test them.
- Everything is reachable with the emulator: with BIGQUERY_EMULATOR_HOST set the client uses
  anonymous credentials and that endpoint instead of Google's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
from google.api_core import exceptions as gexc
from google.cloud import bigquery

from netvisor_assets.tables.schema import Column, SyncMode, Table
from netvisor_assets.warehouse.base import STAGING_PREFIX, Load, Target, Warehouse, WriteResult
from netvisor_assets.warehouse.bigquery_client import (
    ClientFactory,
    job_labels,
    query_parameter,
    resource_client_factory,
)

# Re-exported: the tests make their emulator clients with it from here.
from netvisor_assets.warehouse.bigquery_client import emulator_client as emulator_client
from netvisor_assets.warehouse.errors import WarehouseError
from netvisor_assets.warehouse.prepare import arrow_to_frame, key_columns, key_frame
from netvisor_assets.warehouse.sql import (
    ROWS_COLUMN,
    Quoter,
    check_identifier,
    normalise_type,
    plan_new_columns,
)

# Long enough for a slow load plus the transaction, short because staging rows may hold
# personal data; the normal path deletes the staging table at once.
STAGING_TTL = dt.timedelta(hours=3)
JOB_TIMEOUT_SECONDS = 1800.0
# BigQuery clusters on at most four columns.
MAX_CLUSTERING_FIELDS = 4
# Finnish accounting data must not land in the US by accident (BigQuery's own default).
DEFAULT_LOCATION = "EU"

_quote = Quoter("`")
_cols = _quote.cols


def _field(col: Column) -> bigquery.SchemaField:
    return bigquery.SchemaField(col.name, col.type, mode="NULLABLE", description=col.description)


def _schema(columns: Sequence[Column]) -> list[bigquery.SchemaField]:
    return [_field(c) for c in columns]


class BigQueryWarehouse(Warehouse):
    """Warehouse in one BigQuery dataset, owned by this code location."""

    kind = "bigquery"

    def __init__(
        self,
        client_factory: ClientFactory,
        dataset: str = "netvisor",
        location: str | None = None,
    ) -> None:
        self._client_factory = client_factory
        self.dataset = check_identifier(dataset, "dataset name")
        self.location = location
        self._dataset_ready = False
        # Job labels (dagster run id, table) so a billing export shows what each job was.
        self.labels: dict[str, str] = {}

    @classmethod
    def from_resource(cls, resource: Any, dataset: str = "netvisor") -> BigQueryWarehouse:
        """The warehouse behind a dagster-gcp `BigQueryResource`."""
        return cls(resource_client_factory(resource), dataset=dataset, location=resource.location)

    def __repr__(self) -> str:
        return f"BigQueryWarehouse(dataset={self.dataset!r}, location={self.location!r})"

    # -- plumbing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _client(self) -> Iterator[bigquery.Client]:
        with self._client_factory() as client:
            yield client

    def _table_id(self, client: bigquery.Client, name: str) -> str:
        return f"{client.project}.{self.dataset}.{check_identifier(name, 'table name')}"

    def _ref(self, client: bigquery.Client, name: str) -> str:
        return f"`{self._table_id(client, name)}`"

    def _ensure_dataset(self, client: bigquery.Client) -> None:
        """Create the dataset only when it is missing.

        `create_dataset(exists_ok=True)` needs `bigquery.datasets.create` on the project on
        every call, which a least-privilege account (Data Editor on the dataset + Job User)
        lacks; `get_dataset` needs only read access to the dataset itself.
        """
        if self._dataset_ready:
            return
        dataset_id = f"{client.project}.{self.dataset}"
        try:
            client.get_dataset(dataset_id)
        except gexc.NotFound:
            dataset = bigquery.Dataset(dataset_id)
            dataset.location = self.location or DEFAULT_LOCATION
            try:
                client.create_dataset(dataset)
            except gexc.Conflict:
                pass  # created by another run meanwhile
            except gexc.Forbidden as exc:
                raise WarehouseError(
                    f"dataset {dataset_id} does not exist and this account may not create it "
                    "(needs bigquery.datasets.create); create it once in the console, in the "
                    "EU (or your BIGQUERY_LOCATION)"
                ) from exc
        self._dataset_ready = True

    def _query(
        self,
        client: bigquery.Client,
        sql: str,
        params: Sequence[bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter] = (),
        labels: Mapping[str, str] | None = None,
    ) -> bigquery.QueryJob:
        config = bigquery.QueryJobConfig(
            query_parameters=list(params), labels=job_labels(labels or self.labels)
        )
        job = client.query(sql, job_config=config, location=self.location)
        job.result(timeout=JOB_TIMEOUT_SECONDS)
        return job

    def _stored_columns(self, client: bigquery.Client, name: str) -> dict[str, str] | None:
        try:
            table = client.get_table(self._table_id(client, name))
        except gexc.NotFound:
            return None
        return {f.name: normalise_type(f.field_type) for f in table.schema}

    def _evolve(self, client: bigquery.Client, table: Table) -> tuple[bool, list[str]]:
        """Create the table or add its new columns (before the write's transaction)."""
        self._ensure_dataset(client)
        existing = self._stored_columns(client, table.name)
        if existing is None:
            bq_table = bigquery.Table(
                self._table_id(client, table.name), schema=_schema(table.all_columns)
            )
            bq_table.description = table.description
            if table.partition_column:
                bq_table.time_partitioning = bigquery.TimePartitioning(
                    type_=bigquery.TimePartitioningType.DAY, field=table.partition_column
                )
            if table.primary_key:
                bq_table.clustering_fields = list(table.primary_key[:MAX_CLUSTERING_FIELDS])
            try:
                client.create_table(bq_table)
                return True, []
            except gexc.Conflict:
                # Another run created it meanwhile; fall through to the column check.
                existing = self._stored_columns(client, table.name) or {}
        added = plan_new_columns(table, existing)
        if added:
            # Nullable columns only: stored rows get NULL, which is what "not synced then"
            # means. One schema update adds all of them, each with its registry description
            # (an ALTER per column would be a job each, and ALTER .. ADD COLUMN drops them).
            bq_table = client.get_table(self._table_id(client, table.name))
            bq_table.schema = [*bq_table.schema, *(_field(table.column(n)) for n in added)]
            client.update_table(bq_table, ["schema"])
        return False, added

    def _create_staging(self, client: bigquery.Client, columns: Sequence[Column]) -> str:
        """A uniquely named, expiring staging table (it may hold personal data)."""
        self._ensure_dataset(client)
        name = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        staging = bigquery.Table(self._table_id(client, name), schema=_schema(columns))
        staging.expires = dt.datetime.now(dt.UTC) + STAGING_TTL
        client.create_table(staging)
        return name

    def _append_staging(
        self,
        client: bigquery.Client,
        name: str,
        columns: Sequence[Column],
        frame: pd.DataFrame,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if not len(frame):
            return
        config = bigquery.LoadJobConfig(
            schema=_schema(columns),
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            labels=job_labels(labels or self.labels),
        )
        with warnings.catch_warnings():
            # The client nudges towards pandas-gbq, which this project does not use: its own
            # explicit-schema parquet load is what keeps NUMERIC exact.
            warnings.filterwarnings("ignore", message=".*pandas.gbq.*")
            warnings.filterwarnings("ignore", message="Loading DataFrames via")
            job = client.load_table_from_dataframe(
                frame[[c.name for c in columns]],
                self._table_id(client, name),
                job_config=config,
                location=self.location,
            )
        job.result(timeout=JOB_TIMEOUT_SECONDS)

    @contextlib.contextmanager
    def _staging(
        self, client: bigquery.Client, columns: Sequence[Column], frame: pd.DataFrame
    ) -> Iterator[str]:
        """A uniquely named staging table holding `frame`; deleted when the block ends."""
        name = self._create_staging(client, columns)
        try:
            self._append_staging(client, name, columns, frame)
            yield name
        finally:
            client.delete_table(self._table_id(client, name), not_found_ok=True)

    def _insert_select(self, client: bigquery.Client, table: Table, source: str) -> str:
        """The INSERT of a window write; a separate method so tests can make it fail mid-write."""
        names = [c.name for c in table.all_columns]
        return _quote.insert_select(self._ref(client, table.name), names, self._ref(client, source))

    # -- writes ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def load(
        self, targets: Sequence[Target], *, labels: Mapping[str, str] | None = None
    ) -> Iterator[Load]:
        with self._client() as client:
            load = _BigQueryLoad(self, client, targets, dict(labels or {}))
            try:
                yield load
            finally:
                load.discard()

    def _statement(self, client: bigquery.Client, target: Target, staging: str, i: int) -> str:
        """One target's statements inside the load's transaction script."""
        table = target.table
        names = [c.name for c in table.all_columns]
        ref = self._ref(client, table.name)
        if target.mode == "merge":
            # UPDATE .. FROM then INSERT .. WHERE NOT EXISTS is MERGE's meaning (columns not
            # loaded keep their values) in two DML statements, which run inside a transaction
            # on BigQuery and on the emulator alike (the emulator fails MERGE in one).
            source = self._ref(client, staging)
            on = _quote.key_match(table.primary_key)
            set_ = _quote.assignments(n for n in names if n not in table.primary_key)
            update = f"UPDATE {ref} t SET {set_} FROM {source} s WHERE {on};\n  " if set_ else ""
            return (
                f"{update}INSERT INTO {ref} ({_cols(names)}) SELECT {_cols(names, 's.')} "
                f"FROM {source} s WHERE NOT EXISTS (SELECT 1 FROM {ref} t WHERE {on});"
            )
        if target.mode == "replace":
            # DELETE + INSERT rather than CREATE OR REPLACE .. AS SELECT: the table keeps its
            # descriptions, partitioning and clustering, and DDL may not run in a transaction.
            where = "TRUE"
        else:
            part = _quote(table.partition_column or "")
            where = f"{part} >= @start_{i} AND {part} < @end_{i}"
        return f"DELETE FROM {ref} WHERE {where};\n  {self._insert_select(client, table, staging)};"

    def delete_keys(self, table: Table, keys: pd.DataFrame | Iterable[Any]) -> WriteResult:
        frame = key_frame(table, keys)
        with self._client() as client:
            if self._stored_columns(client, table.name) is None or not len(frame):
                return WriteResult(table=table.name, mode="delete", rows_written=0, rows_deleted=0)
            with self._staging(client, key_columns(table), frame) as source:
                on = _quote.key_match(table.primary_key, left="s", right="t")
                job = self._query(
                    client,
                    f"DELETE FROM {self._ref(client, table.name)} t WHERE EXISTS "
                    f"(SELECT 1 FROM {self._ref(client, source)} s WHERE {on})",
                )
        return WriteResult(
            table=table.name,
            mode="delete",
            rows_written=0,
            rows_deleted=job.num_dml_affected_rows,
        )

    def drop_all(self) -> list[str]:
        with self._client() as client:
            try:
                tables = list(client.list_tables(f"{client.project}.{self.dataset}"))
            except gexc.NotFound:
                return []
            names = sorted(t.table_id for t in tables)
            for name in names:
                client.delete_table(f"{client.project}.{self.dataset}.{name}", not_found_ok=True)
        return names

    def _drop(self, name: str) -> None:
        with self._client() as client:
            client.delete_table(f"{client.project}.{self.dataset}.{name}", not_found_ok=True)

    # -- reads -------------------------------------------------------------------------------

    def table_columns(self, name: str) -> dict[str, str] | None:
        with self._client() as client:
            return self._stored_columns(client, name)

    def _select(
        self,
        name: str,
        columns: Sequence[str] | None,
        where: str | None,
        params: Mapping[str, Any],
        more_than: int | None = None,
    ) -> pd.DataFrame:
        with self._client() as client:
            types = self._selected_types(name, self._stored_columns(client, name), columns)
            sql = _quote.select(self._ref(client, name), types, where, more_than)
            job = self._query(client, sql, [query_parameter(k, v) for k, v in params.items()])
            # Never the Storage Read API: it bypasses the emulator and is not installed.
            data = job.to_arrow(create_bqstorage_client=False)
        if more_than is not None:
            types[ROWS_COLUMN] = "INT64"
        return arrow_to_frame(data, types)


class _BigQueryLoad(Load):
    """Expiring staging tables, one per target, applied by ONE multi-statement transaction.

    DDL cannot run inside a BigQuery transaction, so the targets are created or get their new
    columns (with descriptions) before it, and a full-refresh table drops deselected columns
    before it; the rows change only in the transaction.
    """

    def __init__(
        self,
        warehouse: BigQueryWarehouse,
        client: bigquery.Client,
        targets: Sequence[Target],
        labels: dict[str, str],
    ) -> None:
        super().__init__(targets)
        self.warehouse = warehouse
        self.client = client
        self.labels = labels
        self.staging: dict[str, str] = {}

    def _staging_for(self, name: str) -> str:
        if name not in self.staging:
            columns = self.targets[name].table.all_columns
            self.staging[name] = self.warehouse._create_staging(self.client, columns)
        return self.staging[name]

    def _stage(self, name: str, prepared: pd.DataFrame) -> None:
        staging = self._staging_for(name)
        columns = self.targets[name].table.all_columns
        labels = {**self.labels, "netvisor_table": name}
        self.warehouse._append_staging(self.client, staging, columns, prepared, labels)

    def commit(self) -> dict[str, WriteResult]:
        wh, client = self.warehouse, self.client
        self.flush()
        evolved: dict[str, tuple[bool, list[str]]] = {}
        params: list[bigquery.ScalarQueryParameter] = []
        statements: list[str] = []
        for i, (name, target) in enumerate(self.targets.items()):
            staging = self._staging_for(name)
            evolved[name] = wh._evolve(client, target.table)
            if target.mode == "replace":
                self._drop_vanished(target.table)
            if target.window is not None:
                params.append(bigquery.ScalarQueryParameter(f"start_{i}", "DATE", target.window[0]))
                params.append(bigquery.ScalarQueryParameter(f"end_{i}", "DATE", target.window[1]))
            statements.append(wh._statement(client, target, staging, i))
        body = "\n  ".join(statements)
        script = (
            "BEGIN\n"
            "  BEGIN TRANSACTION;\n"
            f"  {body}\n"
            "  COMMIT TRANSACTION;\n"
            "EXCEPTION WHEN ERROR THEN\n"
            "  ROLLBACK TRANSACTION;\n"
            "  RAISE USING MESSAGE = @@error.message;\n"
            "END;"
        )
        labels = {**self.labels, "netvisor_table": "_".join(self.targets)[:63]}
        wh._query(client, script, params, labels)
        self.committed = True
        results = {}
        for name, target in self.targets.items():
            created, added = evolved[name]
            mode = {
                "window": SyncMode.PARTITIONED.value,
                "merge": SyncMode.MERGE.value,
                "replace": SyncMode.FULL_REFRESH.value,
            }[target.mode]
            results[name] = WriteResult(
                table=name,
                mode=mode,
                rows_written=self.staged[name],
                window_start=target.window[0] if target.window else None,
                window_end=target.window[1] if target.window else None,
                columns_added=tuple(added),
                table_created=created,
            )
        return results

    def _drop_vanished(self, table: Table) -> None:
        wh, client = self.warehouse, self.client
        stored = wh._stored_columns(client, table.name) or {}
        wanted = {c.name for c in table.all_columns}
        vanished = [c for c in stored if c not in wanted]
        if vanished:
            drops = ", ".join(f"DROP COLUMN IF EXISTS {_quote(c)}" for c in vanished)
            wh._query(client, f"ALTER TABLE {wh._ref(client, table.name)} {drops}")

    def discard(self) -> None:
        for staging in self.staging.values():
            with contextlib.suppress(gexc.GoogleAPIError):
                self.client.delete_table(
                    self.warehouse._table_id(self.client, staging), not_found_ok=True
                )
        self.staging.clear()
