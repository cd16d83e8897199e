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
import decimal
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from netvisor_assets.tables.schema import (
    NUMERIC_PRECISION,
    NUMERIC_SCALE,
    SYSTEM_COLUMNS,
    Column,
    SyncMode,
    Table,
    WarehouseType,
)

# Lower case, starts with a letter or underscore, short enough for BigQuery and DuckDB alike.
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,127}$")
# Staging tables share this prefix so `drop_all` and the expiry cover leftovers of killed runs.
STAGING_PREFIX = "_staging_"
SYSTEM_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in SYSTEM_COLUMNS)

_QUANTUM = decimal.Decimal(1).scaleb(-NUMERIC_SCALE)
_MAX_INTEGER_DIGITS = NUMERIC_PRECISION - NUMERIC_SCALE
# Integers beyond 2**53 are not exact in a float64 column that pandas made from ints + None.
_MAX_EXACT_FLOAT_INT = 2**53

ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "NUMERIC": pa.decimal128(NUMERIC_PRECISION, NUMERIC_SCALE),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "BOOL": pa.bool_(),
}


class WarehouseError(Exception):
    """A write or read the warehouse refused; nothing was changed."""


class FrameError(WarehouseError, ValueError):
    """The frame does not fit the table (columns, types, keys, window); nothing was written."""


class SchemaConflictError(WarehouseError):
    """The stored table disagrees with the registry in a way a load must not paper over."""


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


