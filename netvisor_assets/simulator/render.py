"""Records -> Netvisor XML, streamed; and records -> what a fields.py parser reads back.

Rendering is the inverse of `netvisor_assets.netvisor.fields`: a record key becomes an element
name in Netvisor's spelling (`netvisorkey` -> `NetvisorKey`, but `Netvisorkey` in the customer
and dimension lists), `<element>_<attr>` keys become attributes of the sibling leaf, a group's
own attributes (`Voucher Status="valid"`) come from `GROUP_ATTRIBUTES`, lists become repeated
elements. Values are formatted as the samples in `/work/shared/netvisor-samples` show them:
comma decimals, `d.M.yyyy` ledger and payment dates, ISO `format="ansi"` invoice dates,
`YYYY-MM-DD HH:MM` delete dates, `1`/`0` vs `True`/`False` vs `Yes`/`No` booleans per field.

`expected_record` is the ground truth: each leaf is formatted exactly as the response carries
it and parsed back with the fields.py rules (type by key, empty -> None, strings stripped,
repeated children always lists). Because the response and the ground truth are produced from
the same records by the same classification code, `client.fetch(...) == ground_truth(...)`
holds exactly when the client implements fields.py.

Documents are generated piece by piece (`stream_document`) and encoded in chunks of about
32 KiB, so a response over the whole company never exists as one string.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from netvisor_assets.netvisor.fields import REPEATED, field_type
from netvisor_assets.timezone import HELSINKI

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
# Netvisor's captured test-environment response: CRLF line ends, 4-space indentation.
NL = "\r\n"
INDENT = "    "
CHUNK_SIZE = 32 * 1024

# Element names in Netvisor's spelling, from the reference and the samples. Lookup is by the
# lower-cased record key; a key not listed is rendered with its first letter capitalised
# (a parser matching case-insensitively reads it back identically).
_ELEMENT_NAMES = """
Abbreviation Account AccountBalance AccountBalances AccountDimension AccountList AccountName
AccountNumber AccountType AccountingAccountSuggestion AccountingAccountSuggestionAccountNumber
AccountingPeriodList AccountingPeriodLockDate AccountingSuggestion
AccountingSuggestionBookkeepingAccount AccountingSuggestionBookkeepingAccountNetvisorKey Accounts
Accruals Actions ActivityPeriodEnd ActivityPeriodStart AdditionalInformation
AdditionalStreetAddress Address AdvancePayments Amount ApprovalStatus Attachments Balance
BalanceLimit BankName BankStatementViewVouchers BankStatus BankStatusErrorDescription BeginDate
City Code Collection ComissionPercentage Comment CompanyDefaultAccounts ContactPerson
ContactPersonEmail ContactPersonName ContactPersonPhone ContactPersonPhoneNumber Country
CreditedInvoiceNetvisorKey Customer CustomerAdditionalInformation CustomerAgreementIdentifier
CustomerBaseInformation CustomerCode CustomerContactDetails CustomerDeliveryDetails
CustomerFinvoiceDetails CustomerGroupID CustomerGroupName CustomerGroupNetvisorKey CustomerName
CustomerNetvisorKey Customerlist Customers Date Debet DefaultDomesticAccountNumber
DefaultEuAccountNumber DefaultOutsideEUAccountNumber DefaultPaymentTerm
DefaultTextAfterInvoiceLines DefaultTextBeforeInvoiceLines DefaultVatPercent DefaultVoucherTypes
DeleteDate DeletedPurchaseInvoice DeletedPurchaseInvoices DeletedPurchaseOrder
DeletedPurchaseOrders DeletedPurchasePayment DeletedPurchasePayments DeletedSalesInvoice
DeletedSalesInvoices DeletedSalesOrder DeletedSalesOrders DeletedSalesPayment
DeletedSalesPayments DeletedVoucher DeletedVouchers DeliveredAmount DeliveryAddressCountryCode
DeliveryAddressLine DeliveryAddressName DeliveryAddressPostnumber DeliveryAddressTown
DeliveryCity DeliveryCountry DeliveryDate DeliveryMethod DeliveryName DeliveryOfficeIdentifier
DeliveryPostNumber DeliveryStreetAddress DeliveryTerm Description Dimension DimensionDetail
DimensionDetailName DimensionDetailNetvisorKey DimensionDetails DimensionItem DimensionName
DimensionNameList DimensionNameNetvisorKey DiscountDays DiscountPercent DiscountPercentage
Editor Email EmailInvoicingAddress EndDate EndSort EuStandardFinvoice ExternalIdentifier
FatherID FatherNetvisorKey FaxNumber Fingerprint FinvoiceAddress FinvoiceRouterCode
ForeignCurrencyAmount ForeignCurrencyNameID ForeignCurrencySum ForeignName FreightRate
GroupName HandlingHistory HomeCurrencySum HomePage HomePageUri IBAN InCollectionProhibition
InternalIdentifier Inventory InventoryAmount InventoryMidPrice InventoryOrderedAmount
InventoryPlace InventoryReservedAmount InventoryValue InvoiceCurrencySum InvoiceDate
InvoiceDueDate InvoiceImage InvoiceKey InvoiceLine InvoiceLines InvoiceNumber InvoiceStatus
InvoiceSum InvoiceURI InvoiceVoucher InvoicingCustomerAdditionalAddressLine
InvoicingCustomerAddressline InvoicingCustomerCode InvoicingCustomerCountryCode
InvoicingCustomerName InvoicingCustomerNameExtension InvoicingCustomerNetvisorKey
InvoicingCustomerOrganizationIdentifier InvoicingCustomerPostnumber InvoicingCustomerTown
IsAccounted IsActive IsCumulative IsDefault IsHidden IsNaturalNegative
IsPartialVatReducedPrivileged IsPrivateCustomer IsPurchaseInvoiceVendorBankAccountDeleted
IsPurchaseInvoiceVendorBankAccountFromSEPARegion IsSalesProduct Kredit Label
LastModifiedTimestamp Level LineNetSum LineSum LinkType LinkedPurchaseInvoiceLines
LinkedPurchaseInvoices LinkedPurchaseOrders LinkedSourceNetvisorKey
MatchPartialPaymentsByDefault Name NameExtension NetDays NetvisorKey Number OpenCurrencySum
OpenSum OrderDate OrderNumber OrderStatus OrderedAmount OrganisationIdentifier OrganizationId
OrganizationUnitNumber OtherSystemGeneratedVouchers OurReference PayerName Payment
PaymentAccountName PaymentAccountNumber PaymentList PaymentSource PaymentTerm
PaymentTermCashDiscount PaymentTermCashDiscountDays PaymentTermList PaymentTermNetDays Payments
Period PeriodLockInformation PhoneNumber PostCode PostNumber PostingLinesAccess PreviewImage
PrivateComment Product ProductBaseInformation ProductBookkeepingDetails ProductCode ProductGroup
ProductGroupDescription ProductGroupID ProductInventoryDetails ProductList ProductName
ProductNetvisorKey ProductPrimaryEanCode ProductPurchasePrice ProductSecondaryEanCode
ProductUnitPrice ProductVatPercentage Products ProvisionPercentage PurchaseDomesticDefault
PurchaseEUDefault PurchaseInvoice PurchaseInvoiceAccrual PurchaseInvoiceAgreementIdentifier
PurchaseInvoiceAmount PurchaseInvoiceDate PurchaseInvoiceDeliveryDate PurchaseInvoiceDescription
PurchaseInvoiceDueDate PurchaseInvoiceEventDate PurchaseInvoiceLine
PurchaseInvoiceLineDimensions PurchaseInvoiceList PurchaseInvoiceNetvisorKey
PurchaseInvoiceNumber PurchaseInvoiceOurReference PurchaseInvoicePaidAmount
PurchaseInvoicePayments PurchaseInvoiceReferencenumber PurchaseInvoiceValueDate
PurchaseInvoiceVendorBankAccountNumber PurchaseInvoiceYourReference PurchaseInvoices
PurchaseLockDate PurchaseOrder PurchaseOrderCommentLine PurchaseOrderLines PurchaseOrderList
PurchaseOrderProductDeliveryGroup PurchaseOrderProductLine PurchaseOrders
PurchaseOutsideEUDefault PurchasePrice PurchaseVATReceivable PurchasesDiscounts
PurchasesExchangeRateDifferences Reference ReferenceNumber ResponseStatus Root
RoundingOffDifference SalesDiscount SalesDomesticDefault SalesEUDefault
SalesExchangeRateDifferences SalesInvoice SalesInvoiceAccrual SalesInvoiceAgreementIdentifier
SalesInvoiceAmount SalesInvoiceCollectionCost SalesInvoiceCommentLine SalesInvoiceDate
SalesInvoiceDeliveryDate SalesInvoiceDueDate SalesInvoiceEventDate
SalesInvoiceFreeTextAfterLines SalesInvoiceFreeTextBeforeLines SalesInvoiceList
SalesInvoiceNetvisorKey SalesInvoiceNumber SalesInvoiceOurReference SalesInvoicePayments
SalesInvoicePrivateComment SalesInvoiceProductLine SalesInvoiceProductLineDiscountPercentage
SalesInvoiceProductLineFreeText SalesInvoiceProductLineQuantity SalesInvoiceProductLineSum
SalesInvoiceProductLineUnit SalesInvoiceProductLineVatSum SalesInvoiceReferencenumber
SalesInvoiceValueDate SalesInvoiceYourReference SalesInvoices SalesOutsideEUDefault
SalesPayment SalesPaymentList SalesPerson SalesPersonnelList SalesReceivables SalesVATDebt
SellerIdentifier Sort Status StreetAddress Sum TariffHeading TaxAccount TaxHandlingClause
TaxHandlingType TimeStamp TradePayables Transaction TransactionAllocation
TransactionAllocations TransactionFollowUpStatus TransactionHistory Unit UnitGrossPrice
UnitPrice UnitWeight Uri UseCreditorReferenceNumber VATpayable VatCode VatPercent
VatPeriodLockDate Vendor VendorAcceptanceDetails VendorAccountingAccount VendorAccountingAccounts
VendorAdditionalInformation VendorAddressline VendorBankAccountNumber VendorBankAccounts
VendorBaseInformation VendorCode VendorContactDetails VendorCountry VendorDimensions
VendorDomesticBankAccount VendorDomesticBankAccounts VendorForeignBankAccount
VendorForeignBankAccounts VendorName VendorNetvisorKey VendorOrganizationIdentifier
VendorPostnumber VendorProductCode VendorTown Vendors Voucher VoucherClass VoucherDate
VoucherDescription VoucherID VoucherKey VoucherLine VoucherLineNetvisorKey VoucherNetvisorKey
VoucherNetvisorURI VoucherNumber VoucherType VoucherTypeList VoucherTypes Vouchers
WaybillIdentifier YourDefaultReference FirstName LastName Email PhoneNumber
productidentifier
""".split()  # noqa: SIM905
ELEMENT_NAMES: dict[str, str] = {name.lower(): name for name in _ELEMENT_NAMES}

# Attribute names whose spelling is not the record's lower-cased key.
ATTRIBUTE_NAMES = {"iso_3166": "ISO-3166"}
# A group element's own attributes (record keys named by the attribute alone), with the
# spelling seen in the samples (`<Voucher Status="valid">`).
GROUP_ATTRIBUTES: dict[str, dict[str, str]] = {
    "voucher": {"status": "Status"},
    "voucherline": {"status": "status"},
    "transactionallocation": {"type": "type"},
}

# Booleans are spelled per field (reference section 3); everything else is 1/0.
BOOL_TRUE_FALSE = frozenset(
    {
        "ishidden",
        "ispurchaseinvoicevendorbankaccountdeleted",
        "ispurchaseinvoicevendorbankaccountfromseparegion",
        "isaccounted",
        "ispartialvatreducedprivileged",
    }
)
BOOL_YES_NO = frozenset({"matchpartialpaymentsbydefault"})
# Dates written ISO with format="ansi" (invoices and orders); the period and lock dates carry
# format="ansi" too but are written d.M.yyyy (sample AccountingPeriodList); all other dates
# (VoucherDate, payment Date) are plain d.M.yyyy.
DATE_ISO_ANSI = frozenset(
    {
        "invoicedate",
        "invoiceduedate",
        "salesinvoicedate",
        "salesinvoiceeventdate",
        "salesinvoicevaluedate",
        "salesinvoicedeliverydate",
        "salesinvoiceduedate",
        "purchaseinvoicedate",
        "purchaseinvoiceeventdate",
        "purchaseinvoicedeliverydate",
        "purchaseinvoiceduedate",
        "purchaseinvoicevaluedate",
        "orderdate",
        "deliverydate",
    }
)
DATE_FINNISH_ANSI = frozenset(
    {"begindate", "enddate", "accountingperiodlockdate", "vatperiodlockdate", "purchaselockdate"}
)
# Datetime leaves: (strftime pattern, carries format="ansi").
DATETIME_FORMATS = {
    "deletedate": ("%Y-%m-%d %H:%M", True),
    "timestamp": ("%Y-%m-%d %H:%M:%S", True),
}
# The sales-invoice detail sample writes its amount with a decimal point (`244.12`) while
# every other decimal uses a comma; reproduced so clients stay tolerant of both.
DECIMAL_POINT_KEYS = frozenset({"salesinvoiceamount"})


@dataclass(frozen=True)
class Style:
    """Per-resource quirks on top of the global tables."""

    names: Mapping[str, str] = field(default_factory=dict)
    bool_true_false: frozenset[str] = frozenset()
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def element(self, key: str) -> str:
        name = self._cache.get(key)
        if name is None:
            name = self.names.get(key) or ELEMENT_NAMES.get(key) or (key[:1].upper() + key[1:])
            self._cache[key] = name
        return name


DEFAULT_STYLE = Style()


# --- leaf formatting ------------------------------------------------------------------------


def _fmt_decimal(value: Decimal, key: str) -> str:
    text = format(value, "f")
    if key in DECIMAL_POINT_KEYS and not _comma_anyway(value):
        return text
    return text.replace(".", ",")


def _comma_anyway(value: Decimal) -> bool:
    # Real salesinvoicelist responses spell SalesInvoiceAmount both ways ("244.12" and
    # "1234,50"); about half of the amounts (by their last cent) get the comma here.
    return value.is_finite() and int(value.scaleb(2)) % 2 == 1


def _helsinki(value: dt.datetime) -> dt.datetime:
    return value.astimezone(HELSINKI) if value.tzinfo else value.replace(tzinfo=HELSINKI)


def finnish_datetime(value: dt.datetime) -> str:
    """`d.M.yyyy H:mm:ss`, Netvisor's TimeStamp/LastModifiedTimestamp spelling."""
    value = _helsinki(value)
    clock = f"{value.hour}:{value.minute:02d}:{value.second:02d}"
    return f"{value.day}.{value.month}.{value.year} {clock}"


