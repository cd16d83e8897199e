"""One handler per Netvisor read resource: query parameters -> the records the response holds.

A handler returns a `Reply`: the document parts to stream and the record elements they
contain. The HTTP app renders the parts; `SimulatorServer.ground_truth` turns the very same
`Reply.records` into parsed-record form, so a response and its ground truth cannot drift apart.

Parameter names are matched case-insensitively (old clients send `InvoicesAboveNetvisorKey`).
List resources are derived from the detail records the company generator holds (a customer
list row is a projection of the `getcustomer` record), the way Netvisor derives them from one
database.

Assumptions where the reference is [unverified] or silent (reference section numbers):
- a key list above its documented cap (500/400/100) is `INVALID_DATA` (5, 7.7);
- a missing required parameter, an unparsable date or number is `INVALID_DATA`;
- date-only `lastmodifiedend`/`enddate`-style upper bounds include the whole day; all ranges
  are inclusive at both ends; datetime filter values are Helsinki wall-clock time (3);
- `changedsince` means modified at or after the given moment;
- `salesinvoicelist.nv` returns at most 500 rows ordered by NetvisorKey ascending, with every
  filter, so `invoicesabovenetvisorkey` walks past the cap (4.5); other lists are uncapped;
- `getvendor.nv` pages (500) apply to `changedsince`; `X-Netvisor-Pagination-Previous-Page`
  and `-Next-Page` are omitted when there is no such page (4.3); `netvisorkeylist` is capped
  at 500 like the other key lists. The page size is server-defined (the doc example shows
  100), so `SimulatorServer(vendor_page_size=...)` sets it: a test knob that makes a company
  with few vendors page for real;
- a `getsalesinvoice`/`getorder`/`getpurchaseinvoice`/`getpurchaseorder` key list silently
  omits unknown keys; a single unknown key answers the empty entity (4.6, 4.8);
  `getproduct.nv?idlist=` answers `Products` -> `Product`*;
- deleted-record resources keep 7 days of history counted back from the simulated business
  date (`company.today`); an older `deletedsince` is accepted and answers what is kept (4.18);
- `getpurchaseinvoice.nv` without `version=2` moves line dimensions into one
  `PurchaseInvoiceLineDimensions` block after the lines, as the version-1 sample shows.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from netvisor_assets.simulator.auth import ApiError
from netvisor_assets.simulator.render import (
    DEFAULT_STYLE,
    HELSINKI,
    Element,
    Raw,
    Records,
    Style,
    Wrapper,
    expected_record,
    format_attribute,
    format_leaf,
    parse_leaf,
    render_element,
)
from netvisor_assets.simulator.render import INDENT as _IND

SALES_INVOICE_LIST_CAP = 500
VENDOR_PAGE_SIZE = 500
DELETED_HISTORY_DAYS = 7
MAX_BALANCE_DATES = 1000


class CompanyLike(Protocol):
    """The part of `simulator.company.Company` the handlers read."""

    today: dt.date

    def records(self, kind: str) -> Iterable[dict]: ...
    def get(self, kind: str, key: int) -> dict | None: ...
    def by_date(self, kind: str, first: dt.date, last: dt.date) -> Iterable[dict]: ...
    def modified_between(
        self, kind: str, start: dt.datetime, end: dt.datetime | None
    ) -> Iterable[dict]: ...
    def deleted_since(self, kind: str, since: dt.date) -> list[dict]: ...


def invalid(message: str) -> ApiError:
    return ApiError("INVALID_DATA", message, 400)


# --- parameters -----------------------------------------------------------------------------


class Params:
    """Query parameters with case-insensitive names and Netvisor's value formats."""

    def __init__(
        self,
        raw: Mapping[str, str],
        base_url: str = "",
        *,
        vendor_page_size: int | None = None,
    ) -> None:
        self.raw = {k.lower(): v for k, v in raw.items()}
        self.base_url = base_url.rstrip("/")
        # Server-defined (reference 4.3); None = VENDOR_PAGE_SIZE as it is when asked.
        self.vendor_page_size = vendor_page_size

    def get(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise invalid(f"Required parameter {name} is missing")
        return value

    def int(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise invalid(f"Parameter {name} is not an integer: {value}") from None

    def flag(self, name: str) -> bool:
        return (self.get(name) or "").lower() in ("1", "true")

    def date(self, name: str) -> dt.date | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise invalid(f"Parameter {name} is not a date (YYYY-MM-DD): {value}") from None

    def moment(self, name: str, *, end: bool = False) -> dt.datetime | None:
        """`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`, Helsinki time; a bare end date = end of day."""
        value = self.get(name)
        if value is None:
            return None
        try:
            if len(value) <= 10:
                day = dt.date.fromisoformat(value)
                clock = dt.time.max if end else dt.time.min
                return dt.datetime.combine(day, clock, tzinfo=HELSINKI)
            parsed = dt.datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            raise invalid(
                f"Parameter {name} is not a date or datetime (YYYY-MM-DDTHH:MM:SS): {value}"
            ) from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=HELSINKI)
        return parsed.astimezone(HELSINKI)

    def keys(self, name: str, cap: int | None) -> list[int] | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            keys = [int(k) for k in value.split(",") if k.strip()]
        except ValueError:
            raise invalid(f"Parameter {name} must be a comma-separated list of integers") from None
        if cap is not None and len(keys) > cap:
            raise invalid(f"Parameter {name} holds {len(keys)} identifiers, the maximum is {cap}")
        return keys

    def strings(self, name: str, cap: int | None) -> list[str] | None:
        value = self.get(name)
        if value is None:
            return None
        items = [k.strip() for k in value.split(",") if k.strip()]
        if cap is not None and len(items) > cap:
            raise invalid(f"Parameter {name} holds {len(items)} values, the maximum is {cap}")
        return items


# --- reply ----------------------------------------------------------------------------------


@dataclass
class Reply:
    """What one request answers: parts to render and the record elements among them."""

    parts: list[Any]
    item: str
    records: list[Mapping[str, Any]]
    style: Style = DEFAULT_STYLE
    headers: dict[str, str] = field(default_factory=dict)
    # Set when the records are not the rendered elements themselves (accountbalance).
    truth: list[dict] | None = None
    # Records a correct client ends up with when the rendered ones are older shapes (a
    # detail document without its own key, which the client restores from its request).
    truth_from: list[Mapping[str, Any]] | None = None

    def ground_truth(self) -> list[dict]:
        if self.truth is not None:
            return self.truth
        records = self.truth_from if self.truth_from is not None else self.records
        return [expected_record(self.item, r, self.style) for r in records]


def _listing(wrapper: str, item: str, records: list, style: Style = DEFAULT_STYLE) -> Reply:
    return Reply([Wrapper(wrapper, [Records(item, records)])], item, records, style)


# --- shared helpers -------------------------------------------------------------------------


def _modified(record: Mapping[str, Any]) -> dt.datetime | None:
    value = record.get("_modified")
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=HELSINKI)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time.min, tzinfo=HELSINKI)
    return None


