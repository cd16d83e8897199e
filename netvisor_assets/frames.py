"""Rows -> pandas DataFrame with exact, typed columns.

Money stays `Decimal` (object columns): a float64 column would silently round amounts. Dates
stay `datetime.date` objects so a DATE column never picks up a time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from netvisor_assets.tables.schema import Column, Table

_PANDAS_DTYPES = {"INT64": "Int64", "BOOL": "boolean", "STRING": "object"}


class RowTypeError(ValueError):
    """A parsed value does not fit its column's type: the response was not what we expect."""


def _check(table: Table, column: Column, value: Any) -> Any:
    if value is None:
        return None
    expected: tuple[type, ...]
    if column.type == "NUMERIC":
        expected = (Decimal,)
    elif column.type == "INT64":
        expected = (int,)
    elif column.type == "BOOL":
        expected = (bool,)
    elif column.type == "DATE":
        expected = (dt.date,)
    elif column.type == "TIMESTAMP":
        expected = (dt.datetime,)
    else:
        expected = (str,)
    ok = isinstance(value, expected)
    if column.type == "INT64" and isinstance(value, bool):
        ok = False
    if column.type == "DATE" and isinstance(value, dt.datetime):
        ok = False
    if not ok:
        raise RowTypeError(
            f"{table.name}.{column.name}: expected {column.type}, got "
            f"{type(value).__name__} {value!r}"
        )
    return value


def to_frame(
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    run_id: str,
    synced_at: dt.datetime,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A frame holding the given data columns (default: all) plus `_synced_at` and `_run_id`.

    Every value is checked against its column's type first, so a malformed response fails
    the run before anything reaches the warehouse.
    """
    selected = table.with_columns(columns) if columns is not None else table
    data: dict[str, list[Any]] = {col.name: [] for col in selected.columns}
    count = 0
    for r in rows:
        count += 1
        for col in selected.columns:
            data[col.name].append(_check(table, col, r.get(col.name)))
    frame = pd.DataFrame(
        {
            name: pd.Series(values, dtype=_PANDAS_DTYPES.get(selected.column(name).type, "object"))
            for name, values in data.items()
        },
        index=pd.RangeIndex(count),
    )
    for col in selected.columns:
        if col.type == "TIMESTAMP":
            frame[col.name] = pd.to_datetime(frame[col.name], utc=True)
    frame["_synced_at"] = pd.Series([synced_at] * count, dtype="datetime64[ns, UTC]")
    frame["_run_id"] = pd.Series([run_id] * count, dtype="object")
    return frame
