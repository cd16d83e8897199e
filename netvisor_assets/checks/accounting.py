"""The accounting checks: vouchers balance, invoices equal their lines, lines post to known
accounts, locked periods stay unchanged, and the ties to Netvisor's own numbers (account
balances, open invoices against the receivables and payables accounts)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from netvisor_assets.checks.outcome import CENT, SAMPLE, ZERO, Outcome, money, plain_value


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
        plain_value(k): str(n)
        for k, n in zip(accounts["account_key"], accounts["account_number"], strict=True)
        if isinstance(n, str) and n
    }


def unbalanced_vouchers(
    lines: pd.DataFrame, headers: pd.DataFrame | None
) -> tuple[int, dict[Any, Decimal]]:
    """How many valid vouchers the lines hold, and the sums of those that do not balance.

    A voucher's lines share its date, so a scope read by whole days can be summed slice by
    slice (`balance_outcome` of the added parts).
    """
    header_status = _header_statuses(headers)
    sums: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    statuses = lines["status"] if "status" in lines else [None] * len(lines)
    for key, amount, status in zip(lines["voucher_key"], lines["line_sum"], statuses, strict=True):
        if _status_of(status, header_status.get(key)) != "valid":
            continue
        sums[key] += amount if isinstance(amount, Decimal) else ZERO
    return len(sums), {k: s for k, s in sums.items() if s != ZERO}


def balance_outcome(checked: int, off: Mapping[Any, Decimal]) -> Outcome:
    sample = [
        f"voucher {plain_value(k)}: lines sum to {money(s)}"
        for k, s in sorted(off.items())[:SAMPLE]
    ]
    return Outcome(
        not off,
        f"{len(off)} of {checked} valid vouchers do not balance"
        if off
        else f"all {checked} valid vouchers balance",
        {"vouchers_checked": checked, "unbalanced": len(off), "sample": "\n".join(sample)},
    )


def vouchers_balance(lines: pd.DataFrame, headers: pd.DataFrame | None) -> Outcome:
    """Every valid voucher's lines sum to exactly 0.00 (debits equal credits)."""
    return balance_outcome(*unbalanced_vouchers(lines, headers))


