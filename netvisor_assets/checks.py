"""Checks that prove every sync: schema, keys, accounting invariants, Netvisor's own numbers.

Which Dagster API does what, and why:
- In-asset checks (`AssetCheckSpec`s on each source's multi-asset, results yielded after the
  commit): the pandera schema, the primary key, rows accounted for, balanced vouchers, invoice
  totals, accounts that exist and untouched locked periods. They read back exactly what the run
  committed (its window, or the whole table), so they cost no request and no extra step, and
  Dagster's own advice is to use pandera directly inside checks (`dagster-pandera` only offers a
  beta output type). The primary key check is `blocking`: downstream assets do not run on a
  duplicate or NULL key.
- `multi_asset_check`s with `additional_deps` for what needs other tables first: the tie of
  account balances to the synced voucher lines and of open invoices to the receivables and
  payables accounts (they run after every asset they read, in the same run), completeness
  against Netvisor's lists (its own weekly job, see `automation`) and per-partition freshness.
- `FreshnessPolicy` on the asset specs, so the UI shows each asset's health; it looks at the
  latest materialization of any partition, which is why the per-partition freshness check
  exists beside it: a backfill of an old day must not make a table look fresh.

Every failing check names what failed (count and a sample of keys, days, amounts) in its
metadata, so a controller knows where to look without opening a notebook.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import pandera.pandas as pa

from netvisor_assets.tables import Source, SyncMode, Table
from netvisor_assets.tables.schema import WarehouseType
from netvisor_assets.warehouse.base import Warehouse

KEY_CHECK = "primary_key"
SCHEMA_CHECK = "pandera_schema"
ROWS_CHECK = "rows_accounted"
BALANCED_CHECK = "vouchers_balance"
AMOUNT_CHECK = "amount_equals_lines"
ACCOUNTS_CHECK = "accounts_exist"
LOCKED_CHECK = "locked_periods_unchanged"
BALANCES_CHECK = "ties_to_netvisor_balances"
RECEIVABLES_CHECK = "open_invoices_tie_to_receivables"
PAYABLES_CHECK = "open_invoices_tie_to_payables"
COMPLETENESS_CHECK = "complete_against_netvisor"
PARTITION_FRESHNESS_CHECK = "yesterday_partition_present"
REFRESH_FRESHNESS_CHECK = "refreshed_within_26_hours"

SAMPLE = 10
CENT = Decimal("0.01")
ZERO = Decimal("0")

_PYTHON_TYPES: dict[WarehouseType, tuple[type, ...]] = {
    "NUMERIC": (Decimal,),
    "DATE": (dt.date,),
    "STRING": (str,),
}
_PANDAS_DTYPES: dict[WarehouseType, str] = {"INT64": "Int64", "BOOL": "boolean"}


@dataclass(frozen=True)
class Outcome:
    """One evaluated check: pass or fail, what it looked at, and what failed."""

    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)
    warn_only: bool = False


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
    return ", ".join(f"{k}={_plain(values[k])}" for k in table.primary_key)


def money(value: Any) -> str:
    """An amount as a controller writes it: cents, or every digit it really has."""
    if not isinstance(value, Decimal):
        return str(value)
    cents = value.quantize(CENT)
    return str(cents if cents == value else value.normalize())


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


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
            sample.append(f"{where} {case.column} {case.check}: {_plain(case.failure_case)}")
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


def _status_of(line_status: Any, header_status: Any) -> str:
    for status in (line_status, header_status):
        if isinstance(status, str) and status:
            return status
    return "valid"  # older responses carry no status: valid (reference 4.9)


def _header_statuses(headers: pd.DataFrame | None) -> dict[Any, Any]:
    """Voucher key -> status, where the vouchers table is synced."""
    if headers is None or not len(headers) or "status" not in headers:
        return {}
    return dict(zip(headers["voucher_key"], headers["status"], strict=True))


def _account_numbers(accounts: pd.DataFrame) -> dict[Any, str]:
    """Account key -> account number (groups, which have none, left out)."""
    return {
        _plain(k): str(n)
        for k, n in zip(accounts["account_key"], accounts["account_number"], strict=True)
        if isinstance(n, str) and n
    }


def vouchers_balance(lines: pd.DataFrame, headers: pd.DataFrame | None) -> Outcome:
    """Every valid voucher's lines sum to exactly 0.00 (debits equal credits)."""
    header_status = _header_statuses(headers)
    sums: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    statuses = lines["status"] if "status" in lines else [None] * len(lines)
    for key, amount, status in zip(lines["voucher_key"], lines["line_sum"], statuses, strict=True):
        if _status_of(status, header_status.get(key)) != "valid":
            continue
        sums[key] += amount if isinstance(amount, Decimal) else ZERO
    off = {k: s for k, s in sums.items() if s != ZERO}
    sample = [
        f"voucher {_plain(k)}: lines sum to {money(s)}" for k, s in sorted(off.items())[:SAMPLE]
    ]
    return Outcome(
        not off,
        f"{len(off)} of {len(sums)} valid vouchers do not balance"
        if off
        else f"all {len(sums)} valid vouchers balance",
        {"vouchers_checked": len(sums), "unbalanced": len(off), "sample": "\n".join(sample)},
    )


