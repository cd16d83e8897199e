"""Rows -> pandas DataFrame in the table's column order, values untouched.

Money stays `Decimal` and dates stay `datetime.date` in object columns: a float64 column would
silently round amounts. Every value is checked against its column's type once, by the
warehouse contract (`warehouse.base.prepare_frame`) before anything is written, so a malformed
response fails the run with the table, column and row named and never becomes rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from netvisor_assets.tables.schema import Table


def to_frame(
    table: Table, rows: Iterable[Mapping[str, Any]], *, run_id: str, synced_at: dt.datetime
) -> pd.DataFrame:
    """A frame of the table's data columns plus `_synced_at` and `_run_id`."""
    rows = list(rows)
    # Object columns built as given: letting pandas infer would turn an int column with a
    # missing value into float64.
    frame = pd.DataFrame(
        {
            col.name: pd.Series([r.get(col.name) for r in rows], dtype=object)
            for col in table.columns
        },
        index=pd.RangeIndex(len(rows)),
    )
    frame["_synced_at"] = pd.Series([synced_at] * len(frame), dtype="datetime64[ns, UTC]")
    frame["_run_id"] = pd.Series([run_id] * len(frame), dtype="object")
    return frame