def _modified_window(
    company: CompanyLike, kind: str, start: dt.datetime | None, end: dt.datetime | None
) -> list[dict]:
    """Records of `kind` modified in [start, end] (either bound optional), ascending key."""
    if start is None and end is None:
        return list(company.records(kind))
    source = (
        company.modified_between(kind, start, end) if start is not None else company.records(kind)
    )
    result = []
    for record in source:
        moment = _modified(record)
        if moment is None:
            continue
        if start is not None and moment < start:
            continue
        if end is not None and moment > end:
            continue
        result.append(record)
    result.sort(key=_key_of)
    return result


def _key_of(record: Mapping[str, Any]) -> int:
    for name in ("netvisorkey", "salesinvoicenetvisorkey", "purchaseinvoicenetvisorkey"):
        value = record.get(name)
        if value is not None:
            return int(value)
    for group in record.values():
        if isinstance(group, Mapping) and group.get("netvisorkey") is not None:
            return int(group["netvisorkey"])
    return 0


def _records_above(
    company: CompanyLike, kind: str, above: int | None
) -> Iterable[Mapping[str, Any]]:
    keys = company.keys(kind)  # type: ignore[attr-defined]
    start = bisect.bisect_right(keys, above) if above is not None else 0
    for key in keys[start:]:
        record = company.get(kind, key)
        if record is not None:
            yield record


def _in_range(value: dt.date | None, first: dt.date | None, last: dt.date | None) -> bool:
    if value is None:
        return first is None and last is None
    if isinstance(value, dt.datetime):
        value = value.date()
    return (first is None or value >= first) and (last is None or value <= last)


def _uri(params: Params, resource: str, name: str, key: int) -> str:
    return f"{params.base_url}/{resource}?{name}={key}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _lookup(company: CompanyLike, kind: str, keys: list[int], missing: Callable[[int], Any]):
    found = []
    for key in keys:
        record = company.get(kind, key)
        if record is None:
            result = missing(key)
            if result is None:
                continue
        else:
            found.append(record)
    return found


