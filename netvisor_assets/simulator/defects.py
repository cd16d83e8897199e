"""Seeded data defects: a simulated company whose data is wrong in one chosen way each.

The checks exist to notice what a clean simulator never produces, so the tests need the
simulator to produce it on demand. Each defect breaks one invariant, and only that one:

- `unbalanced_voucher`: a valid voucher's first non-control line is 0.01 off. Netvisor's own
  balances include it (as they would in Netvisor), so only the voucher balance check fails.
- `invoice_lines_off`: a sales invoice's first line total is 1.00 more than the invoice says.
- `unknown_account_voucher`: a voucher gets two lines (+5.00 / -5.00) on account 9999, which
  is not in the chart of accounts; the voucher still balances.
- `duplicate_payment`: a sales payment is listed again a month later, under a later date (the
  same key in two partitions).
- `hidden_vouchers`: vouchers no response returns, until removed from the set (a document
  Netvisor did not show yet); `hidden_from_changes`: vouchers `changedsince` never returns
  (Netvisor's documented miss).
- `balance_offset`: Netvisor's balance of one account differs on one day from its vouchers.
- `locked_edits`: vouchers whose description changes (put them in a locked period).

Defects apply to what the HTTP API answers, never to the ground truth (`ground_truth`), so a
test can compare what was synced with what a correct Netvisor would hold.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from netvisor_assets.simulator.handlers import Params

UNKNOWN_ACCOUNT = "9999"
OFF_BY = Decimal("0.01")
# Accounts a defect never touches: the receivables and payables ties would notice them.
_CONTROL_ACCOUNTS = {"1700", "2871"}


@dataclass
class Defects:
    """Which defects are seeded, by the keys they apply to."""

    unbalanced_voucher: int | None = None
    invoice_lines_off: int | None = None
    unknown_account_voucher: int | None = None
    duplicate_payment: int | None = None
    hidden_vouchers: set[int] = field(default_factory=set)
    hidden_from_changes: set[int] = field(default_factory=set)
    balance_offset: tuple[str, dt.date, Decimal] | None = None
    locked_edits: dict[int, str] = field(default_factory=dict)

    def apply(self, company: Any, resource: str, params: Mapping[str, str], reply: Any) -> None:
        """Rewrite a handler's reply in place before it is rendered."""
        raw = {k.lower(): v for k, v in params.items()}
        name = resource.lower().removesuffix(".nv")
        if name == "accountingledger":
            self._vouchers(reply.records, raw)
        elif name == "accountbalance":
            self._balances(company, reply.records)
        elif name == "getsalesinvoice" and self.invoice_lines_off is not None:
            # Older-shape documents answer without their own key: match on the ground truth.
            self._invoice_lines(reply.records, reply.truth_from or reply.records)
        elif name == "salespaymentlist" and self.duplicate_payment is not None:
            self._payments(company, reply.records, raw)

    # --- vouchers ---------------------------------------------------------------------

    def _vouchers(self, records: list, params: Mapping[str, str]) -> None:
        by_change = "startdate" not in params and (
            "changedsince" in params or "lastmodifiedstart" in params
        )
        hidden = set(self.hidden_vouchers) | (self.hidden_from_changes if by_change else set())
        kept = [r for r in records if r.get("netvisorkey") not in hidden]
        records[:] = [self._voucher(r) for r in kept]

    def _voucher(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        key = record.get("netvisorkey")
        if key not in (self.unbalanced_voucher, self.unknown_account_voucher) and (
            key not in self.locked_edits
        ):
            return record
        out = copy.deepcopy(dict(record))
        lines = out.get("voucherline") or []
        if key == self.unbalanced_voucher:
            position = _unbalanced_position(lines)
            if position is not None:
                lines[position]["linesum"] = lines[position]["linesum"] + OFF_BY
        if key == self.unknown_account_voucher and lines:
            for amount in (Decimal("5.00"), Decimal("-5.00")):
                extra = copy.deepcopy(lines[0])
                extra.pop("netvisorkey", None)
                extra.update(accountnumber=UNKNOWN_ACCOUNT, linesum=amount, description="?")
                lines.append(extra)
        if key in self.locked_edits:
            out["voucherdescription"] = self.locked_edits[key]
        return out

    def unbalanced_posting(self, company: Any) -> tuple[str, dt.date] | None:
        """The account and day the unbalanced voucher's extra 0.01 lands on."""
        if self.unbalanced_voucher is None:
            return None
        voucher = company.get("vouchers", self.unbalanced_voucher)
        if voucher is None:
            return None
        lines = voucher.get("voucherline") or []
        position = _unbalanced_position(lines)
        if position is None:
            return None
        return str(lines[position]["accountnumber"]), voucher["voucherdate"]

    # --- balances ---------------------------------------------------------------------

    def _balances(self, company: Any, rows: list) -> None:
        numbers = {a.get("netvisorkey"): str(a.get("number")) for a in company.accounts}
        posting = self.unbalanced_posting(company)
        for row in rows:
            number = numbers.get(row.get("netvisorkey"))
            delta = Decimal("0")
            if posting is not None and posting[0] == number and row["date"] >= posting[1]:
                # Netvisor's balances carry the unbalanced line too, as they would there.
                delta += OFF_BY
            if self.balance_offset is not None:
                account, day, amount = self.balance_offset
                if account == number and row["date"] == day:
                    delta += amount
            if delta:
                side = "debet" if delta > 0 else "kredit"
                row[side] = row[side] + abs(delta)
                row["balance"] = row["balance"] + delta

    # --- sales ------------------------------------------------------------------------

    def _invoice_lines(self, records: list, keyed: list) -> None:
        for i, (record, truth) in enumerate(zip(records, keyed, strict=True)):
            if truth.get("salesinvoicenetvisorkey") != self.invoice_lines_off:
                continue
            out = copy.deepcopy(dict(record))
            lines = ((out.get("invoicelines") or {}).get("invoiceline") or {}).get(
                "salesinvoiceproductline"
            ) or []
            if lines:
                lines[0]["salesinvoiceproductlinesum"] += Decimal("1.00")
            records[i] = out

    def _payments(self, company: Any, records: list, params: Mapping[str, str]) -> None:
        payment = company.get("sales_payments", self.duplicate_payment)
        if payment is None or "begindate" not in params or "enddate" not in params:
            return
        later = payment["date"] + dt.timedelta(days=31)
        window = Params(params)
        first, last = window.date("begindate"), window.date("enddate")
        if first is not None and last is not None and first <= later <= last:
            records.append({**payment, "date": later})


def _unbalanced_position(lines: list) -> int | None:
    for position, line in enumerate(lines):
        if str(line.get("accountnumber")) not in _CONTROL_ACCOUNTS:
            return position
    return None
