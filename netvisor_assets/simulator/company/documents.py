"""Creating documents: parties, invoice and order lines, invoices, payments, credit notes,
reposts. Lines are a pure function of (seed, kind, key, version); see `store`."""

from __future__ import annotations

import random
from datetime import date

from netvisor_assets.simulator import names as N
from netvisor_assets.simulator.company.store import (
    _CASH_DISCOUNT_TAKERS,
    _CAT_CC,
    _CAT_POOL,
    _DAY,
    _FX_MEAN,
    _MIN_REPLENISHMENT,
    _NLINES,
    _NO,
    _OVERHEAD_PERMILLE,
    _POOL_VENDOR_CAT,
    _PROJECTS,
    _SERVICE_COST_PERMILLE,
    _TERM_WEIGHTS,
    CURRENCIES,
    E_CREDIT,
    E_DUE,
    E_PACCEPT,
    E_PAPPROVE,
    E_PPAY,
    E_PREPOST,
    E_REMIND,
    E_SEND,
    E_SPAY,
    F_CREDIT_NOTE,
    F_CREDITED,
    K_CUST,
    K_PI,
    K_PP,
    K_SI,
    K_SP,
    K_VEND,
    K_VO,
    PAY_DISCOUNT,
    PAY_FULL,
    PAY_HALF,
    PAYMENT_TERMS,
    PP_FX,
    PP_PLAIN,
    SI_PAID,
    SI_UNSENT,
    SP_DISCOUNT,
    SP_FX,
    SP_PLAIN,
    SP_UNMATCHED,
    SRC_PI,
    SRC_PP,
    SRC_SI,
    SRC_SP,
    V_INVALIDATED,
    _convert,
    _mix,
    _purchase_price,
    _to_eur,
    _vat,
)