# --- customers ------------------------------------------------------------------------------

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
        "uri": _uri(params, "getcustomer.nv", "id", key),
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
            if any(needle in _text(_customer_base(r).get(f)).lower() for f in fields)
        ]
    else:
        source = _modified_window(company, "customers", p.moment("changedsince"), None)
    if codes is not None:
        wanted = set(codes)
        source = [r for r in source if _text(_customer_base(r).get("internalidentifier")) in wanted]
    rows = [customer_list_item(r, p) for r in source]
    return _listing("customerlist", "customer", rows, LIST_KEY_STYLE)


def _customer_not_found(key: int) -> None:
    raise invalid(f"Data form incorrect:. Customer not found with Netvisor identifier: {key}")


def getcustomer(company: CompanyLike, p: Params) -> Reply:
    """Unknown id -> INVALID_DATA as in the GetCustomerNotFound sample (also inside idlist)."""
    single = p.int("id")
    if single is not None:
        record = company.get("customers", single)
        if record is None:
            _customer_not_found(single)
        rendered = _without_own_key(record, "customerbaseinformation", "netvisorkey")
        return Reply([Element("customer", rendered)], "customer", [rendered], truth_from=[record])
    keys = p.keys("idlist", 500)
    if keys is None:
        raise invalid("Required parameter id or idlist is missing")
    found = _lookup(company, "customers", keys, _customer_not_found)
    reply = _listing(
        "customers",
        "customer",
        [_without_own_key(r, "customerbaseinformation", "netvisorkey") for r in found],
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
        found = _lookup(company, "vendors", keys, missing)
        return _listing("vendors", "vendor", found, VENDOR_STYLE)
    since = p.moment("changedsince")
    if since is None:
        raise invalid("Required parameter netvisorkey, netvisorkeylist or changedsince is missing")
    page = p.int("page") or 1
    if page < 1:
        raise invalid("Parameter page must be 1 or greater")
    size = p.vendor_page_size or VENDOR_PAGE_SIZE
    matching = _modified_window(company, "vendors", since, None)
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
    reply = _listing("vendors", "vendor", rows, VENDOR_STYLE)
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
        "uri": _uri(params, "getproduct.nv", "id", key),
    }


def productlist(company: CompanyLike, p: Params) -> Reply:
    """`published`/`unpublished` select active/inactive products (assumed meaning);
    `deleted=0` hides products the generator marks `_deleted`."""
    source = _modified_window(company, "products", p.moment("changedsince"), None)
    keyword = p.get("keyword")
    if keyword:
        needle = keyword.lower()
        source = [
            r
            for r in source
            if needle in _text(_product_base(r).get("name")).lower()
            or needle in _text(_product_base(r).get("productcode")).lower()
        ]
    published, unpublished = p.get("published"), p.get("unpublished")
    if published == "1" and unpublished != "1":
        source = [r for r in source if _product_base(r).get("isactive") is not False]
    elif unpublished == "1" and published != "1":
        source = [r for r in source if _product_base(r).get("isactive") is False]
    if p.get("deleted") == "0":
        source = [r for r in source if not r.get("_deleted")]
    rows = [product_list_item(r, p) for r in source]
    return _listing("productlist", "product", rows)


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
        found = _lookup(company, "products", keys, lambda _k: None)
        return _listing("products", "product", found)
    codes = p.strings("codelist", 400)
    if codes is not None:
        by_code = _product_by_code(company)
        found = [by_code[c] for c in codes if c in by_code]
        return _listing("products", "product", found)
    raise invalid("Required parameter id, idlist, code or codelist is missing")


def _product_by_code(company: CompanyLike) -> dict[str, dict]:
    return {_text(_product_base(r).get("productcode")): r for r in company.records("products")}


# --- sales invoices and orders --------------------------------------------------------------

SALES_LIST_STYLE = Style(names={"invoicedate": "Invoicedate"})
_OPEN_SUBSTATUSES = {"overdue", "reminded", "requested", "collected"}
_STATUS_FILTER = {
    "open": {"open", "overdue", "reminded", "requested", "collected"},
    "overdue": {"overdue", "reminded", "requested", "collected"},
}


def _sales_status(record: Mapping[str, Any]) -> str:
    return _text(record.get("invoicestatus_status") or record.get("invoicestatus")).lower()


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
            "uri": _uri(params, resource, "netvisorkey", key),
        }
    )
    return row