def format_leaf(key: str, value: Any, style: Style = DEFAULT_STYLE) -> tuple[str, bool]:
    """(text, carries format="ansi") for a leaf value under record key `key`."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        if key in BOOL_YES_NO:
            return ("Yes" if value else "No"), False
        if key in BOOL_TRUE_FALSE or key in style.bool_true_false:
            return ("True" if value else "False"), False
        return ("1" if value else "0"), False
    if isinstance(value, Decimal):
        return _fmt_decimal(value, key), False
    if isinstance(value, dt.datetime):
        pattern, ansi = DATETIME_FORMATS.get(key, (None, False))
        if pattern is None:
            return finnish_datetime(value), False
        return _helsinki(value).strftime(pattern), ansi
    if isinstance(value, dt.date):
        if key in DATE_ISO_ANSI:
            return value.isoformat(), True
        return f"{value.day}.{value.month}.{value.year}", key in DATE_FINNISH_ANSI
    if isinstance(value, float):
        # Money is Decimal everywhere; a float here is a generator bug worth seeing as text.
        return _fmt_decimal(Decimal(repr(value)), key), False
    return str(value), False


def format_attribute(key: str, value: Any) -> str:
    """Attribute values: dates ISO, decimals with a comma, booleans 1/0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return _fmt_decimal(value, key)
    if isinstance(value, dt.datetime):
        return _helsinki(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- parsing back (the fields.py rules) ------------------------------------------------------

_TRUE = frozenset({"1", "true", "yes", "kyllä", "ja"})
_FALSE = frozenset({"0", "false", "no", "ei", "nej"})


def _parse_date(text: str) -> dt.date:
    if "-" in text:
        return dt.date.fromisoformat(text[:10])
    day, month, year = text.split(".")
    return dt.date(int(year), int(month), int(day))


def _parse_datetime(text: str) -> dt.datetime:
    date_part, _, time_part = text.partition(" ")
    day = _parse_date(date_part)
    pieces = [int(p) for p in time_part.split(":")] if time_part else [0, 0]
    while len(pieces) < 3:
        pieces.append(0)
    return dt.datetime(day.year, day.month, day.day, *pieces[:3], tzinfo=HELSINKI)


def parse_leaf(key: str, text: str) -> Any:
    """What a fields.py parser makes of element text under record key `key`."""
    text = text.strip()
    if not text:
        return None
    kind = field_type(key)
    try:
        if kind == "int":
            return int(text)
        if kind == "decimal":
            return Decimal(text.replace(",", "."))
        if kind == "date":
            return _parse_date(text)
        if kind == "datetime":
            return _parse_datetime(text)
        if kind == "bool":
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
    except (ValueError, InvalidOperation):
        pass
    return text


# --- structure ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """How one dict node renders: own attributes, then children with their leaf attributes."""

    attributes: tuple[tuple[str, str], ...]  # (record key, XML attribute name)
    children: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (key, ((attr key, name),))


@lru_cache(maxsize=4096)
def _shape(node_key: str, keys: tuple[str, ...]) -> _Shape:
    own = GROUP_ATTRIBUTES.get(node_key, {})
    present = set(keys)
    attributes = tuple((k, own[k]) for k in keys if k in own)
    leaf_attrs: dict[str, list[tuple[str, str]]] = {}
    children: list[str] = []
    for key in keys:
        if key.startswith("_") or key in own:
            continue
        element, sep, attr = key.partition("_")
        if sep and element in present:
            name = ATTRIBUTE_NAMES.get(attr, attr)
            leaf_attrs.setdefault(element, []).append((key, name))
            continue
        children.append(key)
    return _Shape(
        attributes=attributes,
        children=tuple((c, tuple(leaf_attrs.get(c, ()))) for c in children),
    )


def shape_of(node_key: str, node: Mapping[str, Any]) -> _Shape:
    return _shape(node_key, tuple(node))


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attr(text: str) -> str:
    text = _escape(text)
    return text.replace('"', "&quot;") if '"' in text else text


def _is_leaf_with_attrs(value: Any) -> bool:
    return isinstance(value, Mapping) and "value" in value


def render_element(
    out: list[str], key: str, value: Any, depth: int, style: Style = DEFAULT_STYLE
) -> None:
    """Append the lines of element `key` holding `value` (leaf, group or list) to `out`."""
    if isinstance(value, list):
        for item in value:
            render_element(out, key, item, depth, style)
        return
    pad = INDENT * depth
    name = style.element(key)
    if _is_leaf_with_attrs(value):
        attrs = "".join(
            f' {ATTRIBUTE_NAMES.get(k, k)}="{_escape_attr(format_attribute(k, v))}"'
            for k, v in value.items()
            if k != "value" and not k.startswith("_")
        )
        _render_leaf(out, pad, name, key, value["value"], attrs, style)
        return
    if isinstance(value, Mapping):
        _render_group(out, key, value, depth, style)
        return
    _render_leaf(out, pad, name, key, value, "", style)


def _render_leaf(
    out: list[str], pad: str, name: str, key: str, value: Any, attrs: str, style: Style
) -> None:
    text, ansi = format_leaf(key, value, style)
    if ansi:
        attrs = ' format="ansi"' + attrs
    if text:
        out.append(f"{pad}<{name}{attrs}>{_escape(text)}</{name}>")
    else:
        out.append(f"{pad}<{name}{attrs}/>")


_PADS = [INDENT * depth for depth in range(64)]


def _render_group(
    out: list[str], key: str, node: Mapping[str, Any], depth: int, style: Style
) -> None:
    pad = _PADS[depth]
    name = style.element(key)
    shape = shape_of(key, node)
    attrs = "".join(
        f' {xml_name}="{_escape_attr(format_attribute(k, node[k]))}"'
        for k, xml_name in shape.attributes
        if node[k] is not None
    )
    start = len(out)
    out.append(f"{pad}<{name}{attrs}>")
    inner = depth + 1
    inner_pad = _PADS[inner]
    element = style.element
    for child, leaf_attrs in shape.children:
        value = node[child]
        kind = type(value)
        if kind is list:
            for item in value:
                if type(item) is dict and "value" not in item:
                    _render_group(out, child, item, inner, style)
                else:
                    render_element(out, child, item, inner, style)
            continue
        if kind is dict:
            render_element(out, child, value, inner, style)
            continue
        extra = ""
        if leaf_attrs:
            extra = "".join(
                f' {xml_name}="{_escape_attr(format_attribute(k, node[k]))}"'
                for k, xml_name in leaf_attrs
                if node[k] is not None
            )
        # Fast paths for the common scalar types; everything else via format_leaf.
        if kind is str:
            text = value
        elif value is None:
            out.append(f"{inner_pad}<{element(child)}{extra}/>")
            continue
        elif kind is int:
            text = str(value)
        elif kind is Decimal and child not in DECIMAL_POINT_KEYS:
            text = format(value, "f").replace(".", ",")
        else:
            _render_leaf(out, inner_pad, element(child), child, value, extra, style)
            continue
        tag = element(child)
        if text:
            out.append(f"{inner_pad}<{tag}{extra}>{_escape(text)}</{tag}>")
        else:
            out.append(f"{inner_pad}<{tag}{extra}/>")
    if len(out) == start + 1:
        out[start] = f"{pad}<{name}{attrs}/>"
    else:
        out.append(f"{pad}</{name}>")


# --- expected parse result (ground truth) ----------------------------------------------------
#
# The ground truth walks the same shapes the renderer writes and applies the client parser's
# rules (`netvisor_assets.netvisor.xml.element_to_record`): a group's attributes become keys,
# children declared in REPEATED start as [] and collect every non-empty occurrence (leaf with
# attributes -> {"value", attr...}), other children keep one value or become a list when they
# repeat, a leaf's attributes become `<child>_<attr>` keys, `format` is ignored.


@dataclass(frozen=True)
class _Occurrence:
    key: str
    group: Mapping[str, Any] | None  # a node rendered with child elements
    text: str = ""
    attributes: tuple[tuple[str, str], ...] = ()  # (normalised attribute name, raw value)

    @property
    def empty(self) -> bool:
        return self.group is None and not self.text.strip() and not self.attributes


_REPEATED_BY_PARENT: dict[str, tuple[str, ...]] = {}
for _parent, _child in sorted(REPEATED):
    _REPEATED_BY_PARENT[_parent] = (*_REPEATED_BY_PARENT.get(_parent, ()), _child)


def _renders_empty(key: str, node: Mapping[str, Any]) -> bool:
    shape = shape_of(key, node)
    return all(isinstance(node[c], list) and not node[c] for c, _ in shape.children)


def _own_attributes(key: str, node: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (k, format_attribute(k, node[k]))
        for k, _name in shape_of(key, node).attributes
        if node[k] is not None
    )


def _occurrences(node_key: str, node: Mapping[str, Any], style: Style) -> Iterator[_Occurrence]:
    for child, leaf_attrs in shape_of(node_key, node).children:
        value = node[child]
        for item in value if isinstance(value, list) else (value,):
            if _is_leaf_with_attrs(item):
                attrs = tuple(
                    (k, format_attribute(k, v))
                    for k, v in item.items()
                    if k != "value" and not k.startswith("_") and v is not None
                )
                yield _Occurrence(child, None, format_leaf(child, item["value"], style)[0], attrs)
            elif isinstance(item, Mapping):
                if _renders_empty(child, item):
                    yield _Occurrence(child, None, "", _own_attributes(child, item))
                else:
                    yield _Occurrence(child, item)
            else:
                attrs = ()
                if not isinstance(value, list):
                    attrs = tuple(
                        (k.partition("_")[2], format_attribute(k, node[k]))
                        for k, _name in leaf_attrs
                        if node[k] is not None
                    )
                yield _Occurrence(child, None, format_leaf(child, item, style)[0], attrs)


def _put(record: dict[str, Any], key: str, value: Any) -> None:
    if key in record:
        existing = record[key]
        if isinstance(existing, _Merged):
            existing.append(value)
        else:
            record[key] = _Merged([existing, value])
    else:
        record[key] = value


class _Merged(list):
    """A list made because a child not declared in REPEATED occurred more than once."""


def expected_record(key: str, node: Mapping[str, Any], style: Style = DEFAULT_STYLE) -> dict:
    """The dict the client's parser produces from element `key` rendered from `node`."""
    record: dict[str, Any] = {}
    for name, raw in _own_attributes(key, node):
        record[name] = parse_leaf(name, raw)
    repeated = _REPEATED_BY_PARENT.get(key, ())
    for child in repeated:
        record[child] = []
    for occ in _occurrences(key, node, style):
        if occ.key in repeated:
            if occ.group is not None:
                record[occ.key].append(expected_record(occ.key, occ.group, style))
            elif not occ.empty:
                value = parse_leaf(occ.key, occ.text)
                attrs = {a: parse_leaf(f"{occ.key}_{a}", raw) for a, raw in occ.attributes}
                record[occ.key].append({"value": value, **attrs} if attrs else value)
            continue
        if occ.group is not None:
            _put(record, occ.key, expected_record(occ.key, occ.group, style))
            continue
        _put(record, occ.key, parse_leaf(occ.key, occ.text))
        for a, raw in occ.attributes:
            _put(record, f"{occ.key}_{a}", parse_leaf(f"{occ.key}_{a}", raw))
    return _plain(record)


def _plain(value: Any) -> Any:
    if isinstance(value, _Merged):
        return list(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# --- documents ------------------------------------------------------------------------------


@dataclass
class Records:
    """A stream of records rendered as repeated `item` elements inside their wrapper."""

    item: str
    records: Iterable[Mapping[str, Any]]


@dataclass
class Wrapper:
    """An element holding parts; rendered self-closing when nothing is inside (`<ProductList/>`)."""

    key: str
    parts: list[Any]


@dataclass
class Element:
    """A fixed element: a record as the root (`<Customer>`), a group, or an empty entity."""

    key: str
    value: Any
    # Not-found entities differ per resource: `<Product></Product>` vs `<SalesInvoice/>`.
    explicit_empty: bool = False


@dataclass
class Raw:
    """Pre-rendered lines (accountbalance's attribute-keyed tree)."""

    lines: Iterable[str]


def timestamp_now(now: dt.datetime | None = None) -> str:
    """ResponseStatus TimeStamp: Helsinki wall clock, `d.M.yyyy H:mm:ss`.

    OK documents carry the simulated company's clock (`Company.now`): it is the server's clock
    of this simulated Netvisor, which clients may use for change cursors, and it moves with
    `advance()`. Without one, real time.
    """
    return finnish_datetime(now or dt.datetime.now(HELSINKI))


def _head(status_lines: list[str], now: dt.datetime | None = None) -> list[str]:
    return [
        XML_DECLARATION,
        "<Root>",
        f"{INDENT}<ResponseStatus>",
        *status_lines,
        f"{INDENT * 2}<TimeStamp>{timestamp_now(now)}</TimeStamp>",
        f"{INDENT}</ResponseStatus>",
    ]


def error_document(code: str, message: str) -> bytes:
    """The FAILED envelope of reference section 1.4: two Status elements."""
    pad = INDENT * 2
    status = _escape(f"{code} :: {message}")
    lines = _head([f"{pad}<Status>FAILED</Status>", f"{pad}<Status>{status}</Status>"])
    lines.append("</Root>")
    return (NL.join(lines) + NL).encode("utf-8")


def _parts_lines(parts: Iterable[Any], depth: int, style: Style) -> Iterator[str]:
    for part in parts:
        if isinstance(part, Records):
            for record in part.records:
                out: list[str] = []
                _render_group(out, part.item, record, depth, style)
                yield from out
        elif isinstance(part, Wrapper):
            name = style.element(part.key)
            pad = INDENT * depth
            inner = _parts_lines(part.parts, depth + 1, style)
            first = next(inner, None)
            if first is None:
                yield f"{pad}<{name}/>"
                continue
            yield f"{pad}<{name}>"
            yield first
            yield from inner
            yield f"{pad}</{name}>"
        elif isinstance(part, Element):
            if part.explicit_empty and not part.value:
                name = style.element(part.key)
                yield f"{INDENT * depth}<{name}></{name}>"
                continue
            out = []
            if isinstance(part.value, Mapping) and not part.value:
                out.append(f"{INDENT * depth}<{style.element(part.key)}/>")
            else:
                render_element(out, part.key, part.value, depth, style)
            yield from out
        elif isinstance(part, Raw):
            yield from part.lines
        else:  # pragma: no cover - programming error
            raise TypeError(f"unknown document part {part!r}")


def document_lines(
    parts: list[Any], style: Style = DEFAULT_STYLE, now: dt.datetime | None = None
) -> Iterator[str]:
    """All lines of an OK document with `parts` after ResponseStatus."""
    yield from _head([f"{INDENT * 2}<Status>OK</Status>"], now)
    yield from _parts_lines(parts, 1, style)
    yield "</Root>"


def stream_document(
    parts: list[Any], style: Style = DEFAULT_STYLE, now: dt.datetime | None = None
) -> Iterator[bytes]:
    """The OK document as UTF-8 byte chunks of about CHUNK_SIZE."""
    buffer: list[str] = []
    size = 0
    for line in document_lines(parts, style, now):
        buffer.append(line)
        size += len(line) + 2
        if size >= CHUNK_SIZE:
            buffer.append("")
            yield NL.join(buffer).encode("utf-8")
            buffer = []
            size = 0
    buffer.append("")
    yield NL.join(buffer).encode("utf-8")