def check_identifier(name: str, what: str = "identifier") -> str:
    """Return `name` if it is a safe SQL identifier; identifiers are spliced into SQL text."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise WarehouseError(
            f"invalid {what} {name!r}: use lower-case letters, digits and underscores "
            "(starting with a letter or underscore, at most 128 characters)"
        )
    return name


def check_table(table: Table) -> None:
    """Validate every identifier of a table before any SQL is built from it."""
    check_identifier(table.name, "table name")
    for col in table.all_columns:
        check_identifier(col.name, f"column name in table {table.name}")


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    # A float NaN is how pandas marks a missing value; a Decimal NaN is a broken amount and
    # is left to the NUMERIC check to refuse.
    return isinstance(value, float | np.floating) and math.isnan(value)


def _numeric(value: Any, where: str) -> decimal.Decimal:
    if isinstance(value, bool | np.bool_):
        raise FrameError(f"{where}: boolean {value!r} in a NUMERIC column")
    if isinstance(value, int | np.integer):
        value = decimal.Decimal(int(value))
    if isinstance(value, float | np.floating):
        raise FrameError(
            f"{where}: float {value!r} in a NUMERIC column; money must be decimal.Decimal "
            "(a float has already lost the exact amount)"
        )
    if not isinstance(value, decimal.Decimal):
        raise FrameError(f"{where}: {type(value).__name__} {value!r} in a NUMERIC column")
    if not value.is_finite():
        raise FrameError(f"{where}: {value!r} is not a finite amount")
    try:
        exact = value.quantize(_QUANTUM, context=decimal.Context(prec=80))
    except decimal.InvalidOperation as exc:
        raise FrameError(f"{where}: {value!r} cannot be stored as NUMERIC") from exc
    if exact != value:
        raise FrameError(
            f"{where}: {value} has more than {NUMERIC_SCALE} decimal places; NUMERIC keeps "
            f"{NUMERIC_SCALE} and this value would be rounded"
        )
    if exact.adjusted() >= _MAX_INTEGER_DIGITS:
        raise FrameError(
            f"{where}: {value} has more than {_MAX_INTEGER_DIGITS} integer digits (NUMERIC limit)"
        )
    return exact


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, pd.Timestamp | dt.datetime):
        # A midnight timestamp is how pandas stores dates in datetime64 columns; anything
        # else would drop the time of day, which is never what a DATE column means.
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date()
        raise FrameError(f"{where}: timestamp {value!r} in a DATE column")
    if isinstance(value, dt.date):
        return value
    raise FrameError(f"{where}: {type(value).__name__} {value!r} in a DATE column")


def _timestamp(value: Any, where: str) -> pd.Timestamp:
    if isinstance(value, dt.datetime | pd.Timestamp):
        if value.tzinfo is None:
            raise FrameError(
                f"{where}: naive timestamp {value!r}; TIMESTAMP values must carry a timezone"
            )
        # Both warehouses keep microseconds; nanoseconds would make the Arrow cast fail.
        return pd.Timestamp(value).tz_convert("UTC").floor("us")
    raise FrameError(f"{where}: {type(value).__name__} {value!r} in a TIMESTAMP column")


def _int64(value: Any, where: str) -> int:
    if isinstance(value, bool | np.bool_):
        raise FrameError(f"{where}: boolean {value!r} in an INT64 column")
    if isinstance(value, int | np.integer):
        return int(value)
    # pandas turns an int column with a missing value into float64: accept whole floats in
    # the exactly representable range, refuse the rest.
    if (
        isinstance(value, float | np.floating)
        and value.is_integer()
        and abs(value) <= _MAX_EXACT_FLOAT_INT
    ):
        return int(value)
    if isinstance(value, decimal.Decimal) and value.is_finite() and value == value.to_integral():
        return int(value)
    raise FrameError(f"{where}: {type(value).__name__} {value!r} in an INT64 column")


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise FrameError(f"{where}: {type(value).__name__} {value!r} in a BOOL column")


def _string(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    raise FrameError(f"{where}: {type(value).__name__} {value!r} in a STRING column")


_CONVERTERS = {
    "NUMERIC": _numeric,
    "DATE": _date,
    "TIMESTAMP": _timestamp,
    "INT64": _int64,
    "BOOL": _bool,
    "STRING": _string,
}


def _typed_series(values: list[Any], type_: WarehouseType) -> pd.Series:
    """The canonical pandas form of a column, the same for every backend."""
    if type_ == "TIMESTAMP":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True))
    if type_ == "INT64":
        return pd.Series(values, dtype="Int64")
    if type_ == "BOOL":
        return pd.Series(values, dtype="boolean")
    return pd.Series(values, dtype=object)


def prepare_frame(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate `frame` against `table` and return it in canonical types, columns in table order.

    Raises FrameError (nothing written yet) for missing or unknown columns, a value that does
    not fit its column type, a NULL key, or two different rows with the same key.
    """
    check_table(table)
    if not isinstance(frame, pd.DataFrame):
        raise FrameError(f"table {table.name}: expected a pandas DataFrame, got {type(frame)}")
    names = [c.name for c in table.all_columns]
    given = [str(c) for c in frame.columns]
    if len(set(given)) != len(given):
        raise FrameError(f"table {table.name}: duplicate column names in the frame")
    missing = [n for n in names if n not in given]
    unknown = [g for g in given if g not in names]
    if missing or unknown:
        raise FrameError(
            f"table {table.name}: frame columns do not match the table "
            f"(missing {missing}, unknown {unknown}); narrow the table with "
            "Table.with_columns(...) and add the system columns _synced_at and _run_id"
        )
    out: dict[str, pd.Series] = {}
    for col in table.all_columns:
        convert = _CONVERTERS[col.type]
        where = f"table {table.name}, column {col.name}"
        values = [
            None if _is_null(v) else convert(v, f"{where}, row {i}")
            for i, v in enumerate(frame[col.name].tolist())
        ]
        out[col.name] = _typed_series(values, col.type)
    result = pd.DataFrame(out, columns=names)
    result.index = pd.RangeIndex(len(result))
    if len(result):
        for key in table.primary_key:
            if result[key].isna().any():
                raise FrameError(f"table {table.name}: NULL in primary key column {key}")
        if table.partition_column and result[table.partition_column].isna().any():
            raise FrameError(
                f"table {table.name}: NULL in partition column {table.partition_column}"
            )
        result = _deduplicate(table, result)
    return result