def salesinvoicelist(company: CompanyLike, p: Params) -> Reply:
    """Invoices (default), orders (`listtype=preinvoice`); at most 500 rows by key."""
    listtype = (p.get("listtype") or "").lower()
    if listtype == "preinvoice":
        kind, detail = "sales_orders", "getorder.nv"
    elif listtype in ("", "draftandinvoice"):
        kind, detail = "sales_invoices", "getsalesinvoice.nv"
    else:
        raise invalid(f"Unknown listtype {listtype}")
    start = p.moment("lastmodifiedstart")
    end = p.moment("lastmodifiedend", end=True)
    include_payments = p.flag("includemodifiedpayments")
    if include_payments and (start is None or end is None):
        raise invalid("includemodifiedpayments requires lastmodifiedstart and lastmodifiedend")
    above = p.int("invoicesabovenetvisorkey")
    first, last = p.date("begininvoicedate"), p.date("endinvoicedate")
    source: Iterable[Mapping[str, Any]]
    if start is not None or end is not None:
        source = _modified_window(company, kind, start, end)
    elif first is not None and last is not None:
        source = company.by_date(kind, first, last)
    else:
        # Lazy: a 500-row page walked by key builds about 500 records, not the whole table.
        source = _records_above(company, kind, above)
    if include_payments and kind == "sales_invoices":
        numbers = {
            _text(pay.get("invoicenumber"))
            for pay in _modified_window(company, "sales_payments", start, end)
        }
        have = {_key_of(r) for r in source}
        extra = [
            r
            for r in company.records(kind)
            if _text(r.get("salesinvoicenumber")) in numbers and _key_of(r) not in have
        ]
        source = sorted([*source, *extra], key=_key_of)
    number = p.get("invoicenumber")
    status_filter = (p.get("invoicestatus") or "").lower()
    wanted_status = _STATUS_FILTER.get(status_filter, {status_filter})
    customer_code = p.get("customercode")
    customer_key = p.int("customernetvisorkey")
    rows = []
    for record in source:
        if above is not None and _key_of(record) <= above:
            continue
        if (first or last) and not _in_range(record.get("salesinvoicedate"), first, last):
            continue
        if number is not None and _text(record.get("salesinvoicenumber")) != number:
            continue
        if status_filter and _sales_status(record) not in wanted_status:
            continue
        if customer_code is not None and _text(record.get("invoicingcustomercode")) != (
            customer_code
        ):
            continue
        if customer_key is not None and record.get("invoicingcustomernetvisorkey") != customer_key:
            continue
        rows.append(sales_list_item(record, p, detail))
        if len(rows) >= SALES_INVOICE_LIST_CAP:
            break
    return _listing("salesinvoicelist", "salesinvoice", rows, SALES_LIST_STYLE)


def _without_comment_lines(record: Mapping[str, Any]) -> Mapping[str, Any]:
    lines = record.get("invoicelines")
    if not isinstance(lines, Mapping):
        return record
    line = lines.get("invoiceline")
    if not isinstance(line, Mapping) or not line.get("salesinvoicecommentline"):
        return record
    trimmed_line = {k: v for k, v in line.items() if k != "salesinvoicecommentline"}
    return {**record, "invoicelines": {**lines, "invoiceline": trimmed_line}}


def _get_documents(
    company: CompanyLike, p: Params, kind: str, item: str, wrapper: str, cap: int = 500
) -> tuple[list[Mapping[str, Any]], bool]:
    """(records, single) for the netvisorkey / netvisorkeylist pattern."""
    single = p.int("netvisorkey")
    if single is not None:
        record = company.get(kind, single)
        return ([record] if record is not None else []), True
    keys = p.keys("netvisorkeylist", cap)
    if keys is None:
        raise invalid("Required parameter netvisorkey or netvisorkeylist is missing")
    return _lookup(company, kind, keys, lambda _k: None), False


def _document_reply(records: list, single: bool, item: str, wrapper: str, style=DEFAULT_STYLE):
    if single:
        value = records[0] if records else None
        return Reply([Element(item, value)], item, records, style)
    return _listing(wrapper, item, records, style)


# Older documents come back without their own key in a detail response (real samples:
# GetSalesInvoice.xml, GetCustomerMinimal.xml); about one in twelve here, chosen by key.
OLDER_SHAPE_PER_MILLE = 80
# getsalesinvoice.nv's replyoption bit for CreditedInvoiceNetvisorKey (reference 4.6).
REPLY_CREDITED_INVOICE = 16


def older_shape(key: Any) -> bool:
    """Whether a document answers in the older shape (deterministic by its key)."""
    return isinstance(key, int) and (key * 2_654_435_761) % 1000 < OLDER_SHAPE_PER_MILLE


