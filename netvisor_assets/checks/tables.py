"""The checks every table gets: its pandera schema, its primary key (the blocking check) and
the rows of a run accounted for; and how a check reads back what a run committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import pandera.pandas as pa

from netvisor_assets.checks.outcome import SAMPLE, Outcome, plain_value
from netvisor_assets.tables import SyncMode, Table
from netvisor_assets.tables.schema import WarehouseType
from netvisor_assets.warehouse.base import ROWS_COLUMN, Warehouse

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


def key_schema(table: Table, *, unique: bool = True) -> pa.DataFrameSchema:
    """Only the primary key: present, never NULL, unique (the blocking check).

    `unique=False` leaves uniqueness out, for a scope read slice by slice: a key repeated
    across slices is found by the warehouse instead (`repeated_keys`).
    """
    return pa.DataFrameSchema(
        {k: pa.Column(nullable=False) for k in table.primary_key},
        unique=list(table.primary_key) if unique else None,
        report_duplicates="all",
        name=f"{table.name}_key",
    )


def _key_text(table: Table, frame: pd.DataFrame, index: Any) -> str:
    try:
        values = frame.loc[index, list(table.primary_key)]
    except (KeyError, TypeError):
        return f"row {index}"
    return ", ".join(f"{k}={plain_value(values[k])}" for k in table.primary_key)


class SchemaTally:
    """One pandera schema over a scope read slice by slice, reported as one outcome.

    Why: five years of a busy ledger is over a million rows; validated a slice at a time, a
    check holds one slice, and its outcome is the one the whole scope would have given
    (counts summed, rules united, the first failures named by their keys).
    """

    def __init__(self, table: Table, schema: pa.DataFrameSchema) -> None:
        self.table = table
        self.schema = schema
        self.rows = 0
        self.failures = 0
        self.failing_rows = 0
        self.rules: set[str] = set()
        self.sample: list[str] = []

    def add(
        self,
        frame: pd.DataFrame,
        *,
        schema: pa.DataFrameSchema | None = None,
        counted: bool = True,
    ) -> None:
        """Validate one slice (by `schema` instead, if given); `counted=False` for rows already
        counted in another slice."""
        schema = schema or self.schema
        if counted:
            self.rows += len(frame)
        present = [c for c in frame.columns if c in schema.columns or c in self.table.primary_key]
        try:
            schema.validate(frame[present], lazy=True)
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
            self.failures += len(cases)
            self.rules |= {f"{c.column}: {c.check}" for c in cases.itertuples()}
            self.failing_rows += len(
                {i for i in cases["index"].tolist() if i is not None and i == i}
            )
            for case in cases.head(SAMPLE - len(self.sample)).itertuples():
                where = "" if case.index is None else _key_text(self.table, frame, case.index)
                self.sample.append(
                    f"{where} {case.column} {case.check}: {plain_value(case.failure_case)}"
                )

    def outcome(self) -> Outcome:
        name, rows = self.table.name, self.rows
        if not self.failures:
            return Outcome(True, f"{name}: {rows} rows pass", {"rows_checked": rows})
        return Outcome(
            False,
            f"{name}: {self.failures} failure(s) of {len(self.rules)} rule(s) in {rows} rows",
            {
                "rows_checked": rows,
                "failures": self.failures,
                "failing_rows": self.failing_rows,
                "failed_rules": ", ".join(sorted(self.rules)),
                "sample": "\n".join(self.sample),
            },
        )


def run_schema(table: Table, frame: pd.DataFrame, schema: pa.DataFrameSchema) -> Outcome:
    """Validate lazily and name every failing row by its key."""
    tally = SchemaTally(table, schema)
    tally.add(frame)
    return tally.outcome()


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
    stored: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The stored rows in a run's scope; an empty frame when the table does not exist.

    `stored` is the table's stored columns when the caller already knows them (a scope read
    slice by slice asks once, not once a slice)."""
    stored = stored or warehouse.table_columns(table.name)
    wanted = list(columns) if columns is not None else [*table.column_names, "_run_id"]
    if not stored:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in wanted})
    wanted = [c for c in wanted if c in stored]
    where, params = scope_where(table, window, ledger_start)
    return warehouse.read(table.name, columns=wanted, where=where, params=params or None)


