"""Purchase resources: invoices, orders and payments made (the `purchases` table family).

Assumption where the reference is [unverified] or silent: `getpurchaseinvoice.nv` without
`version=2` moves line dimensions into one `PurchaseInvoiceLineDimensions` block after the
lines, as the version-1 sample shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from netvisor_assets.simulator.handlers.params import (
    CompanyLike,
    Params,
    Reply,
    as_text,
    candidates,
    detail_uri,
    document_reply,
    get_documents,
    in_range,
    key_of,
    listing,
    older_shape_reply,
)

# --- purchase invoices and orders -----------------------------------------------------------


def _purchase_amount(record: Mapping[str, Any], name: str) -> Decimal | None:
    value = record.get(name)
    return value if isinstance(value, Decimal) else None


def purchase_list_item(record: Mapping[str, Any], params: Params) -> dict[str, Any]:
    """The purchaseinvoicelist.nv row of a purchase invoice detail (reference 4.7)."""
    key = record.get("purchaseinvoicenetvisorkey")
    total = _purchase_amount(record, "purchaseinvoiceamount")
    paid = _purchase_amount(record, "purchaseinvoicepaidamount")
    open_sum = total - paid if total is not None and paid is not None else total
    return {
        "netvisorkey": key,
        "invoicenumber": record.get("purchaseinvoicenumber"),
        "invoicedate": record.get("purchaseinvoicedate"),
        "vendor": record.get("vendorname"),
        "vendororganizationidentifier": record.get("vendororganizationidentifier"),
        "sum": total,
        "payments": paid,
        "opensum": open_sum,
        "uri": detail_uri(params, "getpurchaseinvoice.nv", "netvisorkey", key),
    }


def purchaseinvoicelist(company: CompanyLike, p: Params) -> Reply:
    """`invoicestatus` matches ApprovalStatus; `paymentstatus` compares paid with the total."""
    first, last = p.date("begininvoicedate"), p.date("endinvoicedate")
    source = candidates(company, "purchase_invoices", p.last_modified(), (first, last))
    number = p.get("invoicenumber")
    status = (p.get("invoicestatus") or "").lower()
    payment = (p.get("paymentstatus") or "").lower()
    rows = []
    for record in source:
        if (first or last) and not in_range(record.get("purchaseinvoicedate"), first, last):
            continue
        if number is not None and as_text(record.get("purchaseinvoicenumber")) != number:
            continue
        if status and as_text(record.get("approvalstatus")).lower() != status:
            continue
        row = purchase_list_item(record, p)
        if payment == "paid" and (row["opensum"] or 0) > 0:
            continue
        if payment == "unpaid" and not (row["opensum"] or 0) > 0:
            continue
        rows.append(row)
    return listing("purchaseinvoicelist", "purchaseinvoice", rows)


def _version1(record: Mapping[str, Any]) -> Mapping[str, Any]:
    lines = record.get("invoicelines")
    if not isinstance(lines, Mapping):
        return record
    items = lines.get("purchaseinvoiceline") or []
    dims: list = []
    new_items = []
    for line in items:
        block = line.get("purchaseinvoicelinedimensions")
        for entry in block if isinstance(block, list) else [block] if block else []:
            if isinstance(entry, Mapping):
                found = entry.get("dimension") or []
                dims.extend(found if isinstance(found, list) else [found])
        new_items.append({k: v for k, v in line.items() if k != "purchaseinvoicelinedimensions"})
    new_lines: dict[str, Any] = {**lines, "purchaseinvoiceline": new_items}
    if dims:
        new_lines["purchaseinvoicelinedimensions"] = {"dimension": dims}
    return {**record, "invoicelines": new_lines}


def getpurchaseinvoice(company: CompanyLike, p: Params) -> Reply:
    """Version 2 keeps dimensions inside each line (what a sync must request)."""
    records, single = get_documents(company, p, "purchase_invoices", "x", "x")
    if p.get("version") != "2":
        records = [_version1(r) for r in records]
    return older_shape_reply(
        records, single, "purchaseinvoicenetvisorkey", "purchaseinvoice", "purchaseinvoices"
    )


def purchase_order_list_item(record: Mapping[str, Any], params: Params) -> dict[str, Any]:
    """The purchaseorderlist.nv row of a purchase order detail (reference 4.16)."""
    key = record.get("netvisorkey")
    return {
        "netvisorkey": key,
        "ordernumber": record.get("ordernumber"),
        "orderdate": record.get("orderdate"),
        "orderstatus": record.get("orderstatus"),
        "vendorname": record.get("vendorname"),
        "amount": record.get("amount"),
        "uri": detail_uri(params, "getpurchaseorder.nv", "netvisorkey", key),
    }


def purchaseorderlist(company: CompanyLike, p: Params) -> Reply:
    """`limitvendor`: an integer is a vendor key, `NNNNNNN-C` an org id, else a vendor code."""
    first, last = p.date("limitbegindate"), p.date("limitenddate")
    source = candidates(company, "purchase_orders", p.last_modified(), (first, last))
    low, high = p.int("limitstartordernumber"), p.int("limitendordernumber")
    status = (p.get("limitorderstatus") or "").lower()
    comment = (p.get("searchcomment") or "").lower()
    vendor = p.get("limitvendor")
    rows = []
    for record in source:
        if (first or last) and not in_range(record.get("orderdate"), first, last):
            continue
        try:
            number = int(record.get("ordernumber") or 0)
        except (TypeError, ValueError):
            number = 0
        if (low is not None and number < low) or (high is not None and number > high):
            continue
        if status and as_text(record.get("orderstatus")).lower() != status:
            continue
        if comment and comment not in as_text(record.get("comment")).lower():
            continue
        if vendor is not None and vendor not in (
            as_text(record.get("vendornetvisorkey")),
            as_text(record.get("vendororganizationidentifier")),
            as_text(record.get("vendorcode")),
        ):
            continue
        rows.append(purchase_order_list_item(record, p))
    return listing("purchaseorderlist", "purchaseorder", rows)


def getpurchaseorder(company: CompanyLike, p: Params) -> Reply:
    """Root PurchaseOrder for one key, PurchaseOrders for a list."""
    records, single = get_documents(company, p, "purchase_orders", "x", "x")
    return document_reply(records, single, "purchaseorder", "purchaseorders")


# --- payments made ------------------------------------------------------------------------


def paymentlist(company: CompanyLike, p: Params) -> Reply:
    """Purchase payments: key watermark and payment-date window only (no change filter)."""
    above = p.int("limitabovenetvisorkey")
    first, last = p.date("limitbegindate"), p.date("limitenddate")
    reference = p.get("limitreference")
    invoice = p.int("limitinvoiceid")
    rows = []
    for record in candidates(company, "purchase_payments", dated=(first, last), above=above):
        if above is not None and key_of(record) <= above:
            continue
        if (first or last) and not in_range(record.get("date"), first, last):
            continue
        if reference is not None and as_text(record.get("reference")) != reference:
            continue
        if invoice is not None and record.get("invoicekey") != invoice:
            continue
        rows.append(record)
    return listing("paymentlist", "payment", rows)