def _without_own_key(record: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    """The record as an older response renders it: its own key left out."""
    if len(path) == 1:
        if not older_shape(record.get(path[0])):
            return record
        return {k: v for k, v in record.items() if k != path[0]}
    group = record.get(path[0])
    if not isinstance(group, Mapping) or not older_shape(group.get(path[1])):
        return record
    return {**record, path[0]: {k: v for k, v in group.items() if k != path[1]}}


def _reply_option(p: Params) -> int:
    raw = p.get("replyoption") or "0"
    return int(raw) if raw.isdigit() else 0


def _sales_document(kind: str) -> Callable[[CompanyLike, Params], Reply]:
    def handler(company: CompanyLike, p: Params) -> Reply:
        records, single = _get_documents(company, p, kind, "salesinvoice", "salesinvoices")
        if not p.flag("showcommentlines"):
            records = [_without_comment_lines(r) for r in records]
        if not _reply_option(p) & REPLY_CREDITED_INVOICE:
            # Netvisor names the credited invoice only when asked (replyoption 16).
            records = [
                {k: v for k, v in r.items() if k != "creditedinvoicenetvisorkey"} for r in records
            ]
        reply = _document_reply(
            [_without_own_key(r, "salesinvoicenetvisorkey") for r in records],
            single,
            "salesinvoice",
            "salesinvoices",
        )
        reply.truth_from = records
        return reply

    handler.__doc__ = f"getsalesinvoice/getorder over {kind}: root SalesInvoice or SalesInvoices."
    return handler


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
        "uri": _uri(params, "getpurchaseinvoice.nv", "netvisorkey", key),
    }


def purchaseinvoicelist(company: CompanyLike, p: Params) -> Reply:
    """`invoicestatus` matches ApprovalStatus; `paymentstatus` compares paid with the total."""
    source = _modified_window(
        company,
        "purchase_invoices",
        p.moment("lastmodifiedstart"),
        p.moment("lastmodifiedend", end=True),
    )
    first, last = p.date("begininvoicedate"), p.date("endinvoicedate")
    number = p.get("invoicenumber")
    status = (p.get("invoicestatus") or "").lower()
    payment = (p.get("paymentstatus") or "").lower()
    rows = []
    for record in source:
        if (first or last) and not _in_range(record.get("purchaseinvoicedate"), first, last):
            continue
        if number is not None and _text(record.get("purchaseinvoicenumber")) != number:
            continue
        if status and _text(record.get("approvalstatus")).lower() != status:
            continue
        row = purchase_list_item(record, p)
        if payment == "paid" and (row["opensum"] or 0) > 0:
            continue
        if payment == "unpaid" and not (row["opensum"] or 0) > 0:
            continue
        rows.append(row)
    return _listing("purchaseinvoicelist", "purchaseinvoice", rows)


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
    records, single = _get_documents(company, p, "purchase_invoices", "x", "x")
    if p.get("version") != "2":
        records = [_version1(r) for r in records]
    reply = _document_reply(
        [_without_own_key(r, "purchaseinvoicenetvisorkey") for r in records],
        single,
        "purchaseinvoice",
        "purchaseinvoices",
    )
    reply.truth_from = records
    return reply


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
        "uri": _uri(params, "getpurchaseorder.nv", "netvisorkey", key),
    }


def purchaseorderlist(company: CompanyLike, p: Params) -> Reply:
    """`limitvendor`: an integer is a vendor key, `NNNNNNN-C` an org id, else a vendor code."""
    source = _modified_window(
        company,
        "purchase_orders",
        p.moment("lastmodifiedstart"),
        p.moment("lastmodifiedend", end=True),
    )
    first, last = p.date("limitbegindate"), p.date("limitenddate")
    low, high = p.int("limitstartordernumber"), p.int("limitendordernumber")
    status = (p.get("limitorderstatus") or "").lower()
    comment = (p.get("searchcomment") or "").lower()
    vendor = p.get("limitvendor")
    rows = []
    for record in source:
        if (first or last) and not _in_range(record.get("orderdate"), first, last):
            continue
        try:
            number = int(record.get("ordernumber") or 0)
        except (TypeError, ValueError):
            number = 0
        if (low is not None and number < low) or (high is not None and number > high):
            continue
        if status and _text(record.get("orderstatus")).lower() != status:
            continue
        if comment and comment not in _text(record.get("comment")).lower():
            continue
        if vendor is not None and vendor not in (
            _text(record.get("vendornetvisorkey")),
            _text(record.get("vendororganizationidentifier")),
            _text(record.get("vendorcode")),
        ):
            continue
        rows.append(purchase_order_list_item(record, p))
    return _listing("purchaseorderlist", "purchaseorder", rows)


def getpurchaseorder(company: CompanyLike, p: Params) -> Reply:
    """Root PurchaseOrder for one key, PurchaseOrders for a list."""
    records, single = _get_documents(company, p, "purchase_orders", "x", "x")
    return _document_reply(records, single, "purchaseorder", "purchaseorders")


# --- ledger ---------------------------------------------------------------------------------

