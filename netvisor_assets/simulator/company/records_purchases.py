"""Record builders of the purchases family: purchase invoices, purchase orders and
purchase payments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from netvisor_assets.simulator.company.store import (
    _PI_APPROVAL,
    _PO_STATUS,
    _VAT_DEC,
    CURRENCIES,
    K_PI,
    K_PO,
    K_PP,
    K_VEND,
    K_VO,
    _convert,
    _lines_in_currency,
    _money,
    _reference,
    _to_dt,
)


class PurchaseRecordsMixin:
    """`_build_purchase_invoices`, `_build_purchase_orders`, `_build_purchase_payments`."""

    def _build_purchase_invoices(self, i: int) -> dict:
        pi = self._t[K_PI]
        vend = pi.party[i]
        b = self._vendor_base(vend)
        cat, acc, _vat10, vatcode, reverse, currency, country = self._vendor_facts(vend)
        d = date.fromordinal(pi.date[i])
        key = pi.key(i)
        lines = self._purchase_invoice_lines(i)
        rate = self._fx_rate(currency, pi.date[i])
        paid = pi.paid[i]
        amount = pi.amount[i]
        return {
            "purchaseinvoicenetvisorkey": key,
            "purchaseinvoicenumber": str(pi.number[i]),
            "purchaseinvoicedate": d,
            "purchaseinvoiceeventdate": d,
            "purchaseinvoicedeliverydate": d,
            "purchaseinvoiceduedate": d + timedelta(days=self._vendor_term(vend)),
            "purchaseinvoicevaluedate": d,
            "purchaseinvoicereferencenumber": _reference(str(pi.number[i])),
            "purchaseinvoicevendorbankaccountnumber": b["iban"],
            "ispurchaseinvoicevendorbankaccountdeleted": False,
            "ispurchaseinvoicevendorbankaccountfromseparegion": b["iban"] is not None,
            "purchaseinvoiceamount": _money(amount),
            "purchaseinvoicepaidamount": _money(paid),
            # EUR amount; the foreign amount at the rate of the invoice's month, which the lines
            # (in the invoice's currency) add up to.
            "foreigncurrencyamount": _money(_convert(amount, rate)),
            "foreigncurrencynameid": CURRENCIES[currency],
            "invoicestatus": "Paid" if paid >= amount else "Open",
            "approvalstatus": _PI_APPROVAL[pi.status[i]],
            "purchaseinvoiceourreference": None,
            "purchaseinvoiceyourreference": None,
            "purchaseinvoicedescription": cat[0],
            "vendornetvisorkey": self._t[K_VEND].key(vend),
            "vendororganizationidentifier": b["ytunnus"],
            "vendorcode": b["code"],
            "vendorname": b["name"],
            "vendoraddressline": b["street"],
            "vendorpostnumber": b["postnumber"],
            "vendortown": b["city"],
            "vendorcountry": country,
            "vendorbankaccountnumber": b["iban"],
            "voucherid": self._t[K_VO].key(pi.ref[i]),
            "isaccounted": True,
            "invoicelines": {"purchaseinvoiceline": lines},
            "_opensum": _money(amount - paid),
            "_modified": _to_dt(pi.modified[i]),
        }

    def _purchase_invoice_lines(self, i: int) -> list[dict]:
        """The PurchaseInvoiceLine records of purchase invoice i, in the invoice's currency."""
        pi = self._t[K_PI]
        vend = pi.party[i]
        cat, acc, _vat10, vatcode, reverse, currency, _country = self._vendor_facts(vend)
        key = pi.key(i)
        lines = []
        source = self._purchase_lines(K_PI, key, pi.ver[i], vend, pi.ref2[i])
        rate = self._fx_rate(currency, pi.date[i])
        sums = [ln[4] if reverse else ln[4] + ln[5] for ln in source]
        nets = [ln[4] for ln in source]
        if currency:
            sums = _lines_in_currency(sums, _convert(pi.amount[i], rate), rate)
            # Reverse charge: the lines carry no VAT, so net and sum are one figure.
            nets = list(sums) if reverse else [_convert(c, rate) for c in nets]
        for n, (d_i, qty, price, vat10, _net, _vat, cc, pj) in enumerate(source):
            if currency:
                price = _convert(price, rate)
            dims = [{
                "dimensionname": name, "dimensionnamenetvisorkey": self._dim_keys[(name, item)][0],
                "dimensiondetailname": item,
                "dimensiondetailnetvisorkey": self._dim_keys[(name, item)][1],
            } for name, item in (
                (dim["dimensionname"], dim["dimensionitem"]) for dim in self._dims(cc, pj))
            ]  # fmt: skip
            lines.append({
                "netvisorkey": key * 1000 + (pi.ver[i] % 50) * 20 + n,
                "linesum": _money(sums[n]),
                "linenetsum": _money(nets[n]),
                "unitprice": _money(price),
                "vatpercent": _VAT_DEC[vat10],
                "vatcode": vatcode,
                "description": cat[3][d_i],
                "unit": "kpl",
                "orderedamount": Decimal(qty),
                "deliveredamount": Decimal(qty),
                "productcode": None,
                "discountpercentage": Decimal("0"),
                "productname": cat[3][d_i],
                "accountingsuggestionbookkeepingaccountnetvisorkey": self._acc_key_of[acc],
                "accountingsuggestionbookkeepingaccount": f"{acc} {self._acc_name[acc]}",
                "purchaseinvoicelinedimensions": [{"dimension": dims}],
            })  # fmt: skip
        return lines

    def _build_purchase_orders(self, i: int) -> dict:
        po = self._t[K_PO]
        vend = po.party[i]
        b = self._vendor_base(vend)
        cat, account, _vat10, _code, reverse, _currency, country = self._vendor_facts(vend)
        d = date.fromordinal(po.date[i])
        key = po.key(i)
        lines = [{
            "netvisorkey": key * 1000 + n,
            "productcode": None,
            "productname": cat[3][d_i],
            "vendorproductcode": None,
            "orderedamount": Decimal(qty),
            "deliveredamount": Decimal(qty) if po.status[i] >= 3 else Decimal(0),
            "unitprice": _money(price),
            "vatpercent": _VAT_DEC[vat10],
            "linesum": _money(net if reverse else net + vat),
            "freightrate": Decimal("0"),
            "deliverydate": d + timedelta(days=14),
            "accountingsuggestion": account,
            "dimension": self._dims(cc, pj),
        } for n, (d_i, qty, price, vat10, net, vat, cc, pj) in enumerate(
            self._purchase_lines(K_PO, key, po.ver[i], vend))]  # fmt: skip
        return {
            "netvisorkey": key,
            "ordernumber": str(po.number[i]),
            "orderstatus": _PO_STATUS[po.status[i]],
            "orderdate": d,
            "vendornetvisorkey": self._t[K_VEND].key(vend),
            "vendorname": b["name"],
            "vendoraddressline": b["street"],
            "vendorpostnumber": b["postnumber"],
            "vendorcity": b["city"],
            "vendorcountry": country,
            "deliveryname": self.name,
            "privatecomment": None,
            "comment": None,
            "ourreference": None,
            "paymentterm": f"{self._vendor_term(vend)} päivää netto",
            "amount": _money(po.amount[i]),
            "purchaseorderlines": {
                "purchaseorderproductline": lines,
                "purchaseordercommentline": [],
            },
            "_modified": _to_dt(po.modified[i]),
        }

    def _build_purchase_payments(self, i: int) -> dict:
        pp, pi, vo = self._t[K_PP], self._t[K_PI], self._t[K_VO]
        inv = pp.ref[i]
        b = self._vendor_base(pp.party[i])
        inv_key = pi.key(inv)
        return {
            "netvisorkey": pp.key(i),
            "payername": b["name"],
            "date": date.fromordinal(pp.date[i]),
            "homecurrencysum": _money(pp.amount[i]),
            "foreigncurrencysum": _money(pp.number[i]),
            "reference": _reference(str(pi.number[inv])),
            "invoicekey": inv_key,
            "invoicenumber": str(pi.number[inv]),
            "invoiceuri": f"/getpurchaseinvoice.nv?netvisorkey={inv_key}",
            "voucherkey": vo.key(pp.ref2[i]),
            "vouchernumber": vo.number[pp.ref2[i]],
            "_modified": _to_dt(pp.modified[i]),
        }
