"""Record builders of the sales family: sales invoices, sales orders (same SalesInvoice
shape) and sales payments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from netvisor_assets.simulator import names as N
from netvisor_assets.simulator.company.store import (
    _COUNTRY_NAMES,
    _NO,
    _ONE,
    _SI_STATUS,
    _SO_STATUS,
    _VAT_DEC,
    CURRENCIES,
    F_CREDIT_NOTE,
    K_CUST,
    K_PROD,
    K_SI,
    K_SO,
    K_SP,
    K_VO,
    PAYMENT_TERMS,
    SP_FX,
    _convert,
    _lines_in_currency,
    _money,
    _purchase_price,
    _reference,
    _Table,
    _to_dt,
)


class SalesRecordsMixin:
    """`_build_sales_invoices`, `_build_sales_orders`, `_build_sales_payments`."""

    def _sales_document(self, kind: int, i: int, lines: list[tuple]) -> dict:
        """The SalesInvoice record shape shared by invoices and orders (most of its length is
        the record literal, one key per element)."""
        t = self._t[kind]
        cust = t.party[i]
        b = self._customer_base(cust)
        term = PAYMENT_TERMS[self._t[K_CUST].party[cust]]
        d = date.fromordinal(t.date[i])
        key = t.key(i)
        currency = self._t[K_CUST].ref2[cust]
        # The amount stays in EUR, the books' currency; the foreign amount is the amount at the
        # rate of the document's month (a credit note: its original's), and the lines are in
        # the foreign currency, adding up to it.
        credit_note = kind == K_SI and t.flags[i] & F_CREDIT_NOTE
        rate = self._fx_rate(currency, t.date[t.ref2[i]] if credit_note else t.date[i])
        foreign_amount = _convert(t.amount[i], rate)
        product_lines = self._sales_product_lines(t, i, lines, currency, rate, foreign_amount)
        seller = self.sales_personnel[b["seller"]]
        return {
            "salesinvoicenetvisorkey": key,
            "salesinvoicenumber": str(t.number[i]),
            "salesinvoicedate": d,
            "salesinvoiceeventdate": d,
            "salesinvoicevaluedate": d,
            "salesinvoicedeliverydate": d,
            "salesinvoiceduedate": d + timedelta(days=term[2]),
            "salesinvoicereferencenumber": _reference(str(t.number[i])),
            "salesinvoiceamount": _money(t.amount[i]),
            "salesinvoiceamount_iso4217currencycode": CURRENCIES[currency],
            "salesinvoiceamount_currencyrate": Decimal(rate).scaleb(-4) if currency else _ONE,
            "foreigncurrencyamount": _money(foreign_amount),
            "selleridentifier": f"{seller['firstname']} {seller['lastname']}",
            "selleridentifier_type": "name",
            "salesinvoicefreetextbeforelines": None,
            "salesinvoicefreetextafterlines": None,
            "salesinvoiceourreference": None,
            "salesinvoiceyourreference": None,
            "salesinvoiceprivatecomment": None,
            "invoicingcustomernetvisorkey": self._t[K_CUST].key(cust),
            "invoicingcustomercode": b["code"],
            "invoicingcustomername": b["name"],
            "invoicingcustomernameextension": None,
            "invoicingcustomerorganizationidentifier": b["ytunnus"],
            "invoicingcustomeraddressline": b["street"],
            "invoicingcustomerpostnumber": b["postnumber"],
            "invoicingcustomertown": b["city"],
            "invoicingcustomercountrycode": _COUNTRY_NAMES[b["country"]],
            "invoicingcustomercountrycode_iso_3166": b["country"],
            "matchpartialpaymentsbydefault": False,
            "deliveryaddressname": b["name"],
            "deliveryaddressline": b["street"],
            "deliveryaddresspostnumber": b["postnumber"],
            "deliveryaddresstown": b["city"],
            "deliveryaddresscountrycode": b["country"],
            "deliverymethod": None,
            "deliveryterm": None,
            "paymenttermnetdays": term[2],
            "paymenttermcashdiscountdays": term[3],
            "paymenttermcashdiscount": term[4],
            "paymenttermcashdiscount_type": "percentage",
            # Empty lists: REPEATED children a parsed response always holds (fields.py).
            "invoicelines": {
                "invoiceline": {
                    "salesinvoiceproductline": product_lines,
                    "salesinvoicecommentline": [],
                },
                "purchaseinvoiceline": [],
            },
        }

    def _sales_product_lines(
        self, t: _Table, i: int, lines: list[tuple], currency: int, rate: int, foreign_amount: int
    ) -> list[dict]:
        """The SalesInvoiceProductLine records of document i of table t."""
        key = t.key(i)
        cats = N.PRODUCT_CATEGORIES
        # Lines in the invoice's currency (as Netvisor shows them); EUR for a domestic one.
        if currency:
            sums = _lines_in_currency([ln[4] + ln[5] for ln in lines], foreign_amount, rate)
        else:
            sums = [ln[4] + ln[5] for ln in lines]
        product_lines = []
        for n, (p, qty, price, vat10, _net, vat, cc, pj) in enumerate(lines):
            if currency:
                price, vat = _convert(price, rate), _convert(vat, rate)
            cat = cats[self._prod_cat[p]]
            account, vatcode = self._sales_account(currency, self._prod_cat[p], vat10)
            product_lines.append({
                "netvisorkey": key * 1000 + (t.ver[i] % 50) * 20 + n,
                "productidentifier": f"{cat[0]}{100 + p + 1}",
                "productidentifier_type": "customer",
                "productname": self._prod_name[p],
                "productnetvisorkey": self._t[K_PROD].key(p),
                "productunitprice": _money(price),
                "productpurchaseprice": _money(_purchase_price(self._prod_price[p])),
                "productvatpercentage": _VAT_DEC[vat10],
                "productvatpercentage_vatcode": vatcode,
                "salesinvoiceproductlinequantity": Decimal(qty),
                "salesinvoiceproductlineunit": cat[2],
                "salesinvoiceproductlinediscountpercentage": Decimal("0"),
                "salesinvoiceproductlinefreetext": None,
                "salesinvoiceproductlinevatsum": _money(vat),
                "salesinvoiceproductlinesum": _money(sums[n]),
                "accountingaccountsuggestion": account,
                "dimension": self._dims(cc, pj),
            })  # fmt: skip
        return product_lines

    def _build_sales_invoices(self, i: int) -> dict:
        si = self._t[K_SI]
        rec = self._sales_document(K_SI, i, self._si_lines(i))
        machine, text = _SI_STATUS[si.status[i]]
        v = si.ref[i]
        rec["invoicestatus"] = text
        rec["invoicestatus_status"] = machine
        rec["invoicevoucher"] = str(self._t[K_VO].number[v])
        rec["invoicevoucher_netvisorkey"] = self._t[K_VO].key(v)
        rec["creditedinvoicenetvisorkey"] = (
            si.key(si.ref2[i]) if si.flags[i] & F_CREDIT_NOTE else None
        )
        rec["_opensum"] = _money(si.amount[i] - si.paid[i])
        rec["_modified"] = _to_dt(si.modified[i])
        return rec

    def _build_sales_orders(self, i: int) -> dict:
        so = self._t[K_SO]
        lines = self._sales_lines(K_SO, so.key(i), so.ver[i], so.party[i], so.ref2[i])
        rec = self._sales_document(K_SO, i, lines)
        machine, text = _SO_STATUS[so.status[i]]
        rec["invoicestatus"] = text
        rec["invoicestatus_status"] = machine
        rec["_opensum"] = _money(so.amount[i])
        rec["_modified"] = _to_dt(so.modified[i])
        return rec

    def _build_sales_payments(self, i: int) -> dict:
        sp, si = self._t[K_SP], self._t[K_SI]
        inv = sp.ref[i]
        b = self._customer_base(sp.party[i])
        modified = _to_dt(sp.modified[i])
        matched = inv != _NO
        # `sum` is the cash received in EUR (less a cash discount, after the exchange rate).
        return {
            "netvisorkey": sp.key(i),
            "name": b["name"],
            "date": date.fromordinal(sp.date[i]),
            "sum": _money(sp.amount[i]),
            "referencenumber": _reference(str(si.number[inv])) if matched else None,
            "foreigncurrencyamount": _money(sp.number[i]) if sp.status[i] == SP_FX else None,
            "invoicenumber": str(si.number[inv]) if matched else None,
            "paymentaccountname": "Pankkitili",
            "voucherid": self._t[K_VO].key(sp.ref2[i]),
            "lastmodifiedtimestamp": modified,
            "paymentaccountnumber": self.iban,
            "paymentsource": 1,
            "bankstatus": "OK",
            "_invoicenetvisorkey": si.key(inv) if matched else None,
            "_modified": modified,
        }
