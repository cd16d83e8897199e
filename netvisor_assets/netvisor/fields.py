"""The record format shared by the client's parser and the simulator's ground truth.

Netvisor's XML is inconsistent in element casing (`NetvisorKey`, `Netvisorkey`,
`productidentifier`), in value formats (decimal comma or point, three date formats, four
boolean spellings) and in one-vs-many (a wrapper with one child looks like a scalar). A record
is a plain dict that removes all of that:

- keys are element local names lower-cased (`NetvisorKey` and `Netvisorkey` -> `netvisorkey`);
- a leaf element becomes a typed value: `int`, `decimal.Decimal`, `datetime.date`,
  `datetime.datetime` (timezone-aware, Europe/Helsinki), `bool` or `str`; an empty element
  (`<CustomerCode/>`) becomes None. The type comes from `FIELD_TYPES` by key; unknown keys are
  kept as stripped strings, so every field the API gives survives;
- an attribute of a leaf becomes the key `<element>_<attribute>` (`InvoiceStatus status="open"`
  -> `invoicestatus_status`); attribute names are lower-cased with non-alphanumerics turned
  into `_` (`ISO-3166` -> `iso_3166`). `format="ansi"` only describes formatting and is dropped;
- an element with child elements becomes a nested dict; its own attributes become keys of that
  dict named by the attribute alone (`<Voucher status="valid">` -> `{"status": "valid", ...}`);
- a child listed in `REPEATED` under its parent is always a list, also with one or zero items.
  A repeated leaf with attributes (`ForeignName iso-3166="en"`) becomes a dict
  `{"value": ..., "<attribute>": ...}`; without attributes just its typed value.
Keys starting with `_` are never rendered to XML and never come from the API: the simulator
uses them for internal bookkeeping (change timestamps, deletion).
"""

from __future__ import annotations

import re
from typing import Literal

FieldType = Literal["int", "decimal", "date", "datetime", "bool", "str"]

_ATTR_CLEAN = re.compile(r"[^a-z0-9]+")

# Attributes that describe a value's formatting rather than data.
IGNORED_ATTRIBUTES = frozenset({"format"})


def normalise_name(name: str) -> str:
    """Record key for an element or attribute name (namespace dropped, lower case)."""
    local = name.rsplit("}", 1)[-1]
    return _ATTR_CLEAN.sub("_", local.lower()).strip("_")


def attribute_key(element_key: str, attribute: str, *, leaf: bool) -> str:
    """Record key of an attribute: `<element>_<attr>` on leaves, `<attr>` on groups."""
    attr = normalise_name(attribute)
    return f"{element_key}_{attr}" if leaf else attr


def field_type(key: str) -> FieldType:
    """Type of a record key; unknown keys are strings."""
    return FIELD_TYPES.get(key, "str")


_INT = [
    "netvisorkey",
    "salesinvoicenetvisorkey",
    "purchaseinvoicenetvisorkey",
    "customernetvisorkey",
    "customergroupnetvisorkey",
    "customergroupid",
    "productnetvisorkey",
    "vendornetvisorkey",
    "invoicingcustomernetvisorkey",
    "linkedsourcenetvisorkey",
    "fathernetvisorkey",
    "fatherid",
    "vouchernumber",
    "voucherkey",
    "invoicekey",
    "voucherid",
    "level",
    "sort",
    "endsort",
    "linktype",
    "netdays",
    "discountdays",
    "paymenttermnetdays",
    "paymenttermcashdiscountdays",
    "dimensionnamenetvisorkey",
    "dimensiondetailnetvisorkey",
    "accountingsuggestionbookkeepingaccountnetvisorkey",
    "vouchernetvisorkey",
    "voucherlinenetvisorkey",
    "paymentsource",
    "productgroupid",
    "creditedinvoicenetvisorkey",
    "invoicevoucher_netvisorkey",
    "accountdimension_netvisorkey",
    "taxhandlingclause_netvisorkey",
    "defaultpaymentterm",
]
_DECIMAL = [
    "linesum",
    "linenetsum",
    "vatpercent",
    "vatsum",
    "sum",
    "invoicesum",
    "opensum",
    "payments",
    "amount",
    "unitprice",
    "unitgrossprice",
    "purchaseprice",
    "inventoryamount",
    "inventorymidprice",
    "inventoryvalue",
    "inventoryreservedamount",
    "inventoryorderedamount",
    "salesinvoiceamount",
    "salesinvoiceamount_currencyrate",
    "foreigncurrencyamount",
    "salesinvoicecollectioncost",
    "productunitprice",
    "productpurchaseprice",
    "productvatpercentage",
    "salesinvoiceproductlinequantity",
    "salesinvoiceproductlinediscountpercentage",
    "salesinvoiceproductlinevatsum",
    "salesinvoiceproductlinesum",
    "provisionpercentage",
    "purchaseinvoiceamount",
    "purchaseinvoicepaidamount",
    "orderedamount",
    "deliveredamount",
    "discountpercentage",
    "debet",
    "kredit",
    "balance",
    "balancelimit",
    "discountpercent",
    "paymenttermcashdiscount",
    "homecurrencysum",
    "foreigncurrencysum",
    "defaultvatpercent",
    "unitweight",
    "comissionpercentage",
    "invoicecurrencysum",
    "opencurrencysum",
    "freightrate",
]
_DATE = [
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
    "voucherdate",
    "date",
    "begindate",
    "enddate",
    "accountingperiodlockdate",
    "vatperiodlockdate",
    "purchaselockdate",
    "orderdate",
    "deliverydate",
    "activityperiodstart",
    "activityperiodend",
]
_DATETIME = ["lastmodifiedtimestamp", "deletedate", "timestamp"]
_BOOL = [
    "isactive",
    "iscumulative",
    "isdefault",
    "ishidden",
    "isnaturalnegative",
    "isprivatecustomer",
    "issalesproduct",
    "isaccounted",
    "ispurchaseinvoicevendorbankaccountdeleted",
    "ispurchaseinvoicevendorbankaccountfromseparegion",
    "matchpartialpaymentsbydefault",
    "ispartialvatreducedprivileged",
    "usecreditorreferencenumber",
    "euStandardfinvoice",
    "incollectionprohibition",
    "isincollection",
    "invoicestatus_isincollection",
]