def rounded_to_cents(value: Decimal) -> Decimal:
    """Finnish invoices round the payable total half up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount_equals_lines(
    headers: pd.DataFrame, lines: pd.DataFrame, key: str, *, foreign: str | None = None
) -> Outcome:
    """Each invoice's amount equals its lines to the cent.

    Rounding rule: the exact sum of the line totals (real lines carry four decimals) is rounded
    half up to cents and must equal the header amount rounded the same way. An invoice in a
    foreign currency (`foreign` names its currency column) is compared with its foreign amount,
    because Netvisor's lines are in the invoice's currency.
    """
    sums: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for k, amount in zip(lines[key], lines["line_sum"], strict=True):
        sums[k] += amount if isinstance(amount, Decimal) else ZERO
    off: list[str] = []
    checked = 0
    for row in headers.itertuples(index=False):
        k = getattr(row, key)
        amount = row.amount
        currency = getattr(row, foreign, None) if foreign else None
        if isinstance(currency, str) and currency and currency.upper() != "EUR":
            amount = row.foreign_currency_amount
        if not isinstance(amount, Decimal):
            continue
        checked += 1
        total = rounded_to_cents(sums.get(k, ZERO))
        if rounded_to_cents(amount) != total:
            off.append(f"{key} {_plain(k)}: amount {money(amount)}, lines {money(total)}")
    return Outcome(
        not off,
        f"{len(off)} of {checked} invoices differ from their lines"
        if off
        else f"all {checked} invoices equal their lines to the cent",
        {"invoices_checked": checked, "differing": len(off), "sample": "\n".join(off[:SAMPLE])},
    )


def accounts_exist(lines: pd.DataFrame, accounts: pd.DataFrame | None) -> Outcome:
    """Every voucher line posts to an account of the chart of accounts."""
    if accounts is None or not len(accounts):
        return Outcome(
            False,
            "accounts is not synced: cannot tell whether the lines' accounts exist",
            {"lines_checked": len(lines)},
            warn_only=True,
        )
    known = {str(n) for n in accounts["account_number"].tolist() if isinstance(n, str) and n}
    missing: dict[str, list[str]] = defaultdict(list)
    for key, position, number in zip(
        lines["voucher_key"], lines["line_position"], lines["account_number"], strict=True
    ):
        if number is None or str(number) not in known:
            missing[str(number)].append(f"{_plain(key)}/{_plain(position)}")
    count = sum(len(v) for v in missing.values())
    sample = [f"account {n}: lines {', '.join(v[:3])}" for n, v in sorted(missing.items())]
    return Outcome(
        not missing,
        f"{count} lines post to {len(missing)} unknown account(s)"
        if missing
        else f"all {len(lines)} lines post to known accounts",
        {
            "lines_checked": len(lines),
            "lines_on_unknown_accounts": count,
            "unknown_accounts": ", ".join(sorted(missing)),
            "sample": "\n".join(sample[:SAMPLE]),
        },
    )


def locked_changes(changes: Mapping[str, Sequence[str]], lock: dt.date | None) -> Outcome:
    """Rows dated on or before the lock date must be exactly what the last sync stored."""
    if lock is None:
        return Outcome(
            True,
            "no lock date known yet (accounting_periods not synced): nothing is locked",
            {"lock_date": "unknown"},
        )
    count = sum(len(v) for v in changes.values())
    sample = [f"{t}: {', '.join(v[:SAMPLE])}" for t, v in changes.items() if v]
    return Outcome(
        count == 0,
        f"{count} rows dated on or before the lock date {lock} changed since the last sync"
        if count
        else f"nothing dated on or before {lock} changed",
        {"lock_date": lock.isoformat(), "changed_rows": count, "sample": "\n".join(sample)},
    )


# ------------------------------------------------------------------------- reconciliation


def balance_differences(
    balances: pd.DataFrame,
    lines: pd.DataFrame,
    headers: pd.DataFrame | None,
    accounts: pd.DataFrame,
    anchor: Mapping[Any, Decimal],
    first: dt.date,
    last: dt.date,
) -> Outcome:
    """Each account's balance computed from the synced valid voucher lines equals Netvisor's
    `accountbalance.nv` figure for every day of the window.

    `anchor` is each account's balance before the window: the stored balance of the day before
    it, or, when nothing earlier is stored, Netvisor's first-day figure less that day's lines
    (`opening_balances`; that first day then agrees by construction).
    """
    number_of = _account_numbers(accounts)
    header_status = _header_statuses(headers)
    before: dict[str, Decimal] = defaultdict(lambda: ZERO)
    daily: dict[tuple[str, dt.date], Decimal] = defaultdict(lambda: ZERO)
    statuses = lines["status"] if "status" in lines else [None] * len(lines)
    for key, day, number, amount, status in zip(
        lines["voucher_key"],
        lines["voucher_date"],
        lines["account_number"],
        lines["line_sum"],
        statuses,
        strict=True,
    ):
        if _status_of(status, header_status.get(key)) != "valid" or day > last:
            continue
        value = amount if isinstance(amount, Decimal) else ZERO
        if day < first:
            before[str(number)] += value
        else:
            daily[(str(number), day)] += value
    per_account: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for (number, day), value in daily.items():
        per_account[number].append((day, value))
    netvisor: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    unmapped: set[Any] = set()
    for key, day, balance in zip(
        balances["account_key"], balances["balance_date"], balances["balance"], strict=True
    ):
        number = number_of.get(_plain(key))
        if number is None:
            unmapped.add(_plain(key))
            continue
        netvisor[number].append((day, balance))
    differences: list[tuple[str, dt.date, Decimal, Decimal]] = []
    cells = 0
    for number, figures in netvisor.items():
        opening = anchor.get(number, ZERO) + before.get(number, ZERO)
        moves = sorted(per_account.get(number, []))
        running, i = opening, 0
        for day, figure in sorted(figures):
            while i < len(moves) and moves[i][0] <= day:
                running += moves[i][1]
                i += 1
            cells += 1
            if not isinstance(figure, Decimal) or figure != running:
                differences.append((number, day, figure, running))
    sample = [
        f"account {n} on {d}: Netvisor {money(f)}, voucher lines {money(c)} "
        f"(difference {money(f - c)})"
        for n, d, f, c in differences[:SAMPLE]
    ]
    metadata = {
        "window": f"{first}..{last}",
        "cells_checked": cells,
        "differences": len(differences),
        "accounts_differing": ", ".join(sorted({d[0] for d in differences})),
        "days_differing": len({d[1] for d in differences}),
        "sample": "\n".join(sample),
    }
    if unmapped:
        metadata["account_keys_not_in_accounts"] = ", ".join(str(k) for k in sorted(unmapped))
    passed = not differences and not unmapped
    return Outcome(
        passed,
        f"{len(differences)} of {cells} balances differ from the voucher lines"
        if differences
        else (
            f"{len(unmapped)} account keys are not in accounts"
            if unmapped
            else f"all {cells} balances equal the voucher lines"
        ),
        metadata,
    )


def opening_balances(
    balances: pd.DataFrame,
    lines: pd.DataFrame,
    headers: pd.DataFrame | None,
    accounts: pd.DataFrame,
    day: dt.date,
) -> dict[str, Decimal]:
    """Each account's balance before `day`, from Netvisor's figure on `day` less that day's
    synced lines: the opening balance when the warehouse holds nothing earlier (the ledger
    start date is later than the company's first day in Netvisor)."""
    number_of = _account_numbers(accounts)
    header_status = _header_statuses(headers)
    opening: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for key, when, balance in zip(
        balances["account_key"], balances["balance_date"], balances["balance"], strict=True
    ):
        number = number_of.get(_plain(key))
        if when == day and number is not None and isinstance(balance, Decimal):
            opening[number] += balance
    statuses = lines["status"] if "status" in lines else [None] * len(lines)
    for key, when, number, amount, status in zip(
        lines["voucher_key"],
        lines["voucher_date"],
        lines["account_number"],
        lines["line_sum"],
        statuses,
        strict=True,
    ):
        if when == day and _status_of(status, header_status.get(key)) == "valid":
            opening[str(number)] -= amount if isinstance(amount, Decimal) else ZERO
    return dict(opening)


def open_items_tie(
    *,
    what: str,
    role: str,
    open_amounts: Iterable[Any],
    defaults: pd.DataFrame | None,
    accounts: pd.DataFrame | None,
    balances: pd.DataFrame | None,
    sign: int,
) -> Outcome:
    """The open invoices' total equals the control account's balance on the latest stored day.

    Open amounts are what Netvisor's lists said when the invoices were last synced, so the tie
    holds when the warehouse is current: balances up to the latest day, and every invoice
    re-synced since its last payment (the changes sensor does that, `includemodifiedpayments`).
    A payment booked after the latest balance day (before the 03:00 sync: rare) or an invoice
    not re-synced since it was paid shows as a difference, as do a missed invoice and a posting
    on the control account that is no invoice: each is something a controller must look at.
    Assumed: no invoice dated before the ledger start date is still open (the warehouse holds
    none of them, while the balance carries them); choose a start date before the oldest open
    invoice.
    """
    if defaults is None or not len(defaults):
        return Outcome(False, "default_accounts is not synced", {}, warn_only=True)
    roles = dict(zip(defaults["role"], defaults["account_number"], strict=True))
    number = roles.get(role)
    if number is None:
        return Outcome(False, f"Netvisor names no {role} account", {}, warn_only=True)
    if accounts is None or balances is None or not len(balances):
        return Outcome(False, "accounts or account_balances is not synced", {}, warn_only=True)
    keys = {
        _plain(k)
        for k, n in zip(accounts["account_key"], accounts["account_number"], strict=True)
        if n == number
    }
    day = max(balances["balance_date"])
    on_day = balances[balances["balance_date"] == day]
    balance = sum(
        (
            b
            for k, b in zip(on_day["account_key"], on_day["balance"], strict=True)
            if _plain(k) in keys
        ),
        ZERO,
    )
    total = sum((a for a in open_amounts if isinstance(a, Decimal)), ZERO)
    difference = total - sign * balance
    metadata = {
        "account": number,
        "balance_date": day.isoformat(),
        "account_balance": money(balance),
        f"open_{what.replace(' ', '_')}_total": money(total),
        "difference": money(difference),
    }
    return Outcome(
        difference == ZERO,
        f"open {what} {money(total)} vs account {number} balance {money(balance)} on {day}: "
        f"difference {money(difference)}",
        metadata,
    )


# ------------------------------------------------------------------------- in-asset checks

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
        if sync is None or table.name not in sync.returned:
            out[ROWS_CHECK] = Outcome(True, "not synced in this run", {})
        else:
            out[ROWS_CHECK] = rows_accounted(
                table,
                frame,
                run_id,
                returned=sync.returned[table.name],
                outside=sync.outside_window.get(table.name, 0),
                staged=sync.staged.get(table.name, 0),
                window=window,
            )
    if BALANCED_CHECK in names:
        headers = _read_other(warehouse, tables.get("vouchers"), window, ["voucher_key", "status"])
        out[BALANCED_CHECK] = vouchers_balance(frame, headers)
    if ACCOUNTS_CHECK in names:
        accounts = None
        if warehouse.table_columns("accounts"):
            accounts = warehouse.read("accounts", columns=["account_number"])
        out[ACCOUNTS_CHECK] = accounts_exist(frame, accounts)
    if AMOUNT_CHECK in names:
        key = table.primary_key[0]
        lines_table = tables[f"{table.name[:-1]}_lines"]
        lines = _read_other(warehouse, lines_table, window, [key, "line_sum"])
        if lines is None:
            out[AMOUNT_CHECK] = Outcome(False, "lines are not synced", {}, warn_only=True)
        else:
            foreign = "currency_code" if "currency_code" in frame else "foreign_currency_code"
            out[AMOUNT_CHECK] = amount_equals_lines(
                frame, lines, key, foreign=foreign if foreign in frame else None
            )
    if LOCKED_CHECK in names:
        if sync is None:
            out[LOCKED_CHECK] = Outcome(True, "not synced in this run", {})
        else:
            out[LOCKED_CHECK] = locked_changes(sync.locked_changes, sync.lock_date)
    return out


def _read_other(
    warehouse: Warehouse,
    table: Table | None,
    window: tuple[dt.date, dt.date] | None,
    columns: Sequence[str],
) -> pd.DataFrame | None:
    if table is None or not warehouse.table_columns(table.name):
        return None
    return read_scope(warehouse, table, window, None, columns)
