"""Random edits and deletions `advance()` makes: contact details, prices, invoice
corrections, deleted drafts and mistaken payments, all within the current month."""

from __future__ import annotations

import bisect
import random
from datetime import date

from netvisor_assets.simulator.company.store import (
    _DAY,
    _K_CHANGE,
    _NO,
    E_PPAY,
    E_SPAY,
    K_CUST,
    K_PI,
    K_PO,
    K_PP,
    K_PROD,
    K_SI,
    K_SO,
    K_SP,
    K_VEND,
    K_VO,
    KINDS,
    PAYMENT_TERMS,
    SI_OPEN,
    SI_OVERDUE,
    SI_PAID,
    SI_UNSENT,
    V_VALID,
    _count,
    _mix,
)


class ChangesMixin:
    """The day's random changes, drawn from their own seeded stream."""

    def _random_changes(self, day: int, summary: dict) -> None:
        """Edits and deletions a real company makes: contact details, prices, invoice
        corrections, deleting unsent drafts and mistaken payments.

        Longer than most on purpose: every change draws from the one stream `r` in a fixed
        order (the company is a function of its seed), and the steps share `when`/`recent`;
        splitting it would only move that order into argument lists.
        """
        r = random.Random(_mix(self.seed, _K_CHANGE, day, 0))
        base = day * _DAY
        # A month is closed at its end (`_close_day`): corrections and deletions only touch
        # documents of the current month, so nothing is ever changed near or behind the lock.
        month_start = date.fromordinal(day).replace(day=1).toordinal()

        def when() -> int:
            return base + r.randrange(8 * 3600, 19 * 3600)

        def recent(kind: int, days: int) -> int | None:
            t = self._t[kind]
            if not len(t):
                return None
            lo_day = max(day - days, month_start)
            lo = bisect.bisect_left(t.date, lo_day)
            if lo >= len(t):
                return None
            return lo + r.randrange(len(t) - lo)

        spec = self.spec
        scale = max(spec.sales_per_day / 5.5, 0.2)
        # master data edits
        for kind, rate in ((K_CUST, 0.3), (K_VEND, 0.1), (K_PROD, 0.05)):
            t = self._t[kind]
            for _ in range(_count(r, rate * scale)):
                i = r.randrange(len(t))
                t.ver[i] += 1
                if kind == K_CUST and r.random() < 0.1:
                    t.status[i] = 1 - t.status[i]
                self._edit(kind, i, when(), summary)
        # invoice corrections (amounts): only unpaid, uncredited ones
        si = self._t[K_SI]
        for _ in range(_count(r, 0.15 * scale)):
            i = recent(K_SI, 20)
            if (i is not None and not si.deleted[i] and si.paid[i] == 0 and not si.flags[i]
                    and si.status[i] in (SI_UNSENT, SI_OPEN)):  # fmt: skip
                self._repost(K_SI, i, when(), summary)
        pi = self._t[K_PI]
        for _ in range(_count(r, 0.05 * scale)):
            i = recent(K_PI, 20)
            if i is not None and not pi.deleted[i] and pi.paid[i] == 0:
                self._repost(K_PI, i, when(), summary)
        # deletions
        for _ in range(_count(r, 0.1 * scale)):
            i = recent(K_SI, 3)
            if (i is not None and not si.deleted[i] and si.status[i] == SI_UNSENT
                    and not si.flags[i] and si.paid[i] == 0):  # fmt: skip
                sec = when()
                self._delete(K_SI, i, sec, summary)
                self._delete_voucher(si.ref[i], sec, summary)
                self._cost_of_sales(self._si_lines(i), -1)
        for _ in range(_count(r, 0.03 * scale)):
            i = recent(K_PI, 5)
            if i is not None and not pi.deleted[i] and pi.paid[i] == 0 and pi.status[i] == 0:
                sec = when()
                self._delete(K_PI, i, sec, summary)
                self._delete_voucher(pi.ref[i], sec, summary)
        for kind in (K_SO, K_PO):
            for _ in range(_count(r, 0.03 * scale)):
                i = recent(kind, 10)
                if i is not None and not self._t[kind].deleted[i] and self._t[kind].status[i] == 0:
                    self._delete(kind, i, when(), summary)
        for kind, inv_kind in ((K_SP, K_SI), (K_PP, K_PI)):
            for _ in range(_count(r, 0.03 * scale)):
                i = recent(kind, 5)
                t = self._t[kind]
                if i is None or t.deleted[i]:
                    continue
                sec = when()
                inv = t.ref[i]
                it = self._t[inv_kind]
                self._delete(kind, i, sec, summary)
                self._delete_voucher(t.ref2[i], sec, summary)
                if inv == _NO:  # an unmatched payment: no invoice to reopen
                    continue
                it.paid[inv] -= t.paid[i]
                if inv_kind == K_SI and it.status[inv] == SI_PAID:
                    due = it.date[inv] + PAYMENT_TERMS[self._t[K_CUST].party[it.party[inv]]][2]
                    it.status[inv] = SI_OPEN if day <= due else SI_OVERDUE
                    # the customer pays again a week later
                    self._schedule(day + 7, E_SPAY, inv, 0)
                elif inv_kind == K_PI:
                    self._schedule(day + 3, E_PPAY, inv, 0)
                self._edit(inv_kind, inv, sec, summary)

    def _delete(self, kind: int, i: int, sec: int, summary: dict) -> None:
        t = self._t[kind]
        t.deleted[i] = 1
        t.deletions.append((sec, i))
        summary["deleted"][KINDS[kind]] += 1

    def _delete_voucher(self, v: int, sec: int, summary: dict) -> None:
        vo = self._t[K_VO]
        if vo.deleted[v]:
            return
        if vo.status[v] == V_VALID:
            self._post(v, -1)
        self._delete(K_VO, v, sec, summary)