FIELD_TYPES: dict[str, FieldType] = {
    **{k: "int" for k in _INT},
    **{k: "decimal" for k in _DECIMAL},
    **{k: "date" for k in _DATE},
    **{k: "datetime" for k in _DATETIME},
    **{k.lower(): "bool" for k in _BOOL},
}

# (parent, child): the child is always a list under that parent.
REPEATED: frozenset[tuple[str, str]] = frozenset(
    {
        ("customerlist", "customer"),
        ("customers", "customer"),
        ("vendors", "vendor"),
        ("productlist", "product"),
        ("products", "product"),
        ("salesinvoicelist", "salesinvoice"),
        ("salesinvoices", "salesinvoice"),
        ("salesorders", "salesorder"),
        ("purchaseinvoicelist", "purchaseinvoice"),
        ("purchaseinvoices", "purchaseinvoice"),
        ("purchaseorderlist", "purchaseorder"),
        ("purchaseorders", "purchaseorder"),
        ("linkedpurchaseorders", "purchaseorder"),
        ("vouchers", "voucher"),
        ("voucher", "voucherline"),
        ("voucherline", "dimension"),
        ("transactionallocations", "transactionallocation"),
        ("transactionhistory", "transaction"),
        ("accounts", "account"),
        ("account", "foreignname"),
        ("accountbalances", "account"),
        ("account", "accountbalance"),
        ("accountingperiodlist", "period"),
        ("periodlockinformation", "period"),
        ("vouchertypes", "vouchertype"),
        ("vouchertype", "foreignname"),
        ("dimensionnamelist", "dimensionname"),
        ("dimensiondetails", "dimensiondetail"),
        ("paymenttermlist", "paymentterm"),
        ("salespaymentlist", "salespayment"),
        ("paymentlist", "payment"),
        ("invoiceline", "salesinvoiceproductline"),
        ("invoiceline", "salesinvoicecommentline"),
        ("salesinvoiceproductline", "dimension"),
        ("invoicelines", "purchaseinvoiceline"),
        ("purchaseinvoicelinedimensions", "dimension"),
        ("purchaseinvoiceline", "purchaseinvoicelinedimensions"),
        ("purchaseorderlines", "purchaseorderproductline"),
        ("purchaseorderlines", "purchaseordercommentline"),
        ("purchaseorderproductline", "dimension"),
        ("vendordomesticbankaccounts", "vendordomesticbankaccount"),
        ("vendorforeignbankaccounts", "vendorforeignbankaccount"),
        ("vendoraccountingaccounts", "vendoraccountingaccount"),
        ("vendordimensions", "dimension"),
        ("salespersonnellist", "salesperson"),
        ("deletedvouchers", "deletedvoucher"),
        ("deletedsalesinvoices", "deletedsalesinvoice"),
        ("deletedsalesorders", "deletedsalesorder"),
        ("deletedsalespayments", "deletedsalespayment"),
        ("deletedpurchaseinvoices", "deletedpurchaseinvoice"),
        ("deletedpurchaseorders", "deletedpurchaseorder"),
        ("deletedpurchasepayments", "deletedpurchasepayment"),
    }
)


def is_repeated(parent_key: str, child_key: str) -> bool:
    """Whether `child_key` under `parent_key` is always a list."""
    return (parent_key, child_key) in REPEATED