class DocumentsMixin:
    """Appends documents to the tables and posts their vouchers."""

    def _fx_rate(self, currency: int, day: int) -> int:
        """Units of `currency` per EUR x 10^4 in the month of `day`: the mean moved up to 2.5 %
        by a seeded draw per month, so invoice and payment months usually differ a little."""
        if not currency:
            return 10_000
        d = date.fromordinal(day)
        key = (currency, d.year * 12 + d.month)
        rate = self._fx_cache.get(key)
        if rate is None:
            r = random.Random(_mix(self.seed, 32, currency, key[1]))
            rate = _FX_MEAN[currency] * (1000 + r.randint(-25, 25)) // 1000
            self._fx_cache[key] = rate
        return rate

    def _new_customer(self, day: int, sec: int) -> None:
        """About one customer in 25 is foreign (Swedish in EU sales or American in export, each
        invoicing in its own currency). The first ten are domestic, so the tiny company (eight
        customers, the checks' end-to-end subject) stays all-domestic."""
        t = self._t[K_CUST]
        i = len(t)
        r = random.Random(_mix(self.seed, K_CUST, i, 0))
        term = r.choices(range(len(PAYMENT_TERMS)), _TERM_WEIGHTS)[0]
        country = (1, 1, 2)[(i // 25) % 3] if i % 25 == 10 + self.seed % 15 else 0
        t.append(day, term, _NO, country, 1, 1, 0, 0, sec, 0, 0)

    def _new_vendor(self, day: int, sec: int) -> None:
        """One vendor in 20 past the first eleven (one per category) is foreign, with a profile
        of names.FOREIGN_VENDORS in turn: its country, currency, account and VAT treatment."""
        t = self._t[K_VEND]
        i = len(t)
        r = random.Random(_mix(self.seed, K_VEND, i, 0))
        cat = i % len(N.VENDOR_CATEGORIES) if i < 11 else r.randrange(11)
        profile = 0
        if i >= 11 and i % 20 == 11 + self.seed % 9:
            profile = 1 + (i // 20) % len(N.FOREIGN_VENDORS)
            cat = N.FOREIGN_VENDORS[profile - 1][1]
        t.append(day, cat, _NO, profile, 1, 1, 0, 0, sec, 0, 0)
        self._vend_by_cat[cat].append(i)
        self._vend_facts.append(self._vendor_profile(i))

    def _vendor_facts(self, vend: int) -> tuple[tuple, str, int, str, bool, int, str]:
        """(category, expense account, VAT tenths, VAT code, reverse charge, currency index,
        country) of a vendor: its category's for a domestic one, its profile's for a foreign."""
        return self._vend_facts[vend]

    def _vendor_profile(self, vend: int) -> tuple[tuple, str, int, str, bool, int, str]:
        """The facts of `_vendor_facts`, worked out once when the vendor is created."""
        t = self._t[K_VEND]
        cat = N.VENDOR_CATEGORIES[t.party[vend]]
        profile = t.ref2[vend]
        if not profile:
            return cat, cat[1], cat[2], "KOOS" if cat[2] else "NONE", False, 0, "FI"
        country, _c, account, vat10, code, _stems = N.FOREIGN_VENDORS[profile - 1]
        currency = CURRENCIES.index(N.FOREIGN_COUNTRIES[country][1])
        return cat, account, vat10, code, code in ("EUPO", "EUOS"), currency, country

    @staticmethod
    def _sales_account(currency: int, cat: int, vat10: int) -> tuple[str, str]:
        """(revenue account, VAT code) of a sales line: EU sales and exports are VAT 0 % on
        their own accounts (a customer's currency index doubles as its country index)."""
        if currency == 1:
            return "3360", "EUMY"
        if currency == 2:
            return "3380", "NONE"
        return N.PRODUCT_CATEGORIES[cat][4], "KOMY" if vat10 else "NONE"

    def _sales_lines(self, kind: int, key: int, ver: int, cust: int, n_prod: int) -> list[tuple]:
        """Lines of a sales invoice/order version: (product, qty, unit cents, vat10, net, vat,
        cost centre, project or -1). A pure function of its arguments and the seed."""
        r = random.Random(_mix(self.seed, kind, key, ver))
        cats = N.PRODUCT_CATEGORIES
        lines = []
        favourite = cust % n_prod
        domestic = not self._t[K_CUST].ref2[cust]
        for _ in range(_NLINES[int(r.random() * 10)]):
            p = favourite if r.random() < 0.3 else int(r.random() * n_prod)
            cat = self._prod_cat[p]
            unit = cats[cat][2]
            qty = 1 + int(r.random() * (8 if unit in ("kg", "h", "pkt") else 3))
            price = self._prod_price[p]
            if r.random() < 0.15:  # occasional negotiated price
                price = price * 9 // 10
            vat10 = cats[cat][3] if domestic else 0
            net = qty * price
            project = int(r.random() * len(_PROJECTS)) if r.random() < 0.25 else -1
            lines.append((p, qty, price, vat10, net, _vat(net, vat10), _CAT_CC[cat], project))
        return lines

    def _purchase_lines(self, kind: int, key: int, ver: int, vend: int,
                        target: int = -1) -> list[tuple]:  # fmt: skip
        """Lines of a purchase invoice/order version: (description index, qty, unit cents,
        vat10, net, vat, cost centre, project or -1). With a `target` (net cents: rent, or the
        cost of sales to buy back) the lines split it; a corrected version moves it up to 3 %."""
        r = random.Random(_mix(self.seed, kind, key, ver))
        cat, _account, vat10, _code, _reverse, _cur, _country = self._vendor_facts(vend)
        lo, hi = cat[4]
        lines = []
        n = 1 + int(r.random() * r.random() * 3)
        left = target
        if target > 0 and ver > 1:
            left = target * (970 + int(r.random() * 61)) // 1000
        for k in range(n):
            if target > 0:
                share = left if k == n - 1 else left * (30 + int(r.random() * 50)) // 100
                left -= share
                qty = 1 if cat[1] == "7010" or r.random() < 0.6 else 2 + int(r.random() * 5)
                price = max(1, share // qty)
            else:
                qty = 1 if r.random() < 0.7 else 2 + int(r.random() * 5)
                price = (lo + int(r.random() * (hi - lo))) // qty
            net = qty * price
            cc = 4 if cat[1].startswith("4") else 3
            project = int(r.random() * len(_PROJECTS)) if r.random() < 0.2 else -1
            lines.append((int(r.random() * len(cat[3])), qty, price, vat10, net,
                          _vat(net, vat10), cc, project))  # fmt: skip
        return lines

    @staticmethod
    def _totals(lines: list[tuple]) -> tuple[int, int]:
        return sum(ln[4] + ln[5] for ln in lines), len(lines)

    def _purchase_total(self, vend: int, lines: list[tuple]) -> tuple[int, int]:
        """(amount, line count): a reverse-charged invoice carries no VAT, its amount is net."""
        if self._vendor_facts(vend)[4]:
            return sum(ln[4] for ln in lines), len(lines)
        return self._totals(lines)

    def _si_lines(self, i: int, ver: int | None = None) -> list[tuple]:
        """Lines of sales invoice i at `ver` (default: current); a credit note negates its
        original's lines at the version it credited."""
        si = self._t[K_SI]
        ver = si.ver[i] if ver is None else ver
        n_prod = self.spec.products  # only the initial catalogue is ever sold
        if si.flags[i] & F_CREDIT_NOTE:
            o = si.ref2[i]
            lines = self._sales_lines(K_SI, si.key(o), ver, si.party[o], n_prod)
            return [(p, -q, pr, v, -n, -vt, cc, pj) for p, q, pr, v, n, vt, cc, pj in lines]
        return self._sales_lines(K_SI, si.key(i), ver, si.party[i], n_prod)

    def _new_sales_invoice(self, day: int, r: random.Random, cust: int, n_prod: int) -> None:
        si = self._t[K_SI]
        sec = day * _DAY + r.randrange(8 * 3600, 18 * 3600)
        i = len(si)
        lines = self._sales_lines(K_SI, si.key(i), 1, cust, n_prod)
        amount, nl = self._totals(lines)
        self._si_number += 1
        si.append(day, cust, _NO, _NO, 1, SI_UNSENT, amount, 0, sec, self._si_number, nl)
        si.ref[i] = self._post_document(day, SRC_SI, i, 1, sec)
        self._cost_of_sales(lines, 1)
        self._schedule(day + 1 + (r.random() < 0.2), E_SEND, i)
        term = PAYMENT_TERMS[self._t[K_CUST].party[cust]]
        due = day + term[2]
        self._schedule(due + 1, E_DUE, i)
        self._schedule(due + 14, E_REMIND, i)
        u = r.random()
        if u < 0.03:
            self._schedule(day + r.randint(3, 20), E_CREDIT, i)
        elif u < 0.07:
            pass  # never paid: ends overdue / reminded
        elif u < 0.10:
            self._schedule(due + r.randint(-3, 5), E_SPAY, i, PAY_HALF)
            self._schedule(due + r.randint(10, 40), E_SPAY, i, PAY_FULL)
        elif term[3] and r.random() < _CASH_DISCOUNT_TAKERS:
            self._schedule(day + r.randint(4, term[3]), E_SPAY, i, PAY_DISCOUNT)
        else:
            delay = round(r.gauss(1, 6))
            self._schedule(max(day + 2, due + delay), E_SPAY, i, PAY_FULL)

    def _cost_of_sales(self, lines: list[tuple], sign: int) -> None:
        """Add (1: sold) or take back (-1: credited, deleted) the lines' cost to the pools, and
        their share of the overhead budget."""
        pool = self._pool
        margin = 0
        for p, qty, _price, _vat10, net, *_ in lines:
            cat = self._prod_cat[p]
            if _CAT_POOL[cat] == 2:
                cost = abs(net) * _SERVICE_COST_PERMILLE // 1000
            else:
                cost = abs(qty) * _purchase_price(self._prod_price[p])
            pool[_CAT_POOL[cat]] += sign * cost
            margin += abs(net) - cost
        self._overhead_budget += sign * (margin * _OVERHEAD_PERMILLE // 1000)

    def _replenish(self, day: int, r: random.Random, pool: int | None = None) -> None:
        """Buy back a pool of cost of sales (default: the largest) from a vendor of its
        category."""
        if pool is None:
            pool = max(range(len(self._pool)), key=self._pool.__getitem__)
        target = self._pool[pool]
        vendors = self._vend_by_cat[_POOL_VENDOR_CAT[pool]]
        if target < _MIN_REPLENISHMENT or not vendors:
            return
        self._pool[pool] = 0
        self._new_purchase_invoice(day, r, vendors[r.randrange(len(vendors))], target)

    def _new_purchase_invoice(self, day: int, r: random.Random, vend: int,
                              target: int = -1) -> int:  # fmt: skip
        """Create and post a purchase invoice; returns its net cents."""
        pi = self._t[K_PI]
        sec = day * _DAY + r.randrange(8 * 3600, 18 * 3600)
        i = len(pi)
        lines = self._purchase_lines(K_PI, pi.key(i), 1, vend, target)
        amount, nl = self._purchase_total(vend, lines)
        number = r.randrange(10_000, 99_999_999)
        pi.append(day, vend, _NO, target, 1, 0, amount, 0, sec, number, nl)
        pi.ref[i] = self._post_document(day, SRC_PI, i, 1, sec)
        self._schedule(day + r.randint(1, 3), E_PAPPROVE, i)
        self._schedule(day + r.randint(4, 8), E_PACCEPT, i)
        if r.random() < 0.05:
            repost = day + r.randint(1, 3)
            if date.fromordinal(repost).month == date.fromordinal(day).month:  # month closes
                self._schedule(repost, E_PREPOST, i)
        self._schedule(day + self._vendor_term(vend), E_PPAY, i)
        return sum(ln[4] for ln in lines)

    def _vendor_term(self, vend: int) -> int:
        return (14, 21, 30, 14)[vend % 4]

    def _credit_note(self, day: int, o: int, sec: int, summary: dict) -> None:
        si = self._t[K_SI]
        i = len(si)
        self._si_number += 1
        amount = -si.amount[o]
        si.append(day, si.party[o], _NO, o, si.ver[o], SI_PAID, amount, amount, sec,
                  self._si_number, si.nlines[o], F_CREDIT_NOTE)  # fmt: skip
        si.ref[i] = self._post_document(day, SRC_SI, i, si.ver[o], sec)
        self._cost_of_sales(self._si_lines(o), -1)  # the goods come back
        si.flags[o] |= F_CREDITED
        si.paid[o] = si.amount[o]
        si.status[o] = SI_PAID
        self._edit(K_SI, o, sec, summary)

    def _sales_payment(self, day: int, inv: int, cleared: int, discount: bool, sec: int,
                       summary: dict) -> None:  # fmt: skip
        """Book a payment that clears `cleared` cents of the invoice's receivable.

        A payment's `amount` is the cash received, its `paid` the receivable it clears. A
        foreign customer pays the invoice's foreign amount, which buys fewer or more euros at
        the payment month's rate (the difference is 3580's). A customer on a discount term
        paying within its days deducts the discount; its VAT share (the invoice's VAT ratio)
        goes back to 2939. The extra figure (foreign amount, discount VAT) is `number`.
        """
        sp, si = self._t[K_SP], self._t[K_SI]
        cust = si.party[inv]
        currency = self._t[K_CUST].ref2[cust]
        kind, cash, extra = SP_PLAIN, cleared, 0
        if currency:
            kind = SP_FX
            extra = _convert(cleared, self._fx_rate(currency, si.date[inv]))
            cash = _to_eur(extra, self._fx_rate(currency, day))
        elif discount and si.paid[inv] == 0:
            term = PAYMENT_TERMS[self._t[K_CUST].party[cust]]
            if day <= si.date[inv] + term[3]:
                kind = SP_DISCOUNT
                rebate = (cleared * int(term[4] * 10) + 500) // 1000
                vat = sum(ln[5] for ln in self._si_lines(inv))
                extra = (2 * rebate * vat + si.amount[inv]) // (2 * si.amount[inv])
                cash = cleared - rebate
        i = sp.append(day, cust, inv, _NO, 1, kind, cash, cleared, sec, extra, 0)
        sp.ref2[i] = self._post_document(day, SRC_SP, i, 1, sec)
        si.paid[inv] += cleared
        if si.paid[inv] >= si.amount[inv]:
            si.status[inv] = SI_PAID
        self._edit(K_SI, inv, sec, summary)

    def _unmatched_payment(self, day: int, r: random.Random, sec: int) -> None:
        """Money from a customer that matches no invoice: an advance on 2861, left unallocated
        (allocating advances is bookkeeping the simulation does not do)."""
        sp = self._t[K_SP]
        amount = r.randrange(50, 2500) * 100  # advances come in round euros
        i = sp.append(day, r.randrange(len(self._t[K_CUST])), _NO, _NO, 1, SP_UNMATCHED, amount,
                      0, sec, 0, 0)  # fmt: skip
        sp.ref2[i] = self._post_document(day, SRC_SP, i, 1, sec)

    def _purchase_payment(self, day: int, inv: int, cleared: int, sec: int,
                          summary: dict) -> None:  # fmt: skip
        """Pay `cleared` cents of a purchase invoice; in the vendor's currency the euros paid
        follow the payment month's rate (the difference is 4370's), `number` keeps the
        foreign sum."""
        pp, pi = self._t[K_PP], self._t[K_PI]
        vend = pi.party[inv]
        currency = self._vendor_facts(vend)[5]
        kind, cash, foreign = PP_PLAIN, cleared, cleared
        if currency:
            kind = PP_FX
            foreign = _convert(cleared, self._fx_rate(currency, pi.date[inv]))
            cash = _to_eur(foreign, self._fx_rate(currency, day))
        i = pp.append(day, vend, inv, _NO, 1, kind, cash, cleared, sec, foreign, 0)
        pp.ref2[i] = self._post_document(day, SRC_PP, i, 1, sec)
        pi.paid[inv] += cleared
        self._edit(K_PI, inv, sec, summary)

    def _repost(self, kind: int, i: int, sec: int, summary: dict) -> None:
        """Change a document's amounts: new version, old voucher invalidated, new one posted."""
        t = self._t[kind]
        t.ver[i] += 1
        if kind == K_SI:
            amount, nl = self._totals(self._si_lines(i))
            src = SRC_SI
        else:
            lines = self._purchase_lines(K_PI, t.key(i), t.ver[i], t.party[i], t.ref2[i])
            amount, nl = self._purchase_total(t.party[i], lines)
            src = SRC_PI
        t.amount[i], t.nlines[i] = amount, nl
        old = t.ref[i]
        vo = self._t[K_VO]
        self._post(old, -1)
        vo.status[old] = V_INVALIDATED
        self._edit(K_VO, old, sec, summary)
        t.ref[i] = self._post_document(t.date[i], src, i, t.ver[i], sec)
        self._edit(kind, i, sec, summary)
