"""One handler per Netvisor read resource: query parameters -> the records the response holds.

A handler returns a `Reply`: the document parts to stream and the record elements they
contain. The HTTP app renders the parts; `SimulatorServer.ground_truth` turns the very same
`Reply.records` into parsed-record form, so a response and its ground truth cannot drift apart.

List resources are derived from the detail records the company generator holds (a customer
list row is a projection of the `getcustomer` record), the way Netvisor derives them from one
database.

The handlers live in one module per table family (`netvisor_assets/tables/`): `partners`,
`sales`, `purchases`, `ledger`, `reference`, plus `deleted` (the deleted-record resources);
`params` holds what they share (parameters, `Reply`, lookups). Each module's docstring records
the assumptions made where the reference is [unverified] or silent. This package holds the
registry and re-exports the names callers use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from netvisor_assets.simulator.auth import ApiError
from netvisor_assets.simulator.handlers.deleted import (
    DELETED_HISTORY_DAYS,
    DELETED_KINDS,
    deleted_handler,
)
from netvisor_assets.simulator.handlers.ledger import (
    MAX_BALANCE_DATES,
    accountbalance,
    accountingledger,
)
from netvisor_assets.simulator.handlers.params import (
    OLDER_SHAPE_PER_MILLE,
    CompanyLike,
    Params,
    Reply,
    invalid,
    older_shape,
)
from netvisor_assets.simulator.handlers.partners import (
    LIST_KEY_STYLE,
    VENDOR_STYLE,
    customer_list_item,
    customerlist,
    getcustomer,
    getproduct,
    getvendor,
    product_list_item,
    productlist,
)
from netvisor_assets.simulator.handlers.purchases import (
    getpurchaseinvoice,
    getpurchaseorder,
    paymentlist,
    purchase_list_item,
    purchase_order_list_item,
    purchaseinvoicelist,
    purchaseorderlist,
)
from netvisor_assets.simulator.handlers.reference import (
    DIMENSION_STYLE,
    accountingperiodlist,
    accountlist,
    dimensionlist,
    paymenttermlist,
    salespersonnellist,
    vouchertypelist,
)
from netvisor_assets.simulator.handlers.sales import (
    REPLY_CREDITED_INVOICE,
    SALES_INVOICE_LIST_CAP,
    SALES_LIST_STYLE,
    sales_document,
    sales_list_item,
    salesinvoicelist,
    salespaymentlist,
)

# Server-defined page of `getvendor.nv?changedsince=` (reference 4.3); read from this package
# on every request (`partners.getvendor`), so setting it here takes effect.
VENDOR_PAGE_SIZE = 500

__all__ = [
    "DELETED_HISTORY_DAYS",
    "DELETED_KINDS",
    "DIMENSION_STYLE",
    "LIST_KEY_STYLE",
    "MAX_BALANCE_DATES",
    "OLDER_SHAPE_PER_MILLE",
    "REPLY_CREDITED_INVOICE",
    "RESOURCES",
    "SALES_INVOICE_LIST_CAP",
    "SALES_LIST_STYLE",
    "VENDOR_PAGE_SIZE",
    "VENDOR_STYLE",
    "ApiError",
    "CompanyLike",
    "Handler",
    "Params",
    "Reply",
    "customer_list_item",
    "handle",
    "invalid",
    "older_shape",
    "product_list_item",
    "purchase_list_item",
    "purchase_order_list_item",
    "resource_name",
    "sales_list_item",
]

Handler = Callable[[CompanyLike, Params], Reply]

RESOURCES: dict[str, Handler] = {
    "customerlist": customerlist,
    "getcustomer": getcustomer,
    "getvendor": getvendor,
    "productlist": productlist,
    "getproduct": getproduct,
    "salesinvoicelist": salesinvoicelist,
    "getsalesinvoice": sales_document("sales_invoices"),
    "getorder": sales_document("sales_orders"),
    "purchaseinvoicelist": purchaseinvoicelist,
    "getpurchaseinvoice": getpurchaseinvoice,
    "purchaseorderlist": purchaseorderlist,
    "getpurchaseorder": getpurchaseorder,
    "accountingledger": accountingledger,
    "salespaymentlist": salespaymentlist,
    "paymentlist": paymentlist,
    "accountlist": accountlist,
    "accountbalance": accountbalance,
    "accountingperiodlist": accountingperiodlist,
    "vouchertypelist": vouchertypelist,
    "dimensionlist": dimensionlist,
    "paymenttermlist": paymenttermlist,
    "salespersonnellist": salespersonnellist,
    **{f"deleted{name}": deleted_handler(name) for name in DELETED_KINDS},
}


def resource_name(path: str) -> str | None:
    """`/SalesInvoiceList.nv` -> `salesinvoicelist`; None for anything not a known resource."""
    name = path.strip("/").lower()
    if not name.endswith(".nv") or "/" in name:
        return None
    name = name[: -len(".nv")]
    return name if name in RESOURCES else None


def handle(
    company: CompanyLike,
    resource: str,
    params: Mapping[str, str],
    base_url: str = "",
    *,
    vendor_page_size: int | None = None,
) -> Reply:
    """Run the handler of `resource` (lower-case name without `.nv`)."""
    name = resource.lower().removesuffix(".nv")
    handler = RESOURCES.get(name)
    if handler is None:
        raise ApiError("INVALID_DATA", f"Unknown resource {resource}", 404)
    return handler(company, Params(params, base_url, vendor_page_size=vendor_page_size))