def rounded_to_cents(value: Decimal) -> Decimal:
    """Finnish invoices round the payable total half up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def differing_invoices(
    headers: pd.DataFrame, lines: pd.DataFrame, key: str, *, foreign: str | None = None
) -> tuple[int, list[str]]:
    """How many invoices have an amount to compare, and those that differ from their lines
    (`amount_equals_lines`; an invoice's lines share its date, so slices add up)."""
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
            off.append(f"{key} {plain_value(k)}: amount {money(amount)}, lines {money(total)}")
    return checked, off


def amount_outcome(checked: int, off: Sequence[str]) -> Outcome:
    return Outcome(
        not off,
        f"{len(off)} of {checked} invoices differ from their lines"
        if off
        else f"all {checked} invoices equal their lines to the cent",
        {"invoices_checked": checked, "differing": len(off), "sample": "\n".join(off[:SAMPLE])},
    )


def amount_equals_lines(
    headers: pd.DataFrame, lines: pd.DataFrame, key: str, *, foreign: str | None = None
) -> Outcome:
    """Each invoice's amount equals its lines to the cent.

    Rounding rule: the exact sum of the line totals (real lines carry four decimals) is rounded
    half up to cents and must equal the header amount rounded the same way. An invoice in a
    foreign currency (`foreign` names its currency column) is compared with its foreign amount,
    because Netvisor's lines are in the invoice's currency.
    """
    return amount_outcome(*differing_invoices(headers, lines, key, foreign=foreign))


def known_accounts(accounts: pd.DataFrame | None) -> set[str] | None:
    """The account numbers of the chart of accounts; None when it is not synced."""
    if accounts is None or not len(accounts):
        return None
    return {str(n) for n in accounts["account_number"].tolist() if isinstance(n, str) and n}


def lines_on_unknown_accounts(lines: pd.DataFrame, known: set[str]) -> dict[str, list[str]]:
    """Account number -> the lines ("voucher/position") posting to it, for unknown ones."""
    missing: dict[str, list[str]] = defaultdict(list)
    for key, position, number in zip(
        lines["voucher_key"], lines["line_position"], lines["account_number"], strict=True
    ):
        if number is None or str(number) not in known:
            missing[str(number)].append(f"{plain_value(key)}/{plain_value(position)}")
    return missing


def accounts_outcome(checked: int, missing: Mapping[str, Sequence[str]] | None) -> Outcome:
    """`accounts_exist` of `checked` lines (`missing` None: the accounts are not synced)."""
    if missing is None:
        return Outcome(
            False,
            "accounts is not synced: cannot tell whether the lines' accounts exist",
            {"lines_checked": checked},
            warn_only=True,
        )
    count = sum(len(v) for v in missing.values())
    sample = [f"account {n}: lines {', '.join(v[:3])}" for n, v in sorted(missing.items())]
    return Outcome(
        not missing,
        f"{count} lines post to {len(missing)} unknown account(s)"
        if missing
        else f"all {checked} lines post to known accounts",
        {
            "lines_checked": checked,
            "lines_on_unknown_accounts": count,
            "unknown_accounts": ", ".join(sorted(missing)),
            "sample": "\n".join(sample[:SAMPLE]),
        },
    )


def accounts_exist(lines: pd.DataFrame, accounts: pd.DataFrame | None) -> Outcome:
    """Every voucher line posts to an account of the chart of accounts."""
    known = known_accounts(accounts)
    missing = None if known is None else lines_on_unknown_accounts(lines, known)
    return accounts_outcome(len(lines), missing)


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


Posting = tuple[dt.date, str, Decimal]


def valid_postings(lines: pd.DataFrame, headers: pd.DataFrame | None) -> Iterator[Posting]:
    """(voucher date, account number, amount) of every line of a valid voucher; a missing
    amount counts as 0."""
    header_status = _header_statuses(headers)
    statuses = lines["status"] if "status" in lines else [None] * len(lines)
    for key, day, number, amount, status in zip(
        lines["voucher_key"],
        lines["voucher_date"],
        lines["account_number"],
        lines["line_sum"],
        statuses,
        strict=True,
    ):
        if _status_of(status, header_status.get(key)) == "valid":
            yield day, str(number), amount if isinstance(amount, Decimal) else ZERO


Figures = dict[str, list[tuple[dt.date, Decimal]]]


def _line_moves(
    postings: Iterable[Posting], first: dt.date, last: dt.date
) -> tuple[dict[str, Decimal], Figures]:
    """Per account: the sum of valid lines dated before `first`, and each day's sum in
    `first..last` (unsorted)."""
    before: dict[str, Decimal] = defaultdict(lambda: ZERO)
    daily: dict[tuple[str, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for day, number, value in postings:
        if day > last:
            continue
        if day < first:
            before[number] += value
        else:
            daily[(number, day)] += value
    per_account: Figures = defaultdict(list)
    for (number, day), value in daily.items():
        per_account[number].append((day, value))
    return before, per_account


def _netvisor_figures(
    balances: pd.DataFrame, number_of: Mapping[Any, str]
) -> tuple[Figures, set[Any]]:
    """Netvisor's daily balances by account number, and the account keys not in accounts."""
    netvisor: Figures = defaultdict(list)
    unmapped: set[Any] = set()
    for key, day, balance in zip(
        balances["account_key"], balances["balance_date"], balances["balance"], strict=True
    ):
        number = number_of.get(plain_value(key))
        if number is None:
            unmapped.add(plain_value(key))
            continue
        netvisor[number].append((day, balance))
    return netvisor, unmapped


def _running_differences(
    netvisor: Figures, opening: Mapping[str, Decimal], per_account: Figures
) -> tuple[list[tuple[str, dt.date, Decimal, Decimal]], int]:
    """Each Netvisor figure against the opening balance plus the lines up to its day: the
    (account, day, Netvisor, computed) that differ, and how many figures were compared."""
    differences: list[tuple[str, dt.date, Decimal, Decimal]] = []
    cells = 0
    for number, figures in netvisor.items():
        moves = sorted(per_account.get(number, []))
        running, i = opening[number], 0
        for day, figure in sorted(figures):
            while i < len(moves) and moves[i][0] <= day:
                running += moves[i][1]
                i += 1
            cells += 1
            if not isinstance(figure, Decimal) or figure != running:
                differences.append((number, day, figure, running))
    return differences, cells


def balance_differences(
    balances: pd.DataFrame,
    postings: Iterable[Posting],
    accounts: pd.DataFrame,
    anchor: Mapping[Any, Decimal],
    first: dt.date,
    last: dt.date,
) -> Outcome:
    """Each account's balance computed from the synced valid voucher lines equals Netvisor's
    `accountbalance.nv` figure for every day of the window.

    `postings` are the valid voucher lines (`valid_postings`), which may come slice by slice:
    only each account's daily sums are kept.

    `anchor` is each account's balance before the window: the stored balance of the day before
    it, or, when nothing earlier is stored, Netvisor's first-day figure less that day's lines
    (`opening_balances`; that first day then agrees by construction).
    """
    before, per_account = _line_moves(postings, first, last)
    netvisor, unmapped = _netvisor_figures(balances, _account_numbers(accounts))
    opening = {n: anchor.get(n, ZERO) + before.get(n, ZERO) for n in netvisor}
    differences, cells = _running_differences(netvisor, opening, per_account)
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
    postings: Iterable[Posting],
    accounts: pd.DataFrame,
    day: dt.date,
) -> dict[str, Decimal]:
    """Each account's balance before `day`, from Netvisor's figure on `day` less that day's
    synced lines: the opening balance when the warehouse holds nothing earlier (the ledger
    start date is later than the company's first day in Netvisor)."""
    number_of = _account_numbers(accounts)
    opening: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for key, when, balance in zip(
        balances["account_key"], balances["balance_date"], balances["balance"], strict=True
    ):
        number = number_of.get(plain_value(key))
        if when == day and number is not None and isinstance(balance, Decimal):
            opening[number] += balance
    for when, number, amount in postings:
        if when == day:
            opening[number] -= amount
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
        plain_value(k)
        for k, n in zip(accounts["account_key"], accounts["account_number"], strict=True)
        if n == number
    }
    day = max(balances["balance_date"])
    on_day = balances[balances["balance_date"] == day]
    balance = sum(
        (
            b
            for k, b in zip(on_day["account_key"], on_day["balance"], strict=True)
            if plain_value(k) in keys
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
