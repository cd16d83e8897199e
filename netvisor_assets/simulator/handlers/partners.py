"""Partner resources: customers, vendors and products (the `partners` table family).

Assumptions where the reference is [unverified] or silent (reference section numbers):
- `getvendor.nv` pages (500) apply to `changedsince`; `X-Netvisor-Pagination-Previous-Page`
  and `-Next-Page` are omitted when there is no such page (4.3); `netvisorkeylist` is capped
  at 500 like the other key lists. The page size is server-defined (the doc example shows
  100), so `SimulatorServer(vendor_page_size=...)` sets it: a test knob that makes a company
  with few vendors page for real;
- `getproduct.nv?idlist=` answers `Products` -> `Product`*.
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
    detail_uri,
    invalid,
    listing,
    lookup,
    modified_window,
    without_own_key,
)
from netvisor_assets.simulator.render import (
    Element,
    Style,
)

# --- customers ------------------------------------------------------------------------------


def _vendor_page_size() -> int:
    """`handlers.VENDOR_PAGE_SIZE` as it is when asked (tests and the CLI set the package's)."""
    from netvisor_assets.simulator import handlers

    return handlers.VENDOR_PAGE_SIZE


LIST_KEY_STYLE = Style(names={"netvisorkey": "Netvisorkey"})


def _customer_base(record: Mapping[str, Any]) -> Mapping[str, Any]:
    return record.get("customerbaseinformation") or {}


def customer_list_item(record: Mapping[str, Any], params: Params) -> dict[str, Any]:
    """The customerlist.nv row Netvisor derives from a customer (reference 4.1)."""
    base = _customer_base(record)
    key = base.get("netvisorkey")
    return {
        "netvisorkey": key,
        "name": base.get("name"),
        "code": base.get("internalidentifier"),
        "organisationidentifier": base.get("externalidentifier"),
        "customergroupid": base.get("customergroupnetvisorkey"),
        "customergroupname": base.get("customergroupname"),
        "uri": detail_uri(params, "getcustomer.nv", "id", key),
    }


def customerlist(company: CompanyLike, p: Params) -> Reply:
    """`keyword` overrides `changedsince` (documented); `customercodelist` max 100 codes."""
    codes = p.strings("customercodelist", 100)
    keyword = p.get("keyword")
    if keyword:
        needle = keyword.lower()
        fields = ("name", "internalidentifier", "externalidentifier", "nameextension")
        source = [
            r
            for r in company.records("customers")
            if any(needle in as_text(_customer_base(r).get(f)).lower() for f in fields)
        ]
    else:
        source = modified_window(company, "customers", p.moment("changedsince"), None)
    if codes is not None:
        wanted = set(codes)
        source = [
            r for r in source if as_text(_customer_base(r).get("internalidentifier")) in wanted
        ]
    rows = [customer_list_item(r, p) for r in source]
    return listing("customerlist", "customer", rows, LIST_KEY_STYLE)


def _customer_not_found(key: int) -> None:
    raise invalid(f"Data form incorrect:. Customer not found with Netvisor identifier: {key}")


def getcustomer(company: CompanyLike, p: Params) -> Reply:
    """Unknown id -> INVALID_DATA as in the GetCustomerNotFound sample (also inside idlist)."""
    single = p.int("id")
    if single is not None:
        record = company.get("customers", single)
        if record is None:
            _customer_not_found(single)
        rendered = without_own_key(record, "customerbaseinformation", "netvisorkey")
        return Reply([Element("customer", rendered)], "customer", [rendered], truth_from=[record])
    keys = p.keys("idlist", 500)
    if keys is None:
        raise invalid("Required parameter id or idlist is missing")
    found = lookup(company, "customers", keys, _customer_not_found)
    reply = listing(
        "customers",
        "customer",
        [without_own_key(r, "customerbaseinformation", "netvisorkey") for r in found],
    )
    reply.truth_from = found
    return reply


# --- vendors --------------------------------------------------------------------------------

VENDOR_STYLE = Style(bool_true_false=frozenset({"isdefault"}))


def getvendor(company: CompanyLike, p: Params) -> Reply:
    """Every key of `netvisorkeylist` must exist; `changedsince` pages by 500 with headers."""
    single = p.int("netvisorkey")

    def missing(key: int) -> None:
        raise invalid(f"Vendor not found with Netvisor identifier: {key}")

    if single is not None:
        record = company.get("vendors", single)
        if record is None:
            missing(single)
        return Reply([Element("vendor", record)], "vendor", [record], VENDOR_STYLE)
    keys = p.keys("netvisorkeylist", 500)
    if keys is not None:
        found = lookup(company, "vendors", keys, missing)
        return listing("vendors", "vendor", found, VENDOR_STYLE)
    since = p.moment("changedsince")
    if since is None:
        raise invalid("Required parameter netvisorkey, netvisorkeylist or changedsince is missing")
    page = p.int("page") or 1
    if page < 1:
        raise invalid("Parameter page must be 1 or greater")
    size = p.vendor_page_size or _vendor_page_size()
    matching = modified_window(company, "vendors", since, None)
    total = len(matching)
    rows = matching[(page - 1) * size : page * size]
    headers = {
        "X-Netvisor-Pagination-Current-Page": str(page),
        "X-Netvisor-Pagination-Limit": str(size),
        "X-Netvisor-Pagination-Total-Count": str(total),
    }
    if page > 1:
        headers["X-Netvisor-Pagination-Previous-Page"] = str(page - 1)
    if page * size < total:
        headers["X-Netvisor-Pagination-Next-Page"] = str(page + 1)
    reply = listing("vendors", "vendor", rows, VENDOR_STYLE)
    reply.headers = headers
    return reply


# --- products -------------------------------------------------------------------------------


def _product_base(record: Mapping[str, Any]) -> Mapping[str, Any]:
    return record.get("productbaseinformation") or {}


def _vat_factor(record: Mapping[str, Any]) -> Decimal:
    books = record.get("productbookkeepingdetails") or {}
    vat = books.get("defaultvatpercent")
    return Decimal(1) + Decimal(str(vat or 0)) / Decimal(100)


def product_list_item(record: Mapping[str, Any], params: Params) -> dict[str, Any]:
    """The productlist.nv row: net and gross unit price derived from the detail's price.

    The generator may state the gross price and group id (`_unitgrossprice`,
    `_productgroupid`); otherwise they are derived from the price type and default VAT.
    """
    base = _product_base(record)
    key = base.get("netvisorkey")
    price = base.get("unitprice")
    net = gross = None
    if isinstance(price, Decimal):
        factor = _vat_factor(record)
        if base.get("unitprice_type") == "brutto":
            gross = price
            net = (price / factor).quantize(Decimal("0.000000000001"))
        else:
            net = price
            gross = (price * factor).quantize(Decimal("0.01"))
    if isinstance(record.get("_unitgrossprice"), Decimal):
        gross = record["_unitgrossprice"]
    return {
        "netvisorkey": key,
        "productcode": base.get("productcode"),
        "name": base.get("name"),
        "unitprice": net,
        "unitgrossprice": gross,
        "productgroupid": record.get("_productgroupid"),
        "productgroupdescription": base.get("productgroup"),
        "uri": detail_uri(params, "getproduct.nv", "id", key),
    }


def productlist(company: CompanyLike, p: Params) -> Reply:
    """`published`/`unpublished` select active/inactive products (assumed meaning);
    `deleted=0` hides products the generator marks `_deleted`."""
    source = modified_window(company, "products", p.moment("changedsince"), None)
    keyword = p.get("keyword")
    if keyword:
        needle = keyword.lower()
        source = [
            r
            for r in source
            if needle in as_text(_product_base(r).get("name")).lower()
            or needle in as_text(_product_base(r).get("productcode")).lower()
        ]
    published, unpublished = p.get("published"), p.get("unpublished")
    if published == "1" and unpublished != "1":
        source = [r for r in source if _product_base(r).get("isactive") is not False]
    elif unpublished == "1" and published != "1":
        source = [r for r in source if _product_base(r).get("isactive") is False]
    if p.get("deleted") == "0":
        source = [r for r in source if not r.get("_deleted")]
    rows = [product_list_item(r, p) for r in source]
    return listing("productlist", "product", rows)


def getproduct(company: CompanyLike, p: Params) -> Reply:
    """Not found is OK with an empty `<Product></Product>` (GetProductNotFound sample)."""
    single = p.int("id")
    code = p.get("code")
    if single is not None or code is not None:
        record = (
            company.get("products", single)
            if single is not None
            else _product_by_code(company).get(code or "")
        )
        if record is None:
            return Reply([Element("product", None, explicit_empty=True)], "product", [])
        return Reply([Element("product", record)], "product", [record])
    keys = p.keys("idlist", 400)
    if keys is not None:
        found = lookup(company, "products", keys, lambda _k: None)
        return listing("products", "product", found)
    codes = p.strings("codelist", 400)
    if codes is not None:
        by_code = _product_by_code(company)
        found = [by_code[c] for c in codes if c in by_code]
        return listing("products", "product", found)
    raise invalid("Required parameter id, idlist, code or codelist is missing")


def _product_by_code(company: CompanyLike) -> dict[str, dict]:
    return {as_text(_product_base(r).get("productcode")): r for r in company.records("products")}
