"""Wiring: which in-asset checks a table gets, what Dagster shows for each, and evaluating
them on what a run committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from netvisor_assets.checks.accounting import (
    accounts_outcome,
    amount_outcome,
    balance_outcome,
    differing_invoices,
    known_accounts,
    lines_on_unknown_accounts,
    locked_changes,
    unbalanced_vouchers,
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
    SchemaTally,
    key_schema,
    pandera_schema,
    read_scope,
    repeated_keys,
    rows_accounted,
    run_rows,
    scope_slices,
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
    checks that need the sync's own counts then say so and pass). A scope too large to hold
    (years of a busy ledger) is read a slice of whole days at a time (`scope_slices`): every
    check but the key's uniqueness looks at one day's rows together (a voucher or an invoice
    and its lines share their date), and a key repeated across slices is counted by the
    warehouse (`repeated_keys`); the outcomes are the ones one read would give.
    """
    slices = scope_slices(warehouse, table, window, ledger_start)
    whole = slices is None
    known: dict[str, dict[str, str] | None] = {}

    def other(name: str, days: tuple[dt.date, dt.date] | None, columns: list[str]):
        """Another table's rows of the same days (all of them for an unpartitioned table);
        None when it is not synced. Its columns are asked once, not once a slice."""
        if name not in known:
            known[name] = warehouse.table_columns(name) if name in tables else None
        if not known[name]:
            return None
        return read_scope(warehouse, tables[name], days, None, columns, known[name])

    key = SchemaTally(table, key_schema(table, unique=whole))
    schema = SchemaTally(table, pandera_schema(table, ledger_start))
    stored = (0, 0)
    balanced: tuple[int, dict[Any, Any]] = (0, {})
    accounts: set[str] | None = None
    if ACCOUNTS_CHECK in names:
        accounts = known_accounts(other("accounts", None, ["account_number"]))
    on_unknown: dict[str, list[str]] | None = None if accounts is None else {}
    checked_lines = 0
    amounts: tuple[int, list[str]] = (0, [])
    amounts_synced = True
    stored_columns = warehouse.table_columns(table.name)
    for part in [window] if whole else slices:
        # The whole scope includes the days before the ledger start; slices are plain days.
        frame = read_scope(
            warehouse, table, part, ledger_start if whole else None, stored=stored_columns
        )
        if KEY_CHECK in names:
            key.add(frame)
        if SCHEMA_CHECK in names:
            schema.add(frame)
        if ROWS_CHECK in names:
            ours, stale = run_rows(table, frame, run_id, window)
            stored = (stored[0] + ours, stored[1] + stale)
        if BALANCED_CHECK in names:
            headers = other("vouchers", part, ["voucher_key", "status"])
            balanced = _added(balanced, unbalanced_vouchers(frame, headers))
        if ACCOUNTS_CHECK in names:
            checked_lines += len(frame)
            if accounts is not None and on_unknown is not None:
                for number, found in lines_on_unknown_accounts(frame, accounts).items():
                    on_unknown.setdefault(number, []).extend(found)
        if AMOUNT_CHECK in names:
            key_name = table.primary_key[0]
            lines = other(f"{table.name[:-1]}_lines", part, [key_name, "line_sum"])
            if lines is None:
                amounts_synced = False
            else:
                foreign = "currency_code" if "currency_code" in frame else "foreign_currency_code"
                found = differing_invoices(
                    frame, lines, key_name, foreign=foreign if foreign in frame else None
                )
                amounts = _added(amounts, found)
        del frame
    if KEY_CHECK in names and not whole:
        repeated = repeated_keys(warehouse, table, window, ledger_start)
        key.add(repeated, schema=key_schema(table), counted=False)
    out: dict[str, Outcome] = {}
    if KEY_CHECK in names:
        out[KEY_CHECK] = key.outcome()
    if SCHEMA_CHECK in names:
        out[SCHEMA_CHECK] = schema.outcome()
    if ROWS_CHECK in names:
        out[ROWS_CHECK] = _rows_outcome(table, stored, sync)
    if BALANCED_CHECK in names:
        out[BALANCED_CHECK] = balance_outcome(*balanced)
    if ACCOUNTS_CHECK in names:
        out[ACCOUNTS_CHECK] = accounts_outcome(checked_lines, on_unknown)
    if AMOUNT_CHECK in names:
        out[AMOUNT_CHECK] = (
            amount_outcome(*amounts)
            if amounts_synced
            else Outcome(False, "lines are not synced", {}, warn_only=True)
        )
    if LOCKED_CHECK in names:
        if sync is None:
            out[LOCKED_CHECK] = Outcome(True, "not synced in this run", {})
        else:
            out[LOCKED_CHECK] = locked_changes(sync.locked_changes, sync.lock_date)
    return out


def _added(total: tuple[int, Any], part: tuple[int, Any]) -> tuple[int, Any]:
    """A slice's (count, findings) added to the scope's so far (a dict or a list of findings)."""
    count, found = total
    if isinstance(found, dict):
        return count + part[0], {**found, **part[1]}
    return count + part[0], [*found, *part[1]]


def _rows_outcome(table: Table, stored: tuple[int, int], sync: Any | None) -> Outcome:
    """`rows_accounted` with the sync's own counts (passes when the table was not synced)."""
    if sync is None or table.name not in sync.returned:
        return Outcome(True, "not synced in this run", {})
    return rows_accounted(
        stored,
        returned=sync.returned[table.name],
        outside=sync.outside_window.get(table.name, 0),
        staged=sync.staged.get(table.name, 0),
    )
