"""The day-by-day simulation: the event calendar and what happens on each day.

The company is simulated day by day: each day sends yesterday's invoices, moves statuses (due,
reminded, approved), books payments scheduled by earlier invoices, creates the day's new
documents and, at month end, books payroll and depreciation and closes the month: corrections
never reach back into a closed month, so the VAT settlement posted after the month's last
change clears 2939 and 1763 for good, and nothing dated on or before the period lock (the end
of the month before last) ever changes. December's close books the income tax, and 1 January
the result transfer. `advance()` runs the same simulation for new days, plus random edits and
deletions, so the initial data and later changes look the same to a sync.
"""

from __future__ import annotations

import random
from array import array
from datetime import date, timedelta

from netvisor_assets.simulator.company.store import (
    _DAY,
    _K_DAY,
    _LOAN_DAY,
    _LOAN_INTEREST_PERCENT,
    _LOAN_MONTHS,
    _NO,
    _OVERHEAD_CATS,
    _OVERHEAD_HEADROOM,
    _OVERHEAD_WEIGHTS,
    _RENT_CAT,
    E_CREDIT,
    E_DUE,
    E_PACCEPT,
    E_PAPPROVE,
    E_PAYROLL_TAX,
    E_PO,
    E_PPAY,
    E_PREPOST,
    E_REMIND,
    E_SEND,
    E_SO,
    E_SPAY,
    E_TAX_PAY,
    E_VAT_PAY,
    F_CREDITED,
    K_CUST,
    K_PI,
    K_PO,
    K_SI,
    K_SO,
    K_VEND,
    KINDS,
    PAY_DISCOUNT,
    PAY_HALF,
    SI_OPEN,
    SI_OVERDUE,
    SI_REMINDED,
    SI_UNSENT,
    SRC_LOAN,
    SRC_OPENING,
    SRC_PAYROLL_TAX,
    SRC_SALARY,
    SRC_TAX_PAY,
    SRC_VAT_PAY,
    _add_months,
    _business_day,
    _count,
    _mix,
)