_VOUCHER_STATUS = {1: None, 2: {"valid"}, 3: {"invalidated", "deleted"}}


def _voucher_status(record: Mapping[str, Any]) -> str:
    return _text(record.get("status") or "valid").lower()


def _trim_voucher(
    record: Mapping[str, Any], p: Params, low: str | None, high: str | None
) -> Mapping[str, Any] | None:
    lines = record.get("voucherline") or []
    extras = {
        "transactionhistory": p.flag("includetransactionhistory"),
        "transactionallocations": p.flag("includetransactionallocations"),
    }
    changed = False
    if low is not None or high is not None:
        kept = [
            line
            for line in lines
            if (low is None or _text(line.get("accountnumber")) >= low)
            and (high is None or _text(line.get("accountnumber")) <= high)
        ]
        if not kept:
            return None
        if len(kept) != len(lines):
            lines = kept
            changed = True
    if any(not on and any(name in line for line in lines) for name, on in extras.items()):
        lines = [{k: v for k, v in line.items() if extras.get(k, True)} for line in lines]
        changed = True
    if not changed:
        return record
    return {**record, "voucherline": lines}


def accountingledger(company: CompanyLike, p: Params) -> Reply:
    """Vouchers with inline lines; voucherstatus 1 all, 2 valid (default), 3 invalidated."""
    keys = p.keys("netvisorkeylist", 500)
    single = p.int("netvisorkey")
    status_param = p.int("voucherstatus")
    statuses = _VOUCHER_STATUS.get(2 if status_param is None else status_param, False)
    if statuses is False:
        raise invalid("Parameter voucherstatus must be 1, 2 or 3")
    start, end = p.date("startdate"), p.date("enddate")
    changed = p.moment("changedsince")
    mod_start = p.moment("lastmodifiedstart")
    mod_end = p.moment("lastmodifiedend", end=True)
    if (start is None) != (end is None):
        raise invalid("Parameters startdate and enddate must be given together")
    if single is not None or keys is not None:
        wanted = [single] if single is not None else keys or []
        source = _lookup(company, "vouchers", wanted, lambda _k: None)
    elif start is not None and end is not None:
        if end < start:
            raise invalid("enddate is before startdate")
        source = sorted(company.by_date("vouchers", start, end), key=_key_of)
        if changed or mod_start or mod_end:
            low = max(x for x in (changed, mod_start) if x) if changed or mod_start else None
            source = [r for r in source if _within(_modified(r), low, mod_end)]
    elif changed is not None or mod_start is not None or mod_end is not None:
        low = max(x for x in (changed, mod_start) if x) if changed or mod_start else None
        source = _modified_window(company, "vouchers", low, mod_end)
    else:
        raise invalid(
            "One of netvisorkey, netvisorkeylist, startdate and enddate, changedsince, "
            "lastmodifiedstart or lastmodifiedend is required"
        )
    voucher_type = p.int("vouchertype")
    type_abbreviation = None
    if voucher_type is not None:
        for vt in getattr(company, "voucher_types", []) or []:
            if vt.get("netvisorkey") == voucher_type:
                type_abbreviation = _text(vt.get("abbreviation"))
        if type_abbreviation is None:
            raise invalid(f"Unknown voucher type {voucher_type}")
    low_acc, high_acc = p.get("accountnumberstart"), p.get("accountnumberend")
    rows = []
    for record in source:
        if statuses is not None and _voucher_status(record) not in statuses:
            continue
        if type_abbreviation is not None and not _text(record.get("voucherclass")).startswith(
            type_abbreviation
        ):
            continue
        trimmed = _trim_voucher(record, p, low_acc, high_acc)
        if trimmed is not None:
            rows.append(trimmed)
    return _listing("vouchers", "voucher", rows)


def _within(moment: dt.datetime | None, low: dt.datetime | None, high: dt.datetime | None):
    if moment is None:
        return False
    return (low is None or moment >= low) and (high is None or moment <= high)


# --- payments -------------------------------------------------------------------------------


def salespaymentlist(company: CompanyLike, p: Params) -> Reply:
    """Sales payments; `limitlinkedpayments` 1 = linked to an invoice, 0 = not linked."""
    source = _modified_window(
        company,
        "sales_payments",
        p.moment("lastmodifiedstart"),
        p.moment("lastmodifiedend", end=True),
    )
    above = p.int("abovenetvisorkey")
    first, last = p.date("begindate"), p.date("enddate")
    name = (p.get("searchbyname") or "").lower()
    number = p.get("invoicenumber")
    linked = p.get("limitlinkedpayments")
    by_type = (p.get("limitbytype") or "").lower()
    invoice_key = p.int("invoicenetvisorkey")
    rows = []
    for record in source:
        if above is not None and _key_of(record) <= above:
            continue
        if (first or last) and not _in_range(record.get("date"), first, last):
            continue
        if name and name not in _text(record.get("name")).lower():
            continue
        inv = _text(record.get("invoicenumber"))
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
    return _listing("salespaymentlist", "salespayment", rows)


