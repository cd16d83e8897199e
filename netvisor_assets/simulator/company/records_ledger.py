"""Record builders of the ledger family: vouchers with their lines and dimensions, in the
shapes real ledger responses have."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from netvisor_assets.simulator.company.chart import (
    _VOUCHER_TYPES,
)
from netvisor_assets.simulator.company.store import (
    _COST_CENTRES,
    _NO,
    _PROJECTS,
    _VAT_DEC,
    K_PI,
    K_PP,
    K_SI,
    K_SP,
    K_VO,
    OLDER_PERIOD_DAYS,
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
    _mix,
    _money,
    _to_dt,
)

# The voucher type (index into `chart._VOUCHER_TYPES`) each voucher source posts under.
_SRC_VTYPE = {SRC_SI: 0, SRC_PI: 2, SRC_SP: 1, SRC_PP: 3, SRC_OPENING: 7, SRC_SALARY: 7,
              SRC_PAYROLL_TAX: 5, SRC_VAT: 4, SRC_VAT_PAY: 5, SRC_DEPRECIATION: 7,
              SRC_LOAN: 5, SRC_INCOME_TAX: 7, SRC_CLOSING: 8, SRC_TAX_PAY: 5}  # fmt: skip


class LedgerRecordsMixin:
    """`_build_vouchers` and the older-shape quirks."""

    def _dims(self, cc: int, pj: int) -> list[dict]:
        out = [{"dimensionname": "Kustannuspaikka", "dimensionitem": _COST_CENTRES[cc]}]
        if pj >= 0:
            out.append({"dimensionname": "Projekti", "dimensionitem": _PROJECTS[pj]})
        return out

    def _build_vouchers(self, v: int) -> dict:
        vo = self._t[K_VO]
        src = vo.party[v]
        key = vo.key(v)
        vtype = _VOUCHER_TYPES[_SRC_VTYPE[src]]
        status = "valid" if vo.status[v] == V_VALID else "invalidated"
        desc, link = self._voucher_description(v)
        rec: dict = {
            "status": status,
            "netvisorkey": key,
            "voucherdate": date.fromordinal(vo.date[v]),
            "vouchernumber": vo.number[v],
            "voucherdescription": desc,
            "voucherclass": f"{vtype[1]} {vtype[2]}",
        }
        if link is not None:
            rec["linkedsourcenetvisorkey"] = link[0]
            rec["linkedsourcenetvisorkey_type"] = link[1]
        rec["vouchernetvisoruri"] = f"https://netvisor.simulator/voucher/{key}"
        rec["voucherline"] = [
            {
                "status": status,
                "netvisorkey": key * 100 + n,
                "linesum": _money(cents),
                "description": line_desc,
                "accountnumber": self._acc_numbers[acc],
                "vatpercent": _VAT_DEC[vat10] if vat10 is not None else Decimal("0"),
                "vatcode": vatcode,
                "dimension": self._dims(cc, pj) if cc >= 0 else [],
            }
            for n, (acc, cents, vat10, vatcode, line_desc, cc, pj) in enumerate(
                self._voucher_lines(v)
            )
        ]
        rec["_modified"] = _to_dt(vo.modified[v])
        return self._older_voucher_shape(v, rec)

    def _voucher_description(self, v: int) -> tuple[str, tuple[int, str] | None]:
        """(VoucherDescription, (linked source key, its type) or None) of voucher v."""
        vo = self._t[K_VO]
        src, s = vo.party[v], vo.ref[v]
        if src == SRC_SI:
            si = self._t[K_SI]
            desc = f"Myyntilasku {si.number[s]} {self._customer_base(si.party[s])['name']}"
            link: tuple[int, str] | None = (si.key(s), "salesinvoice")
        elif src == SRC_PI:
            pi = self._t[K_PI]
            desc = f"Ostolasku {pi.number[s]} {self._vendor_base(pi.party[s])['name']}"
            link = (pi.key(s), "purchaseinvoice")
        elif src == SRC_SP and self._t[K_SP].ref[s] == _NO:
            desc = f"Tunnistamaton suoritus {self._customer_base(self._t[K_SP].party[s])['name']}"
            link = None
        elif src == SRC_SP:
            inv = self._t[K_SP].ref[s]
            desc = f"Suoritus myyntilaskuun {self._t[K_SI].number[inv]}"
            link = (self._t[K_SI].key(inv), "salesinvoice")
        elif src == SRC_PP:
            inv = self._t[K_PP].ref[s]
            desc = f"Maksu ostolaskuun {self._t[K_PI].number[inv]}"
            link = (self._t[K_PI].key(inv), "purchaseinvoice")
        else:
            d = date.fromordinal(vo.date[v])
            desc = {
                SRC_OPENING: "Avaava tase",
                SRC_SALARY: f"Palkat {d.month}/{d.year}",
                SRC_PAYROLL_TAX: f"Työnantajasuoritukset {d.month}/{d.year}",
                SRC_VAT: f"ALV-tilitys {d.month}/{d.year}",
                SRC_VAT_PAY: f"ALV-maksu {d.month}/{d.year}",
                SRC_DEPRECIATION: f"Poistot {d.month}/{d.year}",
                SRC_LOAN: f"Lainan lyhennys ja korko {d.month}/{d.year}",
                SRC_INCOME_TAX: f"Tuloverot {d.year}",
                SRC_CLOSING: f"Tilinpäätösviennit {d.year - 1}",
                SRC_TAX_PAY: f"Tuloveron maksu {d.year}",
            }[src]
            link = None
        return desc, link

    def _older_voucher_shape(self, v: int, rec: dict) -> dict:
        """What real ledger responses look like, at realistic rates (seeded, by voucher).

        In the company's first months (older periods) most lines carry no NetvisorKey and no
        VatCode; a few valid vouchers have no status attribute (absent means valid); some
        invalidated vouchers come without lines. The record is what the API returns, so the
        ground truth carries the same gaps.
        """
        keyless, statusless, lineless = self._voucher_quirks(v)
        if keyless:
            for line in rec["voucherline"]:
                line.pop("netvisorkey", None)
                line.pop("vatcode", None)
        if statusless:
            del rec["status"]
            for line in rec["voucherline"]:
                line.pop("status", None)
        elif lineless:
            rec["voucherline"] = []
        return rec

    def _voucher_quirks(self, v: int) -> tuple[bool, bool, bool]:
        """(lines without keys and VAT codes, no status attribute, no lines) of voucher v: one
        seeded stream per voucher, so `counts` sees the same gaps as the records."""
        vo = self._t[K_VO]
        r = random.Random(_mix(self.seed, K_VO, v, 7))
        keyless = vo.date[v] < self._start + OLDER_PERIOD_DAYS and r.random() < 0.7
        if vo.status[v] == V_VALID:
            return keyless, r.random() < 0.03, False
        return keyless, False, r.random() < 0.3