def _deduplicate(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    data_columns = list(table.column_names)
    # Decimals compare by value (1.5 == 1.50), so identical bookings collapse regardless of
    # the scale the parser produced; the system columns never make rows differ.
    identical = frame.astype({c: object for c in data_columns}).duplicated(
        subset=data_columns, keep="last"
    )
    frame = frame[~identical.to_numpy()].reset_index(drop=True)
    if table.primary_key:
        clash = frame.duplicated(subset=list(table.primary_key), keep=False)
        if clash.any():
            sample = frame.loc[clash, list(table.primary_key)].head(3).to_dict("records")
            raise FrameError(
                f"table {table.name}: {int(clash.sum())} rows share a primary key "
                f"{table.primary_key} with different values, e.g. {sample}; "
                "refusing to pick one"
            )
    return frame


def check_window(table: Table, frame: pd.DataFrame, start: dt.date, end: dt.date) -> None:
    """Raise unless the table is partitioned and every row lies in [start, end)."""
    if table.partition_column is None or table.mode is not SyncMode.PARTITIONED:
        raise FrameError(f"table {table.name} is not partitioned; use merge or replace_all")
    for bound in (start, end):
        if not isinstance(bound, dt.date) or isinstance(bound, dt.datetime):
            raise FrameError(f"table {table.name}: window bounds must be dates, got {bound!r}")
    if not start < end:
        raise FrameError(f"table {table.name}: empty window [{start}, {end})")
    if len(frame):
        values = frame[table.partition_column]
        outside = values[(values < start) | (values >= end)]
        if len(outside):
            raise FrameError(
                f"table {table.name}: {len(outside)} rows have {table.partition_column} outside "
                f"the window [{start}, {end}), e.g. {outside.iloc[0]}"
            )


def to_arrow(
    table: Table, frame: pd.DataFrame, columns: Sequence[Column] | None = None
) -> pa.Table:
    """A prepared frame as an Arrow table with the exact warehouse types (decimal128(38, 9))."""
    columns = table.all_columns if columns is None else columns
    arrays = [
        pa.array(
            frame[col.name].astype(object).where(frame[col.name].notna(), None).tolist(),
            type=ARROW_TYPES[col.type],
        )
        for col in columns
    ]
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])


def arrow_to_frame(data: pa.Table, types: Mapping[str, str]) -> pd.DataFrame:
    """Query results to pandas without ever passing money through float64.

    NUMERIC and DATE become object columns of Decimal / date, TIMESTAMP becomes
    datetime64[us, UTC], INT64 and BOOL become nullable `Int64` / `boolean`.
    """
    out: dict[str, pd.Series] = {}
    for name in data.column_names:
        column = data.column(name)
        type_ = types.get(name)
        if type_ is None:
            type_ = _type_of_arrow(column.type)
        if type_ == "TIMESTAMP":
            series = column.cast(pa.timestamp("us", tz="UTC")).to_pandas()
            out[name] = pd.Series(series, dtype="datetime64[us, UTC]")
        else:
            out[name] = _typed_series(column.to_pylist(), type_)  # type: ignore[arg-type]
    return pd.DataFrame(out, columns=list(data.column_names))


def _type_of_arrow(type_: pa.DataType) -> str:
    if pa.types.is_decimal(type_):
        return "NUMERIC"
    if pa.types.is_date(type_):
        return "DATE"
    if pa.types.is_timestamp(type_):
        return "TIMESTAMP"
    if pa.types.is_integer(type_):
        return "INT64"
    if pa.types.is_boolean(type_):
        return "BOOL"
    return "STRING"


def key_columns(table: Table) -> tuple[Column, ...]:
    """The primary key's columns, in key order."""
    return tuple(table.column(k) for k in table.primary_key)


