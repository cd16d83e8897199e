"""Wiring: which in-asset checks a table gets, what Dagster shows for each, and evaluating
them on what a run committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from netvisor_assets.checks.accounting import (
    accounts_exist,
    amount_equals_lines,
    locked_changes,
    vouchers_balance,
)
from netvisor_assets.checks.outcome import (
    ACCOUNTS_CHECK,
    AMOUNT_CHECK,
    BALANCED_CHECK,
    KEY_CHECK,
    LOCKED_CHECK,
    ROWS_CHECK,
    SCHEMA_CHECK,
    Outcome,
)
from netvisor_assets.checks.tables import (
    key_schema,
    pandera_schema,
    read_scope,
    rows_accounted,
    run_schema,
)
from netvisor_assets.tables import Source, Table
from netvisor_assets.warehouse.base import Warehouse

_DESCRIPTIONS = {
    KEY_CHECK: "Blocking: the primary key is never NULL and never repeats in what the run "
    "committed (downstream assets do not run on a failure).",
    SCHEMA_CHECK: "pandera schema generated from the table registry: warehouse types (money "
    "as Decimal), required columns, allowed codes, value ranges, nothing dated before the "
    "ledger start date.",
    ROWS_CHECK: "Rows stored for the run = rows Netvisor returned, less rows dated outside the "
    "window and identical duplicates; no row of an older run left in the window.",
    BALANCED_CHECK: "Every valid voucher's lines sum to exactly 0.00.",
    AMOUNT_CHECK: "Each invoice's amount equals the sum of its lines, rounded half up to the "
    "cent (real lines carry four decimals).",
    ACCOUNTS_CHECK: "Every voucher line posts to an account in `accounts`.",
    LOCKED_CHECK: "Nothing dated in a locked accounting or VAT period changed since the last "
    "sync (a locked period should never change: when it does, someone must look).",
}

# Checks about two tables of one source: (check, table it is reported on, table it also reads).
_PAIR_CHECKS = (
    (BALANCED_CHECK, "voucher_lines", "vouchers"),
    (ACCOUNTS_CHECK, "voucher_lines", "accounts"),
    (AMOUNT_CHECK, "sales_invoices", "sales_invoice_lines"),
    (AMOUNT_CHECK, "purchase_invoices", "purchase_invoice_lines"),
)


def table_check_names(source: Source, table: Table, selected: Iterable[str]) -> list[str]:
    """The in-asset checks of one table of a source, given the source's selected tables."""
    names = [KEY_CHECK, SCHEMA_CHECK, ROWS_CHECK]
    chosen = set(selected)
    for check, reported_on, reads in _PAIR_CHECKS:
        if table.name != reported_on:
            continue
        if check == AMOUNT_CHECK and reads not in chosen:
            continue
        names.append(check)
    if source.follows_period_locks and table.name == source.tables[0].name:
        names.append(LOCKED_CHECK)
    return names


def check_description(name: str) -> str:
    return _DESCRIPTIONS[name]


def evaluate_table_checks(
    source: Source,
    table: Table,
    names: Sequence[str],
    warehouse: Warehouse,
    *,
    run_id: str,
    window: tuple[dt.date, dt.date] | None,
    ledger_start: dt.date | None,
    sync: Any | None,
    tables: Mapping[str, Table],
) -> dict[str, Outcome]:
    """Evaluate the named checks of one table on what the run committed.

    `sync` is the run's `SourceSync` (None when the table was not synced in this run: the
    checks that need the sync's own counts then say so and pass).
    """
    out: dict[str, Outcome] = {}
    frame = read_scope(warehouse, table, window, ledger_start)
    if KEY_CHECK in names:
        out[KEY_CHECK] = run_schema(table, frame, key_schema(table))
    if SCHEMA_CHECK in names:
        out[SCHEMA_CHECK] = run_schema(table, frame, pandera_schema(table, ledger_start))
    if ROWS_CHECK in names:
        out[ROWS_CHECK] = _rows_outcome(table, frame, run_id, window, sync)
    if BALANCED_CHECK in names:
        headers = _read_other(warehouse, tables.get("vouchers"), window, ["voucher_key", "status"])
        out[BALANCED_CHECK] = vouchers_balance(frame, headers)
    if ACCOUNTS_CHECK in names:
        accounts = None
        if warehouse.table_columns("accounts"):
            accounts = warehouse.read("accounts", columns=["account_number"])
        out[ACCOUNTS_CHECK] = accounts_exist(frame, accounts)
    if AMOUNT_CHECK in names:
        out[AMOUNT_CHECK] = _amount_outcome(warehouse, table, frame, tables, window)
    if LOCKED_CHECK in names:
        if sync is None:
            out[LOCKED_CHECK] = Outcome(True, "not synced in this run", {})
        else:
            out[LOCKED_CHECK] = locked_changes(sync.locked_changes, sync.lock_date)
    return out


def _rows_outcome(
    table: Table,
    frame: pd.DataFrame,
    run_id: str,
    window: tuple[dt.date, dt.date] | None,
    sync: Any | None,
) -> Outcome:
    """`rows_accounted` with the sync's own counts (passes when the table was not synced)."""
    if sync is None or table.name not in sync.returned:
        return Outcome(True, "not synced in this run", {})
    return rows_accounted(
        table,
        frame,
        run_id,
        returned=sync.returned[table.name],
        outside=sync.outside_window.get(table.name, 0),
        staged=sync.staged.get(table.name, 0),
        window=window,
    )


def _amount_outcome(
    warehouse: Warehouse,
    table: Table,
    frame: pd.DataFrame,
    tables: Mapping[str, Table],
    window: tuple[dt.date, dt.date] | None,
) -> Outcome:
    """`amount_equals_lines` on the invoices' lines in the same window (a warning when the
    lines table is not synced)."""
    key = table.primary_key[0]
    lines_table = tables[f"{table.name[:-1]}_lines"]
    lines = _read_other(warehouse, lines_table, window, [key, "line_sum"])
    if lines is None:
        return Outcome(False, "lines are not synced", {}, warn_only=True)
    foreign = "currency_code" if "currency_code" in frame else "foreign_currency_code"
    return amount_equals_lines(frame, lines, key, foreign=foreign if foreign in frame else None)


def _read_other(
    warehouse: Warehouse,
    table: Table | None,
    window: tuple[dt.date, dt.date] | None,
    columns: Sequence[str],
) -> pd.DataFrame | None:
    if table is None or not warehouse.table_columns(table.name):
        return None
    return read_scope(warehouse, table, window, None, columns)
