"""The books: voucher postings, daily account sums, balances and the month and year close.

The books are meant to carry financial reports: the cost side is sized from what the seeded
catalogue earns (`Plan`), goods are bought back as they are sold, and the ledger has what an
SME's has: payroll side costs, depreciation, a bank loan, income tax and a TP result transfer,
foreign-currency customers and vendors with exchange differences, EU reverse charge, cash
discounts and unidentified payments. Every valid voucher balances and account balances are
exactly the sums of the daily columns `_deb` / `_kre`.
"""

from __future__ import annotations

from datetime import date, timedelta

from netvisor_assets.simulator.company.store import (
    _CLOSING_TEXT,
    _DAY,
    _EMPLOYEE_PENSION,
    _HEALTH,
    _INCOME_TAX_PERCENT,
    _NO,
    _OTHER_SOCIAL,
    _PENSION,
    E_TAX_PAY,
    E_VAT_PAY,
    K_CUST,
    K_PI,
    K_PP,
    K_SI,
    K_SP,
    K_VO,
    SP_DISCOUNT,
    SP_UNMATCHED,
    SRC_CLOSING,
    SRC_DEPRECIATION,
    SRC_INCOME_TAX,
    SRC_LOAN,
    SRC_OPENING,
    SRC_PAYROLL_TAX,
    SRC_PI,
    SRC_PP,
    SRC_SALARY,
    SRC_SI,
    SRC_SP,
    SRC_TAX_PAY,
    SRC_VAT,
    SRC_VAT_PAY,
    V_VALID,
    _add_months,
)

# Vouchers that move their whole amount from one account to another (VAT payment, the year's
# income tax, its payment): source -> (debit account, its text, credit account, its text).
_TRANSFERS = {
    SRC_VAT_PAY: ("2946", "ALV-maksu", "1910", "ALV-maksu"),
    SRC_INCOME_TAX: ("9900", "Tilikauden tuloverot", "2950", "Tuloverovelka"),
    SRC_TAX_PAY: ("2950", "Tuloveron maksu", "1910", "Tuloveron maksu"),
}