# A check holds at most about this many stored rows at once (a busier day is read whole): every
# column of five years of a large company's voucher lines, read at once, took a process from
# 213 to 1,590 MB; slices of 100,000 lines still added about 150 MB while pandera validated one.
SLICE_ROWS = 25_000


def scope_slices(
    warehouse: Warehouse,
    table: Table,
    window: tuple[dt.date, dt.date] | None,
    ledger_start: dt.date | None = None,
    rows: int | None = None,
) -> list[tuple[dt.date, dt.date]] | None:
    """The run's scope cut into whole-day windows of at most `rows` stored rows each, oldest
    first; None when one read holds the scope (the usual run: a day, a month, a small company).

    The warehouse counts the rows per day, so planning the slices reads no rows. Days dated
    before the ledger start date (which a run also answers for) are slices like any other.
    """
    limit = SLICE_ROWS if rows is None else rows
    where, params = scope_where(table, window, ledger_start)
    if where is None or window is None or window[0] == window[1]:
        return None
    if not warehouse.table_columns(table.name):
        return None
    col = table.partition_column
    assert col is not None
    days = warehouse.group_counts(table.name, [col], where, params)
    counts = sorted(
        (d, int(n)) for d, n in zip(days[col], days[ROWS_COLUMN], strict=True) if d is not None
    )
    if sum(n for _, n in counts) <= limit:
        return None
    slices: list[tuple[dt.date, dt.date]] = []
    first, last, held = counts[0][0], counts[0][0], 0
    for day, count in counts:
        if held and held + count > limit:
            slices.append((first, last))
            first, held = day, 0
        last, held = day, held + count
    slices.append((first, last))
    return slices


def repeated_keys(
    warehouse: Warehouse,
    table: Table,
    window: tuple[dt.date, dt.date] | None,
    ledger_start: dt.date | None = None,
) -> pd.DataFrame:
    """Every stored row of the scope whose key another row repeats, as its key columns (one
    row per stored row): what `key_schema`'s uniqueness sees across slices."""
    keys = list(table.primary_key)
    where, params = scope_where(table, window, ledger_start)
    counts = warehouse.group_counts(table.name, keys, where, params, more_than=1)
    return counts.loc[counts.index.repeat(counts[ROWS_COLUMN]), keys].reset_index(drop=True)


# ------------------------------------------------------------------------- per-table checks


def run_rows(
    table: Table, frame: pd.DataFrame, run_id: str, window: tuple[dt.date, dt.date] | None
) -> tuple[int, int]:
    """Rows of `frame` stored by this run, and rows of older runs left inside the window (a
    merge table keeps older rows by design: 0)."""
    ours = int((frame["_run_id"] == run_id).sum()) if len(frame) else 0
    stale = 0
    if table.mode is not SyncMode.MERGE and len(frame):
        in_scope = frame
        if table.partition_column is not None and window is not None:
            dates = frame[table.partition_column]
            in_scope = frame[(dates >= window[0]) & (dates <= window[1])]
        stale = int((in_scope["_run_id"] != run_id).sum())
    return ours, stale


def rows_accounted(
    stored: tuple[int, int],
    *,
    returned: int,
    outside: int,
    staged: int,
) -> Outcome:
    """The rows stored for this run are the rows Netvisor returned, less those outside the
    window and identical duplicates collapsed by the contract; a window or a replaced table
    holds no row of an older run.

    `stored` is `run_rows` of the scope: this run's rows and older runs' rows in the window.
    """
    ours, stale = stored
    collapsed = returned - outside - staged
    expected = staged  # = returned - outside - collapsed
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
