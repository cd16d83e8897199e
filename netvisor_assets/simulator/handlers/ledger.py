"""Ledger resources: vouchers (`accountingledger.nv`) and account balances (the `ledger` table
family)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from netvisor_assets.simulator.handlers.params import (
    CompanyLike,
    Params,
    Reply,
    as_text,
    invalid,
    key_of,
    listing,
    lookup,
    modified_at,
    modified_window,
)
from netvisor_assets.simulator.render import INDENT as _IND
from netvisor_assets.simulator.render import (
    Raw,
    format_attribute,
    format_leaf,
    parse_leaf,
    render_element,
)

_VOUCHER_STATUS = {1: None, 2: {"valid"}, 3: {"invalidated", "deleted"}}


def _voucher_status(record: Mapping[str, Any]) -> str:
    return as_text(record.get("status") or "valid").lower()


def _trim_voucher(
    record: Mapping[str, Any], p: Params, low: str | None, high: str | None
) -> Mapping[str, Any] | None:
    lines = record.get("voucherline") or []
    extras = {
        "transactionhistory": p.flag("includetransactionhistory"),
        "transactionallocations": p.flag("includetransactionallocations"),
    }
    changed = False
    if low is not None or high is not None:
        kept = [
            line
            for line in lines
            if (low is None or as_text(line.get("accountnumber")) >= low)
            and (high is None or as_text(line.get("accountnumber")) <= high)
        ]
        if not kept:
            return None
        if len(kept) != len(lines):
            lines = kept
            changed = True
    if any(not on and any(name in line for line in lines) for name, on in extras.items()):
        lines = [{k: v for k, v in line.items() if extras.get(k, True)} for line in lines]
        changed = True
    if not changed:
        return record
    return {**record, "voucherline": lines}


def accountingledger(company: CompanyLike, p: Params) -> Reply:
    """Vouchers with inline lines; voucherstatus 1 all, 2 valid (default), 3 invalidated."""
    keys = p.keys("netvisorkeylist", 500)
    single = p.int("netvisorkey")
    status_param = p.int("voucherstatus")
    statuses = _VOUCHER_STATUS.get(2 if status_param is None else status_param, False)
    if statuses is False:
        raise invalid("Parameter voucherstatus must be 1, 2 or 3")
    start, end = p.date("startdate"), p.date("enddate")
    changed = p.moment("changedsince")
    mod_start, mod_end = p.last_modified()
    if (start is None) != (end is None):
        raise invalid("Parameters startdate and enddate must be given together")
    if single is not None or keys is not None:
        wanted = [single] if single is not None else keys or []
        source = lookup(company, "vouchers", wanted, lambda _k: None)
    elif start is not None and end is not None:
        if end < start:
            raise invalid("enddate is before startdate")
        source = sorted(company.by_date("vouchers", start, end), key=key_of)
        if changed or mod_start or mod_end:
            low = max(x for x in (changed, mod_start) if x) if changed or mod_start else None
            source = [r for r in source if _within(modified_at(r), low, mod_end)]
    elif changed is not None or mod_start is not None or mod_end is not None:
        low = max(x for x in (changed, mod_start) if x) if changed or mod_start else None
        source = modified_window(company, "vouchers", low, mod_end)
    else:
        raise invalid(
            "One of netvisorkey, netvisorkeylist, startdate and enddate, changedsince, "
            "lastmodifiedstart or lastmodifiedend is required"
        )
    voucher_type = p.int("vouchertype")
    type_abbreviation = None
    if voucher_type is not None:
        for vt in getattr(company, "voucher_types", []) or []:
            if vt.get("netvisorkey") == voucher_type:
                type_abbreviation = as_text(vt.get("abbreviation"))
        if type_abbreviation is None:
            raise invalid(f"Unknown voucher type {voucher_type}")
    low_acc, high_acc = p.get("accountnumberstart"), p.get("accountnumberend")
    rows = []
    for record in source:
        if statuses is not None and _voucher_status(record) not in statuses:
            continue
        if type_abbreviation is not None and not as_text(record.get("voucherclass")).startswith(
            type_abbreviation
        ):
            continue
        trimmed = _trim_voucher(record, p, low_acc, high_acc)
        if trimmed is not None:
            rows.append(trimmed)
    return listing("vouchers", "voucher", rows)


def _within(moment: dt.datetime | None, low: dt.datetime | None, high: dt.datetime | None):
    if moment is None:
        return False
    return (low is None or moment >= low) and (high is None or moment <= high)


MAX_BALANCE_DATES = 1000


def _balance_dates(p: Params) -> list[dt.date]:
    raw = p.strings("balancedates", None)
    if not raw:
        raise invalid("Required parameter balancedates is missing")
    try:
        dates = [dt.date.fromisoformat(d[:10]) for d in raw]
    except ValueError:
        raise invalid("Parameter balancedates must hold dates YYYY-MM-DD") from None
    interval = p.int("intervaltype") or 0
    if interval == 0:
        return dates
    if interval not in (1, 2, 3, 4) or len(dates) != 2:
        raise invalid("intervaltype 1-4 needs exactly two balancedates (a range)")
    first, last = sorted(dates)
    result = [first]
    step = 1
    while True:
        if interval == 1:
            nxt = first + dt.timedelta(days=step)
        elif interval == 2:
            nxt = first + dt.timedelta(weeks=step)
        else:
            months = step * (1 if interval == 3 else 12)
            nxt = _add_months(first, months)
        if nxt >= last:
            break
        result.append(nxt)
        step += 1
        if len(result) > MAX_BALANCE_DATES:
            raise invalid(f"Too many balance dates (maximum {MAX_BALANCE_DATES})")
    if last != first:
        result.append(last)
    return result


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def accountbalance(company: CompanyLike, p: Params) -> Reply:
    """Balances per account and date, rendered `Account netvisorkey=` / `AccountBalance date=`;
    the records are flat {"netvisorkey", "date", "debet", "kredit", "balance"}."""
    dates = _balance_dates(p)
    single = p.int("netvisorkey")
    keys = [single] if single is not None else p.keys("netvisorkeylist", None)
    balances = list(company.balances(keys, dates))  # type: ignore[attr-defined]
    grouped: dict[Any, list[dict]] = {}
    for row in balances:
        grouped.setdefault(row["netvisorkey"], []).append(row)

    def lines() -> Iterable[str]:
        if not grouped:
            yield f"{_IND}<AccountBalances/>"
            return
        yield f"{_IND}<AccountBalances>"
        for key, rows in grouped.items():
            yield f'{_IND * 2}<Account netvisorkey="{format_attribute("netvisorkey", key)}">'
            for row in rows:
                yield f'{_IND * 3}<AccountBalance date="{format_attribute("date", row["date"])}">'
                out: list[str] = []
                for name in ("debet", "kredit", "balance"):
                    render_element(out, name, row.get(name), 4)
                yield from out
                yield f"{_IND * 3}</AccountBalance>"
            yield f"{_IND * 2}</Account>"
        yield f"{_IND}</AccountBalances>"

    truth = [
        {
            "netvisorkey": parse_leaf(
                "netvisorkey", format_attribute("netvisorkey", row["netvisorkey"])
            ),
            "date": parse_leaf("date", format_attribute("date", row["date"])),
            **{
                name: parse_leaf(name, format_leaf(name, row.get(name))[0])
                for name in ("debet", "kredit", "balance")
            },
        }
        for rows in grouped.values()
        for row in rows
    ]
    return Reply([Raw(lines())], "accountbalance", balances, truth=truth)
