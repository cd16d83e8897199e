"""The checks every table gets: its pandera schema, its primary key (the blocking check) and
the rows of a run accounted for; and how a check reads back what a run committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import pandera.pandas as pa

from netvisor_assets.checks.outcome import SAMPLE, Outcome, plain_value
from netvisor_assets.tables import SyncMode, Table
from netvisor_assets.tables.schema import WarehouseType
from netvisor_assets.warehouse.base import Warehouse

_PYTHON_TYPES: dict[WarehouseType, tuple[type, ...]] = {
    "NUMERIC": (Decimal,),
    "DATE": (dt.date,),
    "STRING": (str,),
}
_PANDAS_DTYPES: dict[WarehouseType, str] = {"INT64": "Int64", "BOOL": "boolean"}


def _type_check(type_: WarehouseType) -> pa.Check:
    expected = _PYTHON_TYPES[type_]

    def is_type(series: pd.Series) -> pd.Series:
        return series.map(lambda v: isinstance(v, expected) and not isinstance(v, dt.datetime))

    return pa.Check(is_type, name=f"is_{type_.lower()}")


def _on_or_after(start: dt.date) -> pa.Check:
    return pa.Check(lambda s: s >= start, name="on_or_after_ledger_start")


def pandera_schema(table: Table, ledger_start: dt.date | None = None) -> pa.DataFrameSchema:
    """The table's pandera schema, generated from its registry entry.

    Types as the warehouse stores them (money as `Decimal`, never float), nullability (key and
    partition columns are required), the registry's allowed values and bounds, keys above 0,
    and nothing dated before the ledger start date.
    """
    required = set(table.primary_key) | {table.partition_column} - {None}
    columns: dict[str, pa.Column] = {}
    for col in table.columns:
        checks: list[pa.Check] = []
        dtype: str | None = _PANDAS_DTYPES.get(col.type)
        if col.type in _PYTHON_TYPES:
            checks.append(_type_check(col.type))
        if col.allowed:
            checks.append(pa.Check.isin(list(col.allowed)))
        minimum = col.minimum
        if minimum is None and col.name in table.primary_key and col.type == "INT64":
            minimum = 1  # Netvisor keys are positive
        if minimum is not None:
            checks.append(pa.Check.ge(minimum))
        if col.maximum is not None:
            checks.append(pa.Check.le(col.maximum))
        if col.name == table.partition_column and ledger_start is not None:
            checks.append(_on_or_after(ledger_start))
        columns[col.name] = pa.Column(
            dtype, checks=checks, nullable=col.name not in required, required=False
        )
    # The key's uniqueness is the blocking `primary_key` check's alone, so a repeated key
    # fails one check, not two.
    return pa.DataFrameSchema(columns, name=table.name, strict=False)


def key_schema(table: Table) -> pa.DataFrameSchema:
    """Only the primary key: present, never NULL, unique (the blocking check)."""
    return pa.DataFrameSchema(
        {k: pa.Column(nullable=False) for k in table.primary_key},
        unique=list(table.primary_key),
        report_duplicates="all",
        name=f"{table.name}_key",
    )


def _key_text(table: Table, frame: pd.DataFrame, index: Any) -> str:
    try:
        values = frame.loc[index, list(table.primary_key)]
    except (KeyError, TypeError):
        return f"row {index}"
    return ", ".join(f"{k}={plain_value(values[k])}" for k in table.primary_key)


def run_schema(table: Table, frame: pd.DataFrame, schema: pa.DataFrameSchema) -> Outcome:
    """Validate lazily and name every failing row by its key."""
    present = [c for c in frame.columns if c in schema.columns or c in table.primary_key]
    try:
        schema.validate(frame[present], lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        failed = sorted({f"{c.column}: {c.check}" for c in cases.itertuples()})
        rows = [i for i in cases["index"].tolist() if i is not None and i == i]
        sample = []
        for case in cases.head(SAMPLE).itertuples():
            where = "" if case.index is None else _key_text(table, frame, case.index)
            sample.append(f"{where} {case.column} {case.check}: {plain_value(case.failure_case)}")
        return Outcome(
            False,
            f"{table.name}: {len(cases)} failure(s) of {len(failed)} rule(s) in {len(frame)} rows",
            {
                "rows_checked": len(frame),
                "failures": len(cases),
                "failing_rows": len(set(rows)),
                "failed_rules": ", ".join(failed),
                "sample": "\n".join(sample),
            },
        )
    return Outcome(True, f"{table.name}: {len(frame)} rows pass", {"rows_checked": len(frame)})


# ------------------------------------------------------------------------- reading back


def scope_where(
    table: Table, window: tuple[dt.date, dt.date] | None, ledger_start: dt.date | None
) -> tuple[str | None, dict[str, Any]]:
    """The rows a run answers for: its window (plus anything dated before the ledger start)."""
    if window is None or table.partition_column is None:
        return None, {}
    col = table.partition_column
    where = f"({col} >= @first AND {col} <= @last)"
    params: dict[str, Any] = {"first": window[0], "last": window[1]}
    if ledger_start is not None:
        where += f" OR {col} < @ledger_start"
        params["ledger_start"] = ledger_start
    return where, params


def read_scope(
    warehouse: Warehouse,
    table: Table,
    window: tuple[dt.date, dt.date] | None,
    ledger_start: dt.date | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The stored rows in a run's scope; an empty frame when the table does not exist."""
    stored = warehouse.table_columns(table.name)
    wanted = list(columns) if columns is not None else [*table.column_names, "_run_id"]
    if not stored:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in wanted})
    wanted = [c for c in wanted if c in stored]
    where, params = scope_where(table, window, ledger_start)
    return warehouse.read(table.name, columns=wanted, where=where, params=params or None)


# ------------------------------------------------------------------------- per-table checks


def rows_accounted(
    table: Table,
    frame: pd.DataFrame,
    run_id: str,
    *,
    returned: int,
    outside: int,
    staged: int,
    window: tuple[dt.date, dt.date] | None = None,
) -> Outcome:
    """The rows stored for this run are the rows Netvisor returned, less those outside the
    window and identical duplicates collapsed by the contract; a window or a replaced table
    holds no row of an older run."""
    ours = int((frame["_run_id"] == run_id).sum()) if len(frame) else 0
    collapsed = returned - outside - staged
    expected = staged  # = returned - outside - collapsed
    stale = 0
    if table.mode is not SyncMode.MERGE and len(frame):
        in_scope = frame
        if table.partition_column is not None and window is not None:
            dates = frame[table.partition_column]
            in_scope = frame[(dates >= window[0]) & (dates <= window[1])]
        stale = int((in_scope["_run_id"] != run_id).sum())
    metadata = {
        "rows_returned": returned,
        "rows_outside_window": outside,
        "identical_duplicates_collapsed": collapsed,
        "rows_expected": expected,
        "rows_stored": ours,
        "rows_of_older_runs_in_scope": stale,
    }
    passed = ours == expected and stale == 0
    text = (
        f"{ours} rows stored = {returned} returned - {outside} outside - {collapsed} duplicates"
        if passed
        else f"stored {ours} rows (+{stale} of older runs) where {expected} were expected"
    )
    return Outcome(passed, text, metadata)
