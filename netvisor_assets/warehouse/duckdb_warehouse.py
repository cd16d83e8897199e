"""The embedded default backend: one DuckDB file, schema `netvisor`.

Why these choices:
- One short-lived connection per operation. Dagster runs each step in its own process and
  DuckDB lets only one process open a file for writing, so nobody may hold it between steps;
  a conflicting lock is retried briefly instead of failing the step.
- One transaction per write, DDL included (DuckDB's DDL is transactional), one `execute` per
  statement (DuckDB binds parameters only for the last statement of a multi-statement string).
  After a failed statement DuckDB refuses everything until ROLLBACK, so the error path always
  rolls back explicitly before re-raising.
- The frame travels as an Arrow table with decimal128(38, 9) columns; a pandas object column
  of Decimals would be scanned by DuckDB as DOUBLE. Reads go through Arrow too (never `.df()`,
  which turns DECIMAL into float64).
- No PRIMARY KEY constraint: keys are enforced by the shared validation and by the
  delete-then-insert / MERGE statements, and DuckDB's index would refuse re-inserting a key
  deleted earlier in the same transaction.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from netvisor_assets.tables.schema import NUMERIC_PRECISION, NUMERIC_SCALE, SyncMode, Table
from netvisor_assets.warehouse.base import STAGING_PREFIX, Load, Target, Warehouse, WriteResult
from netvisor_assets.warehouse.errors import WarehouseError
from netvisor_assets.warehouse.prepare import arrow_to_frame, key_columns, key_frame, to_arrow
from netvisor_assets.warehouse.sql import (
    ROWS_COLUMN,
    Quoter,
    check_identifier,
    normalise_type,
    plan_new_columns,
)

DUCKDB_TYPES: dict[str, str] = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "NUMERIC": f"DECIMAL({NUMERIC_PRECISION},{NUMERIC_SCALE})",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "BOOL": "BOOLEAN",
}
# Another process (a parallel Dagster step, a BI tool) holds the file; steps are short, so a
# write waits this long (NETVISOR_DUCKDB_LOCK_WAIT_SECONDS) before it fails with who holds it.
LOCK_RETRY_SECONDS = 30.0
LOCK_WAIT_VAR = "NETVISOR_DUCKDB_LOCK_WAIT_SECONDS"
_PID = re.compile(r"PID (\d+)")
LOCK_RETRY_INITIAL_DELAY = 0.05
LOCK_RETRY_MAX_DELAY = 1.0


_quote = Quoter('"')
_cols = _quote.cols


def _lock_wait() -> float:
    raw = (os.environ.get(LOCK_WAIT_VAR) or "").strip()
    try:
        return max(float(raw), 0.0) if raw else LOCK_RETRY_SECONDS
    except ValueError:
        return LOCK_RETRY_SECONDS


def _is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


@contextlib.contextmanager
def _transaction_on(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN, then COMMIT when the block succeeds, or ROLLBACK and re-raise when it fails.

    Without the explicit ROLLBACK DuckDB answers "Current transaction is aborted" to every
    later statement on the connection.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


class DuckDBWarehouse(Warehouse):
    """Warehouse in a local DuckDB file (the default, and the backend of most tests)."""

    kind = "duckdb"

    def __init__(self, path: str | Path, schema: str = "netvisor") -> None:
        self.path = Path(path)
        self.schema = check_identifier(schema, "schema name")
        self._catalog = "memory"  # set by each connection

    def __repr__(self) -> str:
        return f"DuckDBWarehouse(path={str(self.path)!r}, schema={self.schema!r})"

    # -- connections -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            # A read before the first write sees an empty warehouse, not a file error.
            con = duckdb.connect(":memory:")
        else:
            if not self.path.parent.is_dir():
                raise WarehouseError(
                    f"DuckDB folder {str(self.path.parent)!r} does not exist "
                    "(NETVISOR_DUCKDB_PATH); create it or fix the path"
                )
            # Reads never take the write lock: several readers (a BI tool, the checks) can
            # share the file, and a read never blocks a sync.
            con = self._open_with_retry(read_only)
        try:
            # Timestamps come back in UTC whatever the machine's timezone is.
            con.execute("SET TimeZone = 'UTC'")
            row = con.execute("SELECT current_database()").fetchone()
            # The catalog is named after the file: netvisor.duckdb gives a catalog "netvisor"
            # that clashes with the schema "netvisor" unless names are fully qualified.
            self._catalog = str(row[0]) if row else "memory"
            yield con
        finally:
            con.close()

    def _open_with_retry(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        wait = _lock_wait()
        deadline = time.monotonic() + wait
        delay = LOCK_RETRY_INITIAL_DELAY
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if not _is_lock_error(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseError(self._lock_message(exc, wait, read_only)) from None
                time.sleep(delay)
                delay = min(delay * 2, LOCK_RETRY_MAX_DELAY)

    def _lock_message(self, exc: BaseException, wait: float, read_only: bool) -> str:
        match = _PID.search(str(exc))
        holder = f"process {match.group(1)}" if match else "another process"
        if match:
            with contextlib.suppress(OSError):
                raw = Path(f"/proc/{match.group(1)}/cmdline").read_bytes()
                command = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
                if command:
                    holder += f" ({command[:120]})"
        action = "read" if read_only else "write to"
        return (
            f"cannot {action} the DuckDB file {self.path}: {holder} holds it open for writing "
            f"(waited {wait:.0f} s). A BI tool must open it read-only and disconnect while "
            "syncs run (or query a copy of the file); raise NETVISOR_DUCKDB_LOCK_WAIT_SECONDS "
            "to wait longer."
        )

    def _schema_ref(self) -> str:
        catalog = '"' + self._catalog.replace('"', '""') + '"'
        return f"{catalog}.{_quote(self.schema)}"

    def _ref(self, name: str) -> str:
        return f"{self._schema_ref()}.{_quote(name)}"

    def _transaction(self, work: Callable[[duckdb.DuckDBPyConnection], WriteResult]) -> WriteResult:
        with self._connect() as con, _transaction_on(con):
            return work(con)

    # -- schema ------------------------------------------------------------------------------

    def _columns(self, con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str] | None:
        rows = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [self.schema, name],
        ).fetchall()
        if not rows:
            return None
        return {column: normalise_type(type_) for column, type_ in rows}

    def _column_defs(self, table: Table) -> str:
        return ", ".join(f"{_quote(c.name)} {DUCKDB_TYPES[c.type]}" for c in table.all_columns)

    def _evolve(self, con: duckdb.DuckDBPyConnection, table: Table) -> tuple[bool, list[str]]:
        """Create the table or add its new columns; runs inside the write's transaction."""
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {self._schema_ref()}")
        existing = self._columns(con, table.name)
        if existing is None:
            con.execute(f"CREATE TABLE {self._ref(table.name)} ({self._column_defs(table)})")
            return True, []
        added = plan_new_columns(table, existing)
        for name in added:
            type_ = DUCKDB_TYPES[table.column(name).type]
            con.execute(f"ALTER TABLE {self._ref(table.name)} ADD COLUMN {_quote(name)} {type_}")
        return False, added

    def _register(self, con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame) -> str:
        view = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        con.register(view, to_arrow(table, frame))
        return view

    def _insert_select(self, table: Table, source: str) -> str:
        """The INSERT of a write (`source` is a quoted reference); a separate method so tests
        can make it fail mid-write."""
        return _quote.insert_select(
            self._ref(table.name), [c.name for c in table.all_columns], source
        )

    # -- writes ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def load(
        self, targets: Sequence[Target], *, labels: Mapping[str, str] | None = None
    ) -> Iterator[Load]:
        load = _DuckDBLoad(self, targets)
        try:
            yield load
        finally:
            if not load.committed:
                load.discard()

    def _apply(self, con: duckdb.DuckDBPyConnection, target: Target, staging: str) -> WriteResult:
        """One target's share of a load's commit, inside its transaction."""
        table = target.table
        source = self._ref(staging)
        rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()
        rows_written = int(rows[0]) if rows else 0
        if target.mode == "replace":
            existed = self._columns(con, table.name) is not None
            con.execute(
                f"CREATE OR REPLACE TABLE {self._ref(table.name)} ({self._column_defs(table)})"
            )
            con.execute(self._insert_select(table, source))
            return WriteResult(
                table=table.name,
                mode=SyncMode.FULL_REFRESH.value,
                rows_written=rows_written,
                table_created=not existed,
            )
        created, added = self._evolve(con, table)
        if target.mode == "merge":
            names = [c.name for c in table.all_columns]
            on = _quote.key_match(table.primary_key)
            set_ = _quote.assignments(n for n in names if n not in table.primary_key)
            con.execute(
                f"MERGE INTO {self._ref(table.name)} AS t USING {source} AS s ON ({on}) "
                f"WHEN MATCHED THEN UPDATE SET {set_} "
                f"WHEN NOT MATCHED THEN INSERT ({_cols(names)}) VALUES ({_cols(names, 's.')})"
            )
            return WriteResult(
                table=table.name,
                mode=SyncMode.MERGE.value,
                rows_written=rows_written,
                columns_added=tuple(added),
                table_created=created,
            )
        assert target.window is not None
        start, end = target.window
        part = _quote(table.partition_column or "")
        deleted = con.execute(
            f"DELETE FROM {self._ref(table.name)} WHERE {part} >= ? AND {part} < ?",
            [start, end],
        ).fetchone()
        con.execute(self._insert_select(table, source))
        return WriteResult(
            table=table.name,
            mode=SyncMode.PARTITIONED.value,
            rows_written=rows_written,
            rows_deleted=int(deleted[0]) if deleted else None,
            window_start=start,
            window_end=end,
            columns_added=tuple(added),
            table_created=created,
        )

    def delete_keys(self, table: Table, keys: pd.DataFrame | Iterable[Any]) -> WriteResult:
        frame = key_frame(table, keys)
        arrow = to_arrow(table, frame, key_columns(table))

        def work(con: duckdb.DuckDBPyConnection) -> WriteResult:
            if self._columns(con, table.name) is None:
                return WriteResult(table=table.name, mode="delete", rows_written=0, rows_deleted=0)
            source = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
            con.register(source, arrow)
            on = _quote.key_match(table.primary_key, left=self._ref(table.name))
            deleted = con.execute(
                f"DELETE FROM {self._ref(table.name)} USING {_quote(source)} AS s WHERE {on}"
            ).fetchone()
            return WriteResult(
                table=table.name,
                mode="delete",
                rows_written=0,
                rows_deleted=int(deleted[0]) if deleted else None,
            )

        return self._transaction(work)

    def drop_all(self) -> list[str]:
        with self._connect() as con:
            names = [
                row[0]
                for row in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = current_database() AND table_schema = ? "
                    "ORDER BY table_name",
                    [self.schema],
                ).fetchall()
            ]
            with _transaction_on(con):
                for name in names:
                    con.execute(f"DROP TABLE IF EXISTS {self._ref(name)}")
            # Dropped rows stay in the file's free blocks until a checkpoint rewrites them.
            con.execute("CHECKPOINT")
        return names

    def _drop(self, name: str) -> None:
        with self._connect() as con:
            con.execute(f"DROP TABLE IF EXISTS {self._ref(name)}")

    # -- reads -------------------------------------------------------------------------------

    def max_value(self, table_name: str, column: str) -> Any:
        check_identifier(table_name, "table name")
        if not self.path.exists():
            return None
        with self._connect(read_only=True) as con:
            stored = self._columns(con, table_name)
            if not stored or column not in stored:
                return None
            row = con.execute(
                f"SELECT max({_quote(column)}) FROM {self._ref(table_name)}"
            ).fetchone()
        return row[0] if row else None

    def table_columns(self, name: str) -> dict[str, str] | None:
        check_identifier(name, "table name")
        # Before the first write there is no table: asked before every sync, and opening even
        # an in-memory database costs ~25 ms (DuckDB builds its function catalog per instance).
        if not self.path.exists():
            return None
        with self._connect(read_only=True) as con:
            return self._columns(con, name)

    def _select(
        self,
        name: str,
        columns: Sequence[str] | None,
        where: str | None,
        params: Mapping[str, Any],
        more_than: int | None = None,
    ) -> pd.DataFrame:
        if not self.path.exists():
            self._selected_types(name, None, columns)  # raises: the table does not exist
        with self._connect(read_only=True) as con:
            stored = self._columns(con, name)
            types = self._selected_types(name, stored, columns)
            # The contract's parameters are BigQuery-style @name; DuckDB spells them $name.
            spelled = re.sub(r"@(\w+)", r"$\1", where) if where else None
            sql = _quote.select(self._ref(name), types, spelled, more_than)
            data = con.sql(sql, params=dict(params) or None).to_arrow_table()
        if more_than is not None:
            types[ROWS_COLUMN] = "INT64"
        return arrow_to_frame(data, types)


