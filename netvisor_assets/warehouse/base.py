"""The warehouse contract: what every backend guarantees to the IO managers and assets.

A backend stores pandas frames described by a registry `Table` (already narrowed to the
frame's data columns with `Table.with_columns`) plus the system columns `_synced_at` and
`_run_id`. Every write is atomic: a reader sees the old content or the new one, never an
empty window or half a load. The shared validation below runs before anything is written,
so a bad frame fails with nothing changed, and both backends store identical values.

Conventions shared by all backends:
- Money is `decimal.Decimal` end to end. NUMERIC holds 9 decimal places; a value that needs
  more, a float, or more than 29 integer digits raises `FrameError` naming table and column.
  Trailing zeros beyond 9 places (`Decimal("1.500000000000")`) lose nothing and are accepted.
- Dates are `datetime.date`; timestamps must be timezone-aware and are stored in UTC.
- Identifiers (tables, columns) must match `IDENTIFIER` (lower case); values only ever travel
  as query parameters or loaded data, never inside SQL text.
- Primary keys are never NULL. Rows repeated with identical values are collapsed (Netvisor's
  paging can return a document twice); two different rows with the same key raise, because
  picking one silently could store the stale version of a booking.
- Schema evolution runs before each load: a missing table is created from the registry types,
  a new column is added, a column absent from the frame stays (NULL in new rows) except in
  `replace_all`, which makes the table exactly the frame's columns. A column whose stored type
  differs from the registry raises (an incremental load cannot retype history).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from netvisor_assets.tables.schema import SYSTEM_COLUMNS, Table

# Re-exported: the contract's names have always been importable from `warehouse.base`.
from netvisor_assets.warehouse.errors import FrameError, SchemaConflictError, WarehouseError
from netvisor_assets.warehouse.prepare import (
    ARROW_TYPES,
    arrow_to_frame,
    check_window,
    key_columns,
    key_frame,
    prepare_frame,
    to_arrow,
)
from netvisor_assets.warehouse.sql import (
    IDENTIFIER,
    ROWS_COLUMN,
    check_identifier,
    check_table,
    check_where,
    normalise_type,
    plan_new_columns,
)

__all__ = [
    "ARROW_TYPES",
    "IDENTIFIER",
    "ROWS_COLUMN",
    "STAGE_BATCH_ROWS",
    "STAGING_PREFIX",
    "SYSTEM_COLUMN_NAMES",
    "FrameError",
    "Load",
    "LoadMode",
    "SchemaConflictError",
    "Target",
    "Warehouse",
    "WarehouseError",
    "WriteResult",
    "arrow_to_frame",
    "check_identifier",
    "check_table",
    "check_where",
    "check_window",
    "key_columns",
    "key_frame",
    "normalise_type",
    "plan_new_columns",
    "prepare_frame",
    "to_arrow",
]

# Staging tables share this prefix so `drop_all` and the expiry cover leftovers of killed runs.
STAGING_PREFIX = "_staging_"
SYSTEM_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in SYSTEM_COLUMNS)


@dataclasses.dataclass(frozen=True)
class WriteResult:
    """What one write did; the IO managers turn it into Dagster output metadata."""

    table: str
    mode: str
    rows_written: int
    rows_deleted: int | None = None  # None where the backend does not report it
    window_start: dt.date | None = None
    window_end: dt.date | None = None  # exclusive
    columns_added: tuple[str, ...] = ()
    table_created: bool = False


LoadMode = Literal["window", "merge", "replace"]
# Rows of one table buffered in memory before they are written to its staging table.
STAGE_BATCH_ROWS = 50_000


@dataclasses.dataclass(frozen=True)
class Target:
    """One table of a load and how its staged rows replace what is stored.

    - `window`: the rows with `start <= partition column < end` are replaced (`window`);
    - `merge`: upsert on the primary key;
    - `replace`: the table becomes exactly the staged rows and the table's columns.
    """

    table: Table
    mode: LoadMode
    window: tuple[dt.date, dt.date] | None = None

    def __post_init__(self) -> None:
        if self.mode == "window" and self.window is None:
            raise FrameError(f"table {self.table.name}: a window load needs a window")


class Load(ABC):
    """Rows staged window by window, then committed to every target in ONE transaction.

    Why: a document's header and lines come from the same responses and must never disagree
    (a voucher replaced while its lines stay old); and a long range is fetched window by window
    so memory stays flat, yet a run that fails half-way must leave every table as it was.
    `append` validates and stages (nothing visible changes); `commit` swaps every target at
    once; leaving the block without `commit` (an error) drops the staging and changes nothing.
    """

    def __init__(self, targets: Sequence[Target]) -> None:
        names = [t.table.name for t in targets]
        if len(set(names)) != len(names):
            raise FrameError(f"a load names a table twice: {names}")
        for target in targets:
            check_table(target.table)
        self.targets = {t.table.name: t for t in targets}
        self.staged = dict.fromkeys(names, 0)
        self.committed = False
        self._buffer: dict[str, list[pd.DataFrame]] = {n: [] for n in names}
        self._buffered = dict.fromkeys(names, 0)

    def append(self, name: str, frame: pd.DataFrame) -> int:
        """Validate and stage rows for table `name`; returns the rows staged.

        Validated frames are buffered up to `STAGE_BATCH_ROWS` rows per table before they go
        to the staging table: a month window is often a few hundred rows, and one staging write
        per window (a connection, a BigQuery load job) would cost more than the rows.
        """
        return len(self.stage(name, frame))

    def stage(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """`append`, returning the validated rows as staged (for checks that compare them)."""
        prepared = self.prepare(name, frame)
        if len(prepared):
            self._buffer[name].append(prepared)
            self._buffered[name] += len(prepared)
        self.staged[name] += len(prepared)
        if self._buffered[name] >= STAGE_BATCH_ROWS:
            self.flush(name)
        return prepared

    def flush(self, name: str | None = None) -> None:
        """Write buffered rows to the staging table(s)."""
        for table in [name] if name is not None else list(self.targets):
            frames = self._buffer[table]
            if not frames:
                continue
            data = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            self._buffer[table] = []
            self._buffered[table] = 0
            self._stage(table, data)

    @abstractmethod
    def _stage(self, name: str, prepared: pd.DataFrame) -> None:
        """Append validated rows to the table's staging area."""

    def prepare(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Validate one frame for its target before it is staged (raises FrameError)."""
        target = self.targets.get(name)
        if target is None:
            raise FrameError(f"table {name} is not a target of this load")
        prepared = prepare_frame(target.table, frame)
        if target.window is not None:
            check_window(target.table, prepared, *target.window)
        return prepared

    @abstractmethod
    def commit(self) -> dict[str, WriteResult]:
        """Apply every target in one transaction; the results by table name."""


class Warehouse(ABC):
    """One contract, two backends. Every write is atomic and validates before changing anything."""

    #: short name for metadata and logs ("duckdb", "bigquery")
    kind: str = "warehouse"

    @abstractmethod
    def load(
        self, targets: Sequence[Target], *, labels: Mapping[str, str] | None = None
    ) -> contextlib.AbstractContextManager[Load]:
        """A multi-table load (see `Load`); `labels` tag the backend's jobs (run id, table)."""

    def _single(self, target: Target, frame: pd.DataFrame) -> WriteResult:
        with self.load([target]) as load:
            load.append(target.table.name, frame)
            return load.commit()[target.table.name]

    def replace_window(
        self, table: Table, frame: pd.DataFrame, start: dt.date, end: dt.date
    ) -> WriteResult:
        """Atomically replace the rows with `start <= partition column < end` by `frame`.

        Rows of `frame` outside the window raise FrameError. An empty frame empties the
        window (a day without documents). Re-running with the same frame is a no-op in content.
        """
        return self._single(Target(table, "window", (start, end)), frame)

    def merge(self, table: Table, frame: pd.DataFrame) -> WriteResult:
        """Upsert `frame` on `table.primary_key`: matched rows get the frame's columns, others
        are inserted. Columns not in the frame keep their stored values."""
        if not table.primary_key:
            raise WarehouseError(f"table {table.name} has no primary key to merge on")
        return self._single(Target(table, "merge"), frame)

    def replace_all(self, table: Table, frame: pd.DataFrame) -> WriteResult:
        """Atomically make the table exactly `frame`: its rows and its columns."""
        return self._single(Target(table, "replace"), frame)

    def read(
        self,
        table_name: str,
        columns: Sequence[str] | None = None,
        where: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Rows of a table, with exact types (see `arrow_to_frame`).

        `where` is a SQL boolean expression written by code (never by a user) that refers to
        values only as `@name` parameters given in `params`, e.g.
        `read("vouchers", where="voucher_date >= @start", params={"start": date(2025, 1, 1)})`.
        """
        check_identifier(table_name, "table name")
        check_where(where, params)
        return self._select(table_name, columns, where, dict(params or {}))

    def group_counts(
        self,
        table_name: str,
        columns: Sequence[str],
        where: str | None = None,
        params: Mapping[str, Any] | None = None,
        more_than: int = 0,
    ) -> pd.DataFrame:
        """The distinct values of `columns` and how many rows hold each (`ROWS_COLUMN`), only
        those held by more than `more_than` rows.

        Why: a check over five years of a busy ledger needs the shape of the rows (rows per
        day, repeated keys) without holding a million of them; the warehouse counts them.
        """
        check_identifier(table_name, "table name")
        check_where(where, params)
        return self._select(table_name, columns, where, dict(params or {}), more_than=more_than)

    @abstractmethod
    def _select(
        self,
        name: str,
        columns: Sequence[str] | None,
        where: str | None,
        params: Mapping[str, Any],
        more_than: int | None = None,
    ) -> pd.DataFrame:
        """The backend's half of `read` and `group_counts` (`more_than` given), once the table
        name and `where` are validated."""

    def _selected_types(
        self, table_name: str, stored: Mapping[str, str] | None, columns: Sequence[str] | None
    ) -> dict[str, str]:
        """The columns a read selects (all stored ones by default) and their stored types, in
        selection order; raises for a missing table or a column it does not have."""
        if stored is None:
            raise WarehouseError(f"table {table_name} does not exist in {self!r}")
        wanted = list(columns) if columns is not None else list(stored)
        unknown = [c for c in wanted if c not in stored]
        if unknown:
            raise WarehouseError(f"table {table_name} has no columns {unknown}")
        return {c: stored[c] for c in wanted}

    def max_value(self, table_name: str, column: str) -> Any:
        """The largest value of a column (None for an empty or missing table)."""
        if not (self.table_columns(table_name) or {}).get(column):
            return None
        frame = self.read(table_name, columns=[column])
        values = [v for v in frame[column].tolist() if v is not None and v == v]
        return max(values, default=None)

    @abstractmethod
    def table_columns(self, name: str) -> dict[str, str] | None:
        """Stored columns and their registry types (NUMERIC, DATE, ...), or None if no table."""

    @abstractmethod
    def drop_all(self) -> list[str]:
        """Drop every table of the warehouse's dataset/schema (GDPR wipe); returns their names.

        The dataset (BigQuery) or schema (DuckDB) belongs to this code location alone, so
        everything in it, staging leftovers included, may hold synced personal data.
        """

    def drop_table(self, name: str) -> bool:
        """Drop one table if it exists (a full refresh rebuilds it); True when it existed."""
        check_identifier(name, "table name")
        existed = self.table_columns(name) is not None
        self._drop(name)
        return existed

    @abstractmethod
    def _drop(self, name: str) -> None:
        """Drop the (validated) table `name` if it exists."""

    @abstractmethod
    def delete_keys(self, table: Table, keys: pd.DataFrame | Iterable[Any]) -> WriteResult:
        """Atomically delete the rows with the given primary keys (documents deleted upstream).

        `keys` is a frame with exactly the key columns, or tuples (scalars for one-column keys).
        """