def key_frame(table: Table, keys: pd.DataFrame | Iterable[Any]) -> pd.DataFrame:
    """Normalise `delete_keys` input (a frame of key columns, tuples, or scalars) and type it."""
    key_names = list(table.primary_key)
    if not key_names:
        raise FrameError(f"table {table.name} has no primary key to delete by")
    if isinstance(keys, pd.DataFrame):
        frame = keys
    else:
        rows = [k if isinstance(k, tuple) else (k,) for k in keys]
        if any(len(r) != len(key_names) for r in rows):
            raise FrameError(f"table {table.name}: each key needs the values of {key_names}")
        frame = pd.DataFrame(rows, columns=key_names, dtype=object)
    if sorted(map(str, frame.columns)) != sorted(key_names):
        raise FrameError(f"table {table.name}: key frame must have exactly columns {key_names}")
    out: dict[str, pd.Series] = {}
    for col in key_columns(table):
        convert = _CONVERTERS[col.type]
        values = []
        for i, v in enumerate(frame[col.name].tolist()):
            if _is_null(v):
                raise FrameError(f"table {table.name}: NULL key in column {col.name}, row {i}")
            values.append(convert(v, f"table {table.name}, key column {col.name}, row {i}"))
        out[col.name] = _typed_series(values, col.type)
    return pd.DataFrame(out, columns=key_names).drop_duplicates().reset_index(drop=True)


def normalise_type(raw: str) -> str:
    """Map a backend's type name onto the registry's `WarehouseType` vocabulary."""
    upper = raw.upper().strip()
    if upper.startswith(("DECIMAL", "NUMERIC")):
        return "NUMERIC"
    if upper in ("BIGINT", "INTEGER", "INT64", "INT"):
        return "INT64"
    if upper in ("BOOLEAN", "BOOL"):
        return "BOOL"
    if upper in ("VARCHAR", "STRING", "TEXT"):
        return "STRING"
    if upper in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "TIMESTAMP"):
        return "TIMESTAMP"
    return upper


def plan_new_columns(table: Table, existing: Mapping[str, str]) -> list[str]:
    """Columns to add before a load; raise on a stored type that differs from the registry."""
    added = []
    for col in table.all_columns:
        stored = existing.get(col.name)
        if stored is None:
            added.append(col.name)
        elif stored != col.type:
            raise SchemaConflictError(
                f"table {table.name}, column {col.name}: stored as {stored}, registry says "
                f"{col.type}; an incremental load cannot change the type of stored rows "
                "(run a full refresh or migrate the column)"
            )
    return added


def check_where(where: str | None, params: Mapping[str, Any] | None) -> list[str]:
    """Validate a `where` fragment's `@name` parameters; return the names it uses."""
    if where is None:
        if params:
            raise WarehouseError("query parameters given without a where clause")
        return []
    names = re.findall(r"@(\w+)", where)
    for name in names:
        check_identifier(name, "query parameter name")
    missing = sorted(set(names) - set(params or {}))
    if missing:
        raise WarehouseError(f"where clause uses parameters {missing} that were not given")
    return names


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

    @abstractmethod
    def replace_window(
        self, table: Table, frame: pd.DataFrame, start: dt.date, end: dt.date
    ) -> WriteResult:
        """Atomically replace the rows with `start <= partition column < end` by `frame`.

        Rows of `frame` outside the window raise FrameError. An empty frame empties the
        window (a day without documents). Re-running with the same frame is a no-op in content.
        """

    @abstractmethod
    def merge(self, table: Table, frame: pd.DataFrame) -> WriteResult:
        """Upsert `frame` on `table.primary_key`: matched rows get the frame's columns, others
        are inserted. Columns not in the frame keep their stored values."""

    @abstractmethod
    def replace_all(self, table: Table, frame: pd.DataFrame) -> WriteResult:
        """Atomically make the table exactly `frame`: its rows and its columns."""

    @abstractmethod
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

    @abstractmethod
    def drop_table(self, name: str) -> bool:
        """Drop one table if it exists (a full refresh rebuilds it); True when it existed."""

    @abstractmethod
    def delete_keys(self, table: Table, keys: pd.DataFrame | Iterable[Any]) -> WriteResult:
        """Atomically delete the rows with the given primary keys (documents deleted upstream).

        `keys` is a frame with exactly the key columns, or tuples (scalars for one-column keys).
        """