def paymentlist(company: CompanyLike, p: Params) -> Reply:
    """Purchase payments: key watermark and payment-date window only (no change filter)."""
    above = p.int("limitabovenetvisorkey")
    first, last = p.date("limitbegindate"), p.date("limitenddate")
    reference = p.get("limitreference")
    invoice = p.int("limitinvoiceid")
    rows = []
    for record in company.records("purchase_payments"):
        if above is not None and _key_of(record) <= above:
            continue
        if (first or last) and not _in_range(record.get("date"), first, last):
            continue
        if reference is not None and _text(record.get("reference")) != reference:
            continue
        if invoice is not None and record.get("invoicekey") != invoice:
            continue
        rows.append(record)
    return _listing("paymentlist", "payment", rows)


# --- reference tables -----------------------------------------------------------------------


def accountlist(company: CompanyLike, p: Params) -> Reply:
    """Default accounts then the account tree; the records are the Account elements."""
    accounts = list(getattr(company, "accounts", []))
    defaults = getattr(company, "company_default_accounts", None) or {}
    parts = [
        Wrapper(
            "accountlist",
            [
                Element("companydefaultaccounts", defaults),
                Wrapper("accounts", [Records("account", accounts)]),
            ],
        )
    ]
    return Reply(parts, "account", accounts)


def _balance_dates(p: Params) -> list[dt.date]:
    raw = p.strings("balancedates", None)
    if not raw:
        raise invalid("Required parameter balancedates is missing")
    try:
        dates = [dt.date.fromisoformat(d[:10]) for d in raw]
    except ValueError:
        raise invalid("Parameter balancedates must hold dates YYYY-MM-DD") from None
    interval = p.int("intervaltype") or 0
    if interval == 0:
        return dates
    if interval not in (1, 2, 3, 4) or len(dates) != 2:
        raise invalid("intervaltype 1-4 needs exactly two balancedates (a range)")
    first, last = sorted(dates)
    result = [first]
    step = 1
    while True:
        if interval == 1:
            nxt = first + dt.timedelta(days=step)
        elif interval == 2:
            nxt = first + dt.timedelta(weeks=step)
        else:
            months = step * (1 if interval == 3 else 12)
            nxt = _add_months(first, months)
        if nxt >= last:
            break
        result.append(nxt)
        step += 1
        if len(result) > MAX_BALANCE_DATES:
            raise invalid(f"Too many balance dates (maximum {MAX_BALANCE_DATES})")
    if last != first:
        result.append(last)
    return result


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def accountbalance(company: CompanyLike, p: Params) -> Reply:
    """Balances per account and date, rendered `Account netvisorkey=` / `AccountBalance date=`;
    the records are flat {"netvisorkey", "date", "debet", "kredit", "balance"}."""
    dates = _balance_dates(p)
    single = p.int("netvisorkey")
    keys = [single] if single is not None else p.keys("netvisorkeylist", None)
    balances = list(company.balances(keys, dates))  # type: ignore[attr-defined]
    grouped: dict[Any, list[dict]] = {}
    for row in balances:
        grouped.setdefault(row["netvisorkey"], []).append(row)

    def lines() -> Iterable[str]:
        if not grouped:
            yield f"{_IND}<AccountBalances/>"
            return
        yield f"{_IND}<AccountBalances>"
        for key, rows in grouped.items():
            yield f'{_IND * 2}<Account netvisorkey="{format_attribute("netvisorkey", key)}">'
            for row in rows:
                yield f'{_IND * 3}<AccountBalance date="{format_attribute("date", row["date"])}">'
                out: list[str] = []
                for name in ("debet", "kredit", "balance"):
                    render_element(out, name, row.get(name), 4)
                yield from out
                yield f"{_IND * 3}</AccountBalance>"
            yield f"{_IND * 2}</Account>"
        yield f"{_IND}</AccountBalances>"

    truth = [
        {
            "netvisorkey": parse_leaf(
                "netvisorkey", format_attribute("netvisorkey", row["netvisorkey"])
            ),
            "date": parse_leaf("date", format_attribute("date", row["date"])),
            **{
                name: parse_leaf(name, format_leaf(name, row.get(name))[0])
                for name in ("debet", "kredit", "balance")
            },
        }
        for rows in grouped.values()
        for row in rows
    ]
    return Reply([Raw(lines())], "accountbalance", balances, truth=truth)


