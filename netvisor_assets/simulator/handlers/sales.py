"""Sales resources: invoices, orders and payments received (the `sales` table family).

Assumption where the reference is [unverified] or silent (reference section numbers):
`salesinvoicelist.nv` returns at most 500 rows ordered by NetvisorKey ascending, with every
filter, so `invoicesabovenetvisorkey` walks past the cap (4.5); other lists are uncapped.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from netvisor_assets.simulator.handlers.params import (
    CompanyLike,
    Params,
    Reply,
    as_text,
    candidates,
    detail_uri,
    get_documents,
    in_range,
    invalid,
    key_of,
    listing,
    modified_window,
    older_shape_reply,
)
from netvisor_assets.simulator.render import (
    Style,
)

# --- sales invoices and orders --------------------------------------------------------------

SALES_INVOICE_LIST_CAP = 500
SALES_LIST_STYLE = Style(names={"invoicedate": "Invoicedate"})
_OPEN_SUBSTATUSES = {"overdue", "reminded", "requested", "collected"}
_STATUS_FILTER = {
    "open": {"open", "overdue", "reminded", "requested", "collected"},
    "overdue": {"overdue", "reminded", "requested", "collected"},
}


def _sales_status(record: Mapping[str, Any]) -> str:
    return as_text(record.get("invoicestatus_status") or record.get("invoicestatus")).lower()


def _sales_open_sum(record: Mapping[str, Any]) -> Decimal | None:
    for name in ("_opensum", "_open_sum"):
        if isinstance(record.get(name), Decimal):
            return record[name]
    amount = record.get("salesinvoiceamount")
    if not isinstance(amount, Decimal):
        return None
    if _sales_status(record) in ("paid", "creditloss"):
        return Decimal("0.00")
    paid = record.get("_paid")
    return amount - paid if isinstance(paid, Decimal) else amount


def sales_list_item(record: Mapping[str, Any], params: Params, resource: str) -> dict[str, Any]:
    """The salesinvoicelist.nv row of an invoice/order detail (reference 4.5)."""
    key = record.get("salesinvoicenetvisorkey")
    status = _sales_status(record)
    row: dict[str, Any] = {
        "netvisorkey": key,
        "invoicenumber": record.get("salesinvoicenumber"),
        "invoicedate": record.get("salesinvoicedate"),
        "invoiceduedate": record.get("salesinvoiceduedate"),
    }
    if status in _OPEN_SUBSTATUSES:
        row["invoicestatus"] = "open"
        row["invoicestatus_substatus"] = status
        row["invoicestatus_isincollection"] = 1 if status == "collected" else 0
    else:
        row["invoicestatus"] = status or None
    row.update(
        {
            "customernetvisorkey": record.get("invoicingcustomernetvisorkey"),
            "customercode": record.get("invoicingcustomercode"),
            "customername": record.get("invoicingcustomername"),
            "referencenumber": record.get("salesinvoicereferencenumber"),
            "invoicesum": record.get("salesinvoiceamount"),
            "opensum": _sales_open_sum(record),
            "uri": detail_uri(params, resource, "netvisorkey", key),
        }
    )
    return row


def _sales_source(
    company: CompanyLike,
    kind: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    above: int | None,
    first: dt.date | None,
    last: dt.date | None,
    include_payments: bool,
) -> Iterable[Mapping[str, Any]]:
    """The candidate documents of a salesinvoicelist.nv request, before its row filters:
    a change window, else an invoice-date range, else everything above the key watermark; with
    `includemodifiedpayments`, also the invoices whose payments changed in the window."""
    source = candidates(company, kind, (start, end), (first, last), above)
    if include_payments and kind == "sales_invoices":
        payments = modified_window(company, "sales_payments", start, end)
        numbers = {as_text(pay.get("invoicenumber")) for pay in payments}
        extra = (
            r
            for r in _invoices_paid_by(company, kind, payments)
            if as_text(r.get("salesinvoicenumber")) in numbers
        )
        source = _merged_by_key(source, extra)
    return source


def _merged_by_key(
    first: Iterable[Mapping[str, Any]], second: Iterable[Mapping[str, Any]]
) -> Iterator[Mapping[str, Any]]:
    """Two key-ordered streams as one, each key once (`first`'s record wins); lazy, so the
    500-row cap stops the building of both."""
    last = None
    for record in heapq.merge(first, second, key=key_of):
        key = key_of(record)
        if key != last:
            last = key
            yield record


def _invoices_paid_by(
    company: CompanyLike, kind: str, payments: list[dict]
) -> Iterable[Mapping[str, Any]]:
    """The invoices the payments name, looked up by key instead of walking every invoice
    (invoice numbers are unique, so the number match that follows finds the same ones); a
    company whose payments do not carry the key is walked."""
    keys = {pay.get("_invoicenetvisorkey") for pay in payments if pay.get("invoicenumber")}
    if None in keys:
        return company.records(kind)
    found = (company.get(kind, key) for key in sorted(keys))
    return (r for r in found if r is not None)


def salesinvoicelist(company: CompanyLike, p: Params) -> Reply:
    """Invoices (default), orders (`listtype=preinvoice`); at most 500 rows by key."""
    listtype = (p.get("listtype") or "").lower()
    if listtype == "preinvoice":
        kind, detail = "sales_orders", "getorder.nv"
    elif listtype in ("", "draftandinvoice"):
        kind, detail = "sales_invoices", "getsalesinvoice.nv"
    else:
        raise invalid(f"Unknown listtype {listtype}")
    start, end = p.last_modified()
    include_payments = p.flag("includemodifiedpayments")
    if include_payments and (start is None or end is None):
        raise invalid("includemodifiedpayments requires lastmodifiedstart and lastmodifiedend")
    above = p.int("invoicesabovenetvisorkey")
    first, last = p.date("begininvoicedate"), p.date("endinvoicedate")
    source = _sales_source(company, kind, start, end, above, first, last, include_payments)
    number = p.get("invoicenumber")
    status_filter = (p.get("invoicestatus") or "").lower()
    wanted_status = _STATUS_FILTER.get(status_filter, {status_filter})
    customer_code = p.get("customercode")
    customer_key = p.int("customernetvisorkey")
    rows = []
    for record in source:
        if above is not None and key_of(record) <= above:
            continue
        if (first or last) and not in_range(record.get("salesinvoicedate"), first, last):
            continue
        if number is not None and as_text(record.get("salesinvoicenumber")) != number:
            continue
        if status_filter and _sales_status(record) not in wanted_status:
            continue
        if customer_code is not None and as_text(record.get("invoicingcustomercode")) != (
            customer_code
        ):
            continue
        if customer_key is not None and record.get("invoicingcustomernetvisorkey") != customer_key:
            continue
        rows.append(sales_list_item(record, p, detail))
        if len(rows) >= SALES_INVOICE_LIST_CAP:
            break
    return listing("salesinvoicelist", "salesinvoice", rows, SALES_LIST_STYLE)


def _without_comment_lines(record: Mapping[str, Any]) -> Mapping[str, Any]:
    lines = record.get("invoicelines")
    if not isinstance(lines, Mapping):
        return record
    line = lines.get("invoiceline")
    if not isinstance(line, Mapping) or not line.get("salesinvoicecommentline"):
        return record
    trimmed_line = {k: v for k, v in line.items() if k != "salesinvoicecommentline"}
    return {**record, "invoicelines": {**lines, "invoiceline": trimmed_line}}


# getsalesinvoice.nv's replyoption bit for CreditedInvoiceNetvisorKey (reference 4.6).
REPLY_CREDITED_INVOICE = 16


def _reply_option(p: Params) -> int:
    raw = p.get("replyoption") or "0"
    return int(raw) if raw.isdigit() else 0


def sales_document(kind: str) -> Callable[[CompanyLike, Params], Reply]:
    def handler(company: CompanyLike, p: Params) -> Reply:
        records, single = get_documents(company, p, kind, "salesinvoice", "salesinvoices")
        if not p.flag("showcommentlines"):
            records = [_without_comment_lines(r) for r in records]
        if not _reply_option(p) & REPLY_CREDITED_INVOICE:
            # Netvisor names the credited invoice only when asked (replyoption 16).
            records = [
                {k: v for k, v in r.items() if k != "creditedinvoicenetvisorkey"} for r in records
            ]
        return older_shape_reply(
            records, single, "salesinvoicenetvisorkey", "salesinvoice", "salesinvoices"
        )

    handler.__doc__ = f"getsalesinvoice/getorder over {kind}: root SalesInvoice or SalesInvoices."
    return handler


# --- payments received --------------------------------------------------------------------


def salespaymentlist(company: CompanyLike, p: Params) -> Reply:
    """Sales payments; `limitlinkedpayments` 1 = linked to an invoice, 0 = not linked."""
    above = p.int("abovenetvisorkey")
    first, last = p.date("begindate"), p.date("enddate")
    source = candidates(company, "sales_payments", p.last_modified(), (first, last), above)
    name = (p.get("searchbyname") or "").lower()
    number = p.get("invoicenumber")
    linked = p.get("limitlinkedpayments")
    by_type = (p.get("limitbytype") or "").lower()
    invoice_key = p.int("invoicenetvisorkey")
    rows = []
    for record in source:
        if above is not None and key_of(record) <= above:
            continue
        if (first or last) and not in_range(record.get("date"), first, last):
            continue
        if name and name not in as_text(record.get("name")).lower():
            continue
        inv = as_text(record.get("invoicenumber"))
        if number is not None and inv != number:
            continue
        if invoice_key is not None and record.get("_invoicenetvisorkey") != invoice_key:
            continue
        if linked == "1" and not inv:
            continue
        if linked == "0" and inv:
            continue
        credit_loss = bool(record.get("_creditloss"))
        if by_type == "onlycreditloss" and not credit_loss:
            continue
        if by_type == "excludecreditloss" and credit_loss:
            continue
        rows.append(record)
    return listing("salespaymentlist", "salespayment", rows)