class SimulationMixin:
    """Runs days: scheduled events, new documents, the loan and the month end."""

    def _run_days(self, days: int, *, changes: bool) -> dict:
        summary: dict[str, dict[str, int]] = {
            "created": dict.fromkeys(KINDS, 0),
            "edited": dict.fromkeys(KINDS, 0),
            "deleted": dict.fromkeys(KINDS, 0),
        }
        before = [len(t) for t in self._t]
        if days:
            grow = array("q", bytes(8 * days))
            for col in (*self._deb, *self._kre):
                col.extend(grow)
        for _ in range(days):
            self.today += timedelta(days=1)
            day = self.today.toordinal()
            self._simulate_day(day, summary)
            if changes:
                self._random_changes(day, summary)
            self._close_day(day)
        for kind, t, n in zip(KINDS, self._t, before, strict=True):
            summary["created"][kind] = len(t) - n
        self._cache.clear()
        self._balance_cache = None
        return summary

    def _schedule(self, day: int, event: int, idx: int, arg: int = 0) -> None:
        bucket = self._events.get(day)
        if bucket is None:
            self._events[day] = [(event, idx, arg)]
        else:
            bucket.append((event, idx, arg))

    def _edit(self, kind: int, i: int, sec: int, summary: dict) -> None:
        self._t[kind].touch(i, sec)
        summary["edited"][KINDS[kind]] += 1

    def _simulate_day(self, day: int, summary: dict) -> None:
        """One business day: the opening balance (first day), the result transfer (1 January),
        the events due today, the day's new documents, then the loan and the month end. All
        draws come from the day's own stream `r`, in this order."""
        r = random.Random(_mix(self.seed, _K_DAY, day, 0))
        d = date.fromordinal(day)
        base = day * _DAY
        if day == self._start:
            self._post_manual(day, SRC_OPENING, self.plan.opening_bank, 0, base + 7 * 3600)
        # 0. a new year begins with the result transfer of the year closed last night
        if d.month == 1 and d.day == 1 and d.year - 1 in self._year_result:
            self._transfer_result(d.year - 1, base + 6 * 3600)
        # 1. events due today, in the order they were scheduled
        for event, i, arg in self._events.pop(day, ()):
            sec = base + r.randrange(8 * 3600, 18 * 3600)
            self._run_event(day, event, i, arg, sec, summary)
        # 2. new documents
        self._new_documents(day, d, r, base)
        # 3. and 4.
        self._month_events(day, d, r, base)

    def _run_event(self, day: int, event: int, i: int, arg: int, sec: int, summary: dict) -> None:
        """Carry out one scheduled event on document i (skipped when it no longer applies)."""
        si, pi, so, po = self._t[K_SI], self._t[K_PI], self._t[K_SO], self._t[K_PO]
        if event in (E_SEND, E_DUE, E_REMIND, E_SPAY, E_CREDIT):
            if si.deleted[i] or si.flags[i] & F_CREDITED:
                return
            st = si.status[i]
            if event == E_SEND:
                if st == SI_UNSENT:
                    si.status[i] = SI_OPEN
                    self._edit(K_SI, i, sec, summary)
            elif event == E_DUE:
                if st == SI_OPEN and si.paid[i] < si.amount[i]:
                    si.status[i] = SI_OVERDUE
                    self._edit(K_SI, i, sec, summary)
            elif event == E_REMIND:
                if st == SI_OVERDUE:
                    si.status[i] = SI_REMINDED
                    self._edit(K_SI, i, sec, summary)
            elif event == E_SPAY:
                open_ = si.amount[i] - si.paid[i]
                if open_ > 0 and st != SI_UNSENT:
                    cleared = max(1, open_ // 2) if arg == PAY_HALF else open_
                    self._sales_payment(day, i, cleared, arg == PAY_DISCOUNT, sec, summary)
            elif event == E_CREDIT and si.paid[i] == 0 and st != SI_UNSENT:
                self._credit_note(day, i, sec, summary)
        elif event in (E_PAPPROVE, E_PACCEPT, E_PPAY, E_PREPOST):
            if pi.deleted[i]:
                return
            if event == E_PAPPROVE and pi.status[i] == 0:
                pi.status[i] = 1
                self._edit(K_PI, i, sec, summary)
            elif event == E_PACCEPT and pi.status[i] == 1:
                pi.status[i] = 2
                self._edit(K_PI, i, sec, summary)
            elif event == E_PPAY and pi.paid[i] < pi.amount[i]:
                self._purchase_payment(day, i, pi.amount[i] - pi.paid[i], sec, summary)
            elif event == E_PREPOST and pi.paid[i] == 0:
                self._repost(K_PI, i, sec, summary)
        elif event == E_SO:
            if not so.deleted[i] and so.status[i] < arg:
                so.status[i] = arg
                self._edit(K_SO, i, sec, summary)
        elif event == E_PO:
            if not po.deleted[i] and po.status[i] < arg:
                po.status[i] = arg
                self._edit(K_PO, i, sec, summary)
        elif event == E_PAYROLL_TAX:
            self._post_manual(day, SRC_PAYROLL_TAX, arg, 0, sec)
        elif event == E_VAT_PAY and arg:
            self._post_manual(day, SRC_VAT_PAY, arg, 0, sec)
        elif event == E_TAX_PAY and arg:
            self._post_manual(day, SRC_TAX_PAY, arg, 0, sec)

    def _new_documents(self, day: int, d: date, r: random.Random, base: int) -> None:
        """The day's new customers, invoices, orders and unmatched payments (weekends a tenth)."""
        spec = self.spec
        so, po = self._t[K_SO], self._t[K_PO]
        factor = 1.0 if _business_day(d) else 0.1
        month_share = 1 / 30
        for _ in range(_count(r, spec.new_customers_per_month * month_share)):
            self._new_customer(day, base + r.randrange(8 * 3600, 18 * 3600))
        n_cust, n_prod = len(self._t[K_CUST]), spec.products
        for _ in range(_count(r, spec.sales_per_day * factor)):
            self._new_sales_invoice(day, r, r.randrange(n_cust), n_prod)
        landlords = self._vend_by_cat[_RENT_CAT]
        if d.day == 1 and landlords:
            self._new_purchase_invoice(day, r, landlords[0], self.plan.rent)
        for _ in range(_count(r, spec.goods_purchases_per_day * factor)):
            self._replenish(day, r)
        for _ in range(_count(r, self.plan.overhead_per_day * _OVERHEAD_HEADROOM * factor)):
            if self._overhead_budget <= 0:
                break
            cat = r.choices(_OVERHEAD_CATS, _OVERHEAD_WEIGHTS)[0]
            vendors = self._vend_by_cat[cat] or self._vend_by_cat[_OVERHEAD_CATS[0]]
            if vendors:
                vend = vendors[r.randrange(len(vendors))]
                self._overhead_budget -= self._new_purchase_invoice(day, r, vend)
        for _ in range(_count(r, spec.sales_orders_per_day * factor)):
            sec = base + r.randrange(8 * 3600, 18 * 3600)
            cust = r.randrange(n_cust)
            i = len(so)
            self._so_number += 1
            amount, nl = self._totals(self._sales_lines(K_SO, so.key(i), 1, cust, n_prod))
            so.append(day, cust, _NO, _NO, 1, 0, amount, 0, sec, self._so_number, nl)
            so.ref2[i] = n_prod
            self._schedule(day + r.randint(1, 5), E_SO, i, 1)
            self._schedule(day + r.randint(6, 15), E_SO, i, 2)
        n_vend = len(self._t[K_VEND])
        for _ in range(_count(r, spec.purchase_orders_per_day * factor)):
            sec = base + r.randrange(8 * 3600, 18 * 3600)
            vend = r.randrange(n_vend)
            i = len(po)
            self._po_number += 1
            amount, nl = self._purchase_total(vend, self._purchase_lines(K_PO, po.key(i), 1, vend))
            po.append(day, vend, _NO, _NO, 1, 0, amount, 0, sec, self._po_number, nl)
            step = day
            for status in range(1, 5):
                step += r.randint(1, 7)
                self._schedule(step, E_PO, i, status)
        # A few payments a month match no invoice (no reference, a wrong one): advances.
        for _ in range(_count(r, 0.1 * min(spec.sales_per_day / 5.5, 3.0) * factor)):
            self._unmatched_payment(day, r, base + r.randrange(8 * 3600, 18 * 3600))

    def _month_events(self, day: int, d: date, r: random.Random, base: int) -> None:
        """The loan's instalment on its day; at month end the collective purchase invoices,
        payroll and depreciation."""
        # 3. the loan's monthly instalment and interest
        if d.day == _LOAN_DAY and self._loan > 0:
            interest = (self._loan * _LOAN_INTEREST_PERCENT + 600) // 1200
            instalment = min(self._loan, self.plan.loan // _LOAN_MONTHS)
            self._loan -= instalment
            self._post_manual(day, SRC_LOAN, instalment, interest, base + 9 * 3600)
        # 4. month end: suppliers' collective invoices for what is left, payroll, depreciation
        if (d + timedelta(days=1)).day == 1:
            for pool in range(len(self._pool)):
                self._replenish(day, r, pool)
            sec = base + 16 * 3600
            lo, hi = self.plan.salary_range
            gross = sum(r.randrange(lo, hi) for _ in range(self.plan.employees))
            self._post_manual(day, SRC_SALARY, gross, 0, sec)
            self._schedule((_add_months(d, 1).replace(day=12)).toordinal(), E_PAYROLL_TAX, 0,
                           gross)  # fmt: skip
            self._depreciate(day, sec + 60)