class LedgerMixin:
    """Posts vouchers to the daily account sums and closes months and years."""

    def _close_day(self, day: int) -> None:
        """After the last change of a month's last day, close the month: settle its VAT from
        the final sums (payable on the 12th of the month after next) and, in December, book the
        year's income tax.

        A closed month never changes again (`_random_changes` and reposts stay within the
        current month), so the settlement clears 2939 and 1763 for good, and a month synced
        after its close is what the warehouse finds once the lock passes it. Settling later,
        when the lock passes the month, would add a voucher to a locked period after the fact:
        every re-sync of that month would report it as a locked change.
        """
        d = date.fromordinal(day)
        if (d + timedelta(days=1)).day != 1:
            return
        sec = day * _DAY + 19 * 3600 + 1800  # after the day's changes, before the 20:00 clock
        pos = day - self._start + 1
        a_vat, a_rec = self._acc_index["2939"], self._acc_index["1763"]
        sales_vat = sum(self._kre[a_vat][:pos]) - sum(self._deb[a_vat][:pos])
        purchase_vat = sum(self._deb[a_rec][:pos]) - sum(self._kre[a_rec][:pos])
        if sales_vat or purchase_vat:
            self._post_manual(day, SRC_VAT, sales_vat, purchase_vat, sec)
            due = _add_months(d, 2).replace(day=12).toordinal()
            self._schedule(due, E_VAT_PAY, 0, sales_vat - purchase_vat)
        if d.month == 12:
            self._income_tax(d.year, sec + 60)

    def _income_tax(self, year: int, sec: int) -> None:
        """Income tax on the year's profit before taxes, dated 31 December (memo voucher); the
        year's income-statement balances, tax included, are kept for the result transfer.

        The year's balances come from the daily sums of its days, less last year's TP voucher
        (dated 1 January of this year, it belongs to last year's result).
        """
        first = max(date(year, 1, 1).toordinal(), self._start) - self._start
        last = date(year, 12, 31).toordinal() - self._start + 1
        deb, kre = self._deb, self._kre
        result = {a: sum(deb[a][first:last]) - sum(kre[a][first:last]) for a in self._pl_accounts}
        previous = self._closing_of_year.get(year - 1)
        if previous is not None:
            for a, cents in self._closing_lines[previous]:
                if a in result:
                    result[a] -= cents
        profit = -sum(result.values())
        tax = profit * _INCOME_TAX_PERCENT // 100 if profit > 0 else 0
        if tax:
            self._post_manual(date(year, 12, 31).toordinal(), SRC_INCOME_TAX, tax, 0, sec)
            result[self._acc_index["9900"]] += tax
            # The year's tax is paid in one go (no prepayments are simulated).
            self._schedule(date(year + 1, 2, 23).toordinal(), E_TAX_PAY, 0, tax)
        self._year_result[year] = result

    def _transfer_result(self, year: int, sec: int) -> None:
        """One TP voucher dated 1 January that reverses every income-statement account's
        balance of the closed year and books the result to 2250 (retained earnings)."""
        result = self._year_result.pop(year)
        lines = [(a, -b) for a, b in result.items() if b]
        lines.append((self._acc_index["2250"], sum(result.values())))
        vo = self._t[K_VO]
        day = date(year + 1, 1, 1).toordinal()
        v = vo.append(day, SRC_CLOSING, _NO, year, 0, V_VALID, -sum(result.values()), 0, sec,
                      self._voucher_number(day), 0)  # fmt: skip
        self._closing_lines[v] = lines
        vo.nlines[v] = self._post(v, 1)
        self._closing_of_year[year] = v

    def _depreciate(self, day: int, sec: int) -> None:
        """Planned depreciation of the month: machinery 25 % a year of its book value (a twelfth
        a month), intangible rights straight line over five years of their opening value."""
        opening = self.plan.intangible
        machinery = (self._machinery * 25 + 600) // 1200
        self._machinery -= machinery
        self._depreciation_months += 1
        k = self._depreciation_months
        intangible = 0
        if k <= 60:
            intangible = opening * k // 60 - opening * (k - 1) // 60
        if machinery or intangible:
            self._post_manual(day, SRC_DEPRECIATION, machinery, intangible, sec)

    def _voucher_number(self, day: int) -> int:
        year = date.fromordinal(day).year
        n = self._voucher_numbers.get(year, 0) + 1
        self._voucher_numbers[year] = n
        return n

    def _post_document(self, day: int, src: int, source: int, ver: int, sec: int) -> int:
        vo = self._t[K_VO]
        v = vo.append(day, src, source, ver, 0, V_VALID, 0, 0, sec, self._voucher_number(day), 0)
        vo.nlines[v] = self._post(v, 1)
        return v

    def _post_manual(self, day: int, src: int, amount: int, amount2: int, sec: int) -> int:
        vo = self._t[K_VO]
        v = vo.append(day, src, _NO, _NO, 0, V_VALID, amount, amount2, sec,
                      self._voucher_number(day), 0)  # fmt: skip
        vo.nlines[v] = self._post(v, 1)
        return v

    def _post(self, v: int, sign: int) -> int:
        """Add (sign 1) or remove (sign -1) voucher v's lines to the daily account sums."""
        pos = self._t[K_VO].date[v] - self._start
        deb, kre = self._deb, self._kre
        n = 0
        for acc, cents, *_ in self._voucher_lines(v):
            if cents >= 0:
                deb[acc][pos] += sign * cents
            else:
                kre[acc][pos] -= sign * cents
            n += 1
        self._balance_cache = None
        return n

    def _voucher_lines(self, v: int) -> list[tuple]:
        """Lines of voucher v: (account index, signed cents, vat10 or None, vat code,
        description, cost centre or -1, project or -1). Pure function of stored state."""
        vo = self._t[K_VO]
        src, s = vo.party[v], vo.ref[v]
        ai = self._acc_index
        if src == SRC_SI:
            return self._sales_invoice_postings(v, s, ai)
        if src == SRC_PI:
            return self._purchase_invoice_postings(v, s, ai)
        if src == SRC_SP:
            return self._sales_payment_postings(s, ai)
        if src == SRC_PP:
            return self._purchase_payment_postings(s, ai)
        if src in (SRC_SALARY, SRC_PAYROLL_TAX):
            return self._payroll_postings(v, src, ai)
        return self._other_postings(v, src, ai)

    def _sales_invoice_postings(self, v: int, s: int, ai: dict[str, int]) -> list[tuple]:
        """Receivable, revenue per line and VAT per rate of sales invoice s's voucher v."""
        vo = self._t[K_VO]
        out: list[tuple] = []
        si = self._t[K_SI]
        lines = self._si_lines(s, vo.ref2[v])  # the version this voucher was posted for
        currency = self._t[K_CUST].ref2[si.party[s]]
        gross = 0
        vat_by_rate: dict[int, int] = {}
        body = []
        for p, _q, _pr, vat10, net, vat, cc, pj in lines:
            gross += net + vat
            vat_by_rate[vat10] = vat_by_rate.get(vat10, 0) + vat
            account, code = self._sales_account(currency, self._prod_cat[p], vat10)
            body.append((ai[account], -net, vat10, code, self._prod_name[p], cc, pj))
        out.append((ai["1700"], gross, None, "-", "Myyntisaamiset", -1, -1))
        out.extend(body)
        for vat10, vat in vat_by_rate.items():
            if vat:
                out.append((ai["2939"], -vat, vat10, "-", "Arvonlisävero", -1, -1))
        return out

    def _purchase_invoice_postings(self, v: int, s: int, ai: dict[str, int]) -> list[tuple]:
        """Expense per line, deductible (and reverse-charged) VAT and the payable."""
        vo = self._t[K_VO]
        out: list[tuple] = []
        pi = self._t[K_PI]
        vend = pi.party[s]
        lines = self._purchase_lines(K_PI, pi.key(s), vo.ref2[v], vend, pi.ref2[s])
        cat, account, _vat10, code, reverse, _cur, _country = self._vendor_facts(vend)
        total = 0
        vat_by_rate = {}
        for d_i, _q, _pr, vat10, net, vat, cc, pj in lines:
            total += net if reverse else net + vat
            vat_by_rate[vat10] = vat_by_rate.get(vat10, 0) + vat
            out.append((ai[account], net, vat10, code, cat[3][d_i], cc, pj))
        for vat10, vat in vat_by_rate.items():
            if vat:
                out.append((ai["1763"], vat, vat10, "-", "Arvonlisävero", -1, -1))
                if reverse:  # the buyer owes the VAT it deducts
                    out.append((ai["2939"], -vat, vat10, "-", "Käännetty verovelvollisuus",
                                -1, -1))  # fmt: skip
        out.append((ai["2871"], -total, None, "-", "Ostovelat", -1, -1))
        return out

    def _sales_payment_postings(self, s: int, ai: dict[str, int]) -> list[tuple]:
        """Bank against receivable, with cash discount or exchange difference; an unmatched
        payment is an advance on 2861."""
        sp = self._t[K_SP]
        cash, cleared, kind, extra = sp.amount[s], sp.paid[s], sp.status[s], sp.number[s]
        if kind == SP_UNMATCHED:
            text = "Tunnistamaton suoritus"
            return [(ai["1910"], cash, None, "-", text, -1, -1),
                    (ai["2861"], -cash, None, "-", text, -1, -1)]  # fmt: skip
        out = [(ai["1910"], cash, None, "-", "Asiakassuoritus", -1, -1)]
        if kind == SP_DISCOUNT:
            out.append((ai["3500"], cleared - cash - extra, None, "-", "Käteisalennus", -1,
                        -1))  # fmt: skip
            if extra:
                out.append((ai["2939"], extra, None, "-", "Käteisalennuksen ALV", -1, -1))
        elif cash != cleared:
            out.append((ai["3580"], cleared - cash, None, "-", "Kurssiero", -1, -1))
        out.append((ai["1700"], -cleared, None, "-", "Asiakassuoritus", -1, -1))
        return out

    def _purchase_payment_postings(self, s: int, ai: dict[str, int]) -> list[tuple]:
        """Payable against bank, with the exchange difference of a foreign-currency payment."""
        pp = self._t[K_PP]
        cash, cleared = pp.amount[s], pp.paid[s]
        out = [(ai["2871"], cleared, None, "-", "Ostolaskun maksu", -1, -1)]
        if cash != cleared:
            out.append((ai["4370"], cash - cleared, None, "-", "Kurssiero", -1, -1))
        out.append((ai["1910"], -cash, None, "-", "Ostolaskun maksu", -1, -1))
        return out

    def _payroll_postings(self, v: int, src: int, ai: dict[str, int]) -> list[tuple]:
        """The month's salaries with side costs (SRC_SALARY), or paying the withheld and side
        costs on the 12th (SRC_PAYROLL_TAX)."""
        vo = self._t[K_VO]
        g = vo.amount[v]
        pension = g * _PENSION // 10_000
        employee_pension = g * _EMPLOYEE_PENSION // 10_000
        health = g * _HEALTH // 10_000
        social = g * _OTHER_SOCIAL // 10_000
        withholding = g * 20 // 100
        if src == SRC_SALARY:
            out = [
                (ai["5000"], g, None, "-", "Palkat", 3, -1),
                (ai["6130"], pension, None, "-", "TyEL-maksut", 3, -1),
                (ai["6410"], health, None, "-", "Sairausvakuutusmaksu", 3, -1),
                (ai["6300"], social, None, "-", "Työttömyys- ja tapaturmavakuutus", 3, -1),
                (ai["2931"], -withholding, None, "-", "Ennakonpidätys", -1, -1),
                (ai["2935"], -(pension + employee_pension), None, "-", "TyEL", -1, -1),
                (ai["2937"], -health, None, "-", "Sairausvakuutusmaksu", -1, -1),
                (ai["2938"], -social, None, "-", "Työttömyys- ja tapaturmavakuutus", -1,
                 -1),
                (ai["1910"], -(g - withholding - employee_pension), None, "-",
                 "Nettopalkat", -1, -1),
            ]  # fmt: skip
        else:
            out = [
                (ai["2931"], withholding, None, "-", "Ennakonpidätykset", -1, -1),
                (ai["2935"], pension + employee_pension, None, "-", "TyEL", -1, -1),
                (ai["2937"], health, None, "-", "Sairausvakuutusmaksu", -1, -1),
                (ai["2938"], social, None, "-", "Työttömyys- ja tapaturmavakuutus", -1,
                 -1),
                (ai["1910"], -(withholding + pension + employee_pension + health + social),
                 None, "-", "Työnantajasuoritukset", -1, -1),
            ]  # fmt: skip
        return out

    def _other_postings(self, v: int, src: int, ai: dict[str, int]) -> list[tuple]:
        """Opening balance, VAT settlement and payment, depreciation, loan, income tax, the TP
        result transfer and the tax payment: vouchers of no document (the plain transfers by
        `_TRANSFERS`)."""
        vo = self._t[K_VO]
        out: list[tuple] = []
        if src == SRC_OPENING:
            plan = self.plan
            bank = vo.amount[v]
            capital, loan = self.spec.share_capital_cents, plan.loan
            assets = bank + plan.machinery + plan.intangible
            opening = (("1910", bank), ("1160", plan.machinery), ("1040", plan.intangible),
                       ("2400", -loan), ("2000", -capital),
                       ("2250", capital + loan - assets))  # fmt: skip
            out = [(ai[n], c, None, "-", "Avaava tase", -1, -1) for n, c in opening if c]
        elif src == SRC_VAT:
            sales_vat, purchase_vat = vo.amount[v], vo.paid[v]
            out = [(ai["2939"], sales_vat, None, "-", "ALV-tilitys", -1, -1),
                   (ai["1763"], -purchase_vat, None, "-", "ALV-tilitys", -1, -1),
                   (ai["2946"], purchase_vat - sales_vat, None, "-", "ALV-tilitys", -1,
                    -1)]  # fmt: skip
            out = [ln for ln in out if ln[1]]
        elif src in _TRANSFERS:
            debit, debit_text, credit, credit_text = _TRANSFERS[src]
            a = vo.amount[v]
            out = [(ai[debit], a, None, "-", debit_text, -1, -1),
                   (ai[credit], -a, None, "-", credit_text, -1, -1)]  # fmt: skip
        elif src == SRC_DEPRECIATION:
            machinery, intangible = vo.amount[v], vo.paid[v]
            out = [(ai["6800"], machinery + intangible, None, "-", "Suunnitelman mukaiset poistot",
                    3, -1),
                   (ai["1160"], -machinery, None, "-", "Koneiden ja kaluston poisto", -1, -1),
                   (ai["1040"], -intangible, None, "-", "Aineettomien oikeuksien poisto", -1,
                    -1)]  # fmt: skip
            out = [ln for ln in out if ln[1]]
        elif src == SRC_LOAN:
            instalment, interest = vo.amount[v], vo.paid[v]
            out = [(ai["2400"], instalment, None, "-", "Lainan lyhennys", -1, -1),
                   (ai["8400"], interest, None, "-", "Lainan korko", -1, -1),
                   (ai["1910"], -(instalment + interest), None, "-", "Lainan lyhennys ja korko",
                    -1, -1)]  # fmt: skip
            out = [ln for ln in out if ln[1]]
        elif src == SRC_CLOSING:
            result = ai["2250"]
            out = [(a, cents, None, "-", _CLOSING_TEXT[a == result], -1, -1)
                   for a, cents in self._closing_lines[v]]  # fmt: skip
        return out

    def _prefix_sums(self) -> list[tuple[list[int], list[int]]]:
        if self._balance_cache is None:
            from itertools import accumulate

            self._balance_cache = (
                0,
                [
                    (list(accumulate(d)), list(accumulate(k)))
                    for d, k in zip(self._deb, self._kre, strict=True)
                ],  # fmt: skip
            )
        return self._balance_cache[1]
