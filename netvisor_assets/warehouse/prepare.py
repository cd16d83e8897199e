"""Frame preparation: every value checked and brought to one canonical type before a write,
and query results typed back the same way, so both backends store and return identical values.

Money is `decimal.Decimal` end to end (never float64, on the way in or out); the rules are
the contract's (see `warehouse.base`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from netvisor_assets.tables.schema import (
    NUMERIC_PRECISION,
    NUMERIC_SCALE,
    Column,
    SyncMode,
    Table,
    WarehouseType,
)
from netvisor_assets.warehouse.errors import FrameError
from netvisor_assets.warehouse.sql import check_table

_QUANTUM = decimal.Decimal(1).scaleb(-NUMERIC_SCALE)
_MAX_INTEGER_DIGITS = NUMERIC_PRECISION - NUMERIC_SCALE
# Integers beyond 2**53 are not exact in a float64 column that pandas made from ints + None.
_MAX_EXACT_FLOAT_INT = 2**53
# Wide enough that quantizing any amount to 9 places is exact; built once, because making a
# Context per value cost more than the quantize itself.
_QUANTIZE_CONTEXT = decimal.Context(prec=80)

ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "NUMERIC": pa.decimal128(NUMERIC_PRECISION, NUMERIC_SCALE),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "BOOL": pa.bool_(),
}


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
        exact = value.quantize(_QUANTUM, context=_QUANTIZE_CONTEXT)
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


# Column value types that need no per-value conversion: every value is already canonical
# (exact types, so a bool in an INT64 column or a datetime in a DATE column still takes the
# checked path and fails there).
_CANONICAL_TYPES: dict[str, frozenset[type]] = {
    "STRING": frozenset({str, type(None)}),
    "INT64": frozenset({int, type(None)}),
    "BOOL": frozenset({bool, type(None)}),
    "DATE": frozenset({dt.date, type(None)}),
    "NUMERIC": frozenset({decimal.Decimal, type(None)}),
}


def _prepare_column(series: pd.Series, type_: WarehouseType, where: str) -> pd.Series:
    """One column in canonical form, as `_CONVERTERS` make it value by value.

    Why the shortcuts: a sync prepares every value of every row, and the checked path costs
    microseconds per value. A column whose values are all of the canonical Python type (what
    `frames.to_frame` builds from parsed rows), or a tz-aware nanosecond datetime column (the
    system column `_synced_at`), gives the same result without the per-value work; anything
    else, every error included, takes the checked path, so messages and the row they name are
    unchanged.
    """
    if type_ == "TIMESTAMP":
        dtype = series.dtype
        if isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "ns":
            converted = series.dt.tz_convert("UTC").dt.floor("us")
            return pd.Series(converted.array, index=pd.RangeIndex(len(series)))
    values = series.tolist()
    canonical = _CANONICAL_TYPES.get(type_)
    if canonical is not None and canonical.issuperset(map(type, values)):
        if type_ == "NUMERIC":
            values = _numeric_values(values, where)
        return _typed_series(values, type_)
    convert = _CONVERTERS[type_]
    values = [
        None if _is_null(v) else convert(v, f"{where}, row {i}") for i, v in enumerate(values)
    ]
    return _typed_series(values, type_)


def _numeric_values(values: list[decimal.Decimal | None], where: str) -> list[Any]:
    """`_numeric` over Decimals and Nones; a value that is not plainly fine goes to `_numeric`
    itself, which raises the same error it always did."""
    out: list[Any] = []
    append = out.append
    for i, value in enumerate(values):
        if value is None:
            append(None)
            continue
        try:
            exact = value.quantize(_QUANTUM, context=_QUANTIZE_CONTEXT)
        except decimal.InvalidOperation:
            exact = None
        if exact is None or exact != value or exact.adjusted() >= _MAX_INTEGER_DIGITS:
            exact = _numeric(value, f"{where}, row {i}")
        append(exact)
    return out


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
    out = {
        col.name: _prepare_column(
            frame[col.name], col.type, f"table {table.name}, column {col.name}"
        )
        for col in table.all_columns
    }
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
    if table.primary_key and not frame.duplicated(subset=list(table.primary_key)).any():
        # Identical rows share their key, so unique keys mean nothing to collapse or refuse;
        # the whole-row comparison below is the costly part of preparing a frame.
        return frame
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