def accountingperiodlist(company: CompanyLike, p: Params) -> Reply:
    """Lock dates then the periods; the records are the Period elements."""
    periods = list(getattr(company, "periods", []))
    lock = getattr(company, "period_lock_information", None) or {}
    parts = [
        Wrapper(
            "accountingperiodlist",
            [Element("periodlockinformation", lock), Records("period", periods)],
        )
    ]
    return Reply(parts, "period", periods)


def vouchertypelist(company: CompanyLike, p: Params) -> Reply:
    """Default voucher types then all types; the records are the VoucherType elements."""
    types = list(getattr(company, "voucher_types", []))
    defaults = getattr(company, "default_voucher_types", None) or {}
    parts = [
        Wrapper(
            "vouchertypelist",
            [
                Element("defaultvouchertypes", defaults),
                Wrapper("vouchertypes", [Records("vouchertype", types)]),
            ],
        )
    ]
    return Reply(parts, "vouchertype", types)


DIMENSION_STYLE = Style(names={"netvisorkey": "Netvisorkey", "fatherid": "FatherID"})


def dimensionlist(company: CompanyLike, p: Params) -> Reply:
    """Hidden dimension names and items appear only with `showhidden=1`."""
    show_hidden = p.flag("showhidden")
    rows = []
    for record in getattr(company, "dimensions", []):
        if show_hidden:
            rows.append(record)
            continue
        if record.get("ishidden"):
            continue
        details = record.get("dimensiondetails")
        if isinstance(details, Mapping) and isinstance(details.get("dimensiondetail"), list):
            visible = [d for d in details["dimensiondetail"] if not d.get("ishidden")]
            if len(visible) != len(details["dimensiondetail"]):
                record = {**record, "dimensiondetails": {**details, "dimensiondetail": visible}}
        rows.append(record)
    return _listing("dimensionnamelist", "dimensionname", rows, DIMENSION_STYLE)


def paymenttermlist(company: CompanyLike, p: Params) -> Reply:
    """All payment terms (no parameters)."""
    return _listing("paymenttermlist", "paymentterm", list(getattr(company, "payment_terms", [])))


def salespersonnellist(company: CompanyLike, p: Params) -> Reply:
    """All sales people (no parameters)."""
    people = list(getattr(company, "sales_personnel", []))
    return _listing("salespersonnellist", "salesperson", people)


# --- deleted records ------------------------------------------------------------------------

DELETED_KINDS = {
    "vouchers": ("vouchers", "voucher"),
    "salesinvoices": ("sales_invoices", "salesinvoice"),
    "salesorders": ("sales_orders", "salesorder"),
    "salespayments": ("sales_payments", "salespayment"),
    "purchaseinvoices": ("purchase_invoices", "purchaseinvoice"),
    "purchaseorders": ("purchase_orders", "purchaseorder"),
    "purchasepayments": ("purchase_payments", "purchasepayment"),
}


def _deleted(name: str) -> Callable[[CompanyLike, Params], Reply]:
    kind, singular = DELETED_KINDS[name]

    def handler(company: CompanyLike, p: Params) -> Reply:
        since = p.moment("deletedsince")
        if since is None:
            raise invalid("Required parameter deletedsince is missing")
        horizon = company.today - dt.timedelta(days=DELETED_HISTORY_DAYS)
        first = max(since.date(), horizon)
        rows = []
        for row in company.deleted_since(kind, first):
            moment = row.get("deletedate")
            if isinstance(moment, dt.datetime):
                aware = moment if moment.tzinfo else moment.replace(tzinfo=HELSINKI)
                if aware < since:
                    continue
            rows.append({"netvisorkey": row["netvisorkey"], "deletedate": moment})
        rows.sort(key=lambda r: (r["deletedate"] is None, r["deletedate"], r["netvisorkey"]))
        return _listing(f"deleted{name}", f"deleted{singular}", rows)

    handler.__doc__ = f"deleted{name}.nv: `deletedsince` required, 7 days of history."
    return handler


# --- registry -------------------------------------------------------------------------------

Handler = Callable[[CompanyLike, Params], Reply]

RESOURCES: dict[str, Handler] = {
    "customerlist": customerlist,
    "getcustomer": getcustomer,
    "getvendor": getvendor,
    "productlist": productlist,
    "getproduct": getproduct,
    "salesinvoicelist": salesinvoicelist,
    "getsalesinvoice": _sales_document("sales_invoices"),
    "getorder": _sales_document("sales_orders"),
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
    **{f"deleted{name}": _deleted(name) for name in DELETED_KINDS},
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