class _DuckDBLoad(Load):
    """Staging tables in the warehouse file, one per target, swapped in by one transaction.

    Each append is its own short transaction (the file is not held between windows, so a
    reader can get in); the commit deletes/merges/replaces every target from its staging
    table and drops the staging tables, all in one transaction.
    """

    def __init__(self, warehouse: DuckDBWarehouse, targets: Sequence[Target]) -> None:
        super().__init__(targets)
        self.warehouse = warehouse
        run = uuid.uuid4().hex
        self.staging = {name: f"{STAGING_PREFIX}{run}_{i}" for i, name in enumerate(self.targets)}
        self._created = False
        # Open only while `commit` runs (see there); between windows the file stays free.
        self._con: duckdb.DuckDBPyConnection | None = None

    def _transaction(self, work: Callable[[duckdb.DuckDBPyConnection], WriteResult]) -> None:
        if self._con is None:
            self.warehouse._transaction(work)
            return
        with _transaction_on(self._con):
            work(self._con)

    def _create(self, con: duckdb.DuckDBPyConnection) -> None:
        wh = self.warehouse
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {wh._schema_ref()}")
        for name, staging in self.staging.items():
            con.execute(
                f"CREATE TABLE {wh._ref(staging)} ({wh._column_defs(self.targets[name].table)})"
            )
        self._created = True

    def _stage(self, name: str, prepared: pd.DataFrame) -> None:
        table = self.targets[name].table
        wh = self.warehouse

        def work(con: duckdb.DuckDBPyConnection) -> WriteResult:
            if not self._created:
                self._create(con)
            view = wh._register(con, table, prepared)
            names = [c.name for c in table.all_columns]
            con.execute(_quote.insert_select(wh._ref(self.staging[name]), names, _quote(view)))
            return WriteResult(table=name, mode="stage", rows_written=len(prepared))

        self._transaction(work)

    def commit(self) -> dict[str, WriteResult]:
        wh = self.warehouse
        results: dict[str, WriteResult] = {}

        def work(con: duckdb.DuckDBPyConnection) -> WriteResult:
            if not self._created:
                self._create(con)
            for name, target in self.targets.items():
                results[name] = wh._apply(con, target, self.staging[name])
            for staging in self.staging.values():
                con.execute(f"DROP TABLE IF EXISTS {wh._ref(staging)}")
            return next(iter(results.values()))

        # The buffered rows of every table and the commit follow each other without a pause,
        # so they share one connection (each connect costs ~25 ms of DuckDB start-up); the
        # transactions stay what they were: one per staging write, then the commit.
        with wh._connect() as con:
            self._con = con
            try:
                self.flush()
                self._transaction(work)
            finally:
                self._con = None
        self.committed = True
        return results

    def discard(self) -> None:
        """Drop the staging tables of a load that did not commit (best effort)."""
        if not self._created:
            return
        wh = self.warehouse
        with contextlib.suppress(duckdb.Error, WarehouseError), wh._connect() as con:
            for staging in self.staging.values():
                con.execute(f"DROP TABLE IF EXISTS {wh._ref(staging)}")
