"""The record format shared by the client's parser and the simulator's ground truth.

Netvisor's XML is inconsistent in element casing (`NetvisorKey`, `Netvisorkey`,
`productidentifier`), in value formats (decimal comma or point, three date formats, four
boolean spellings) and in one-vs-many (a wrapper with one child looks like a scalar). A record
is a plain dict that removes all of that:

- keys are element local names lower-cased (`NetvisorKey` and `Netvisorkey` -> `netvisorkey`);
- a leaf element becomes a typed value: `int`, `decimal.Decimal`, `datetime.date`,
  `datetime.datetime` (timezone-aware, Europe/Helsinki), `bool` or `str`; an empty element
  (`<CustomerCode/>`) becomes None. The type comes from the table registry by key (`field_type`);
  unknown keys are kept as stripped strings, so every field the API gives survives;
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
from functools import lru_cache
from typing import Literal

FieldType = Literal["int", "decimal", "date", "datetime", "bool", "str"]

_ATTR_CLEAN = re.compile(r"[^a-z0-9]+")

# Attributes that describe a value's formatting rather than data.
IGNORED_ATTRIBUTES = frozenset({"format"})


# Memoised: the parser asks for every element of every response, and a body spells few names.
# Bounded, since the names come from the network.
@lru_cache(maxsize=4096)
def normalise_name(name: str) -> str:
    """Record key for an element or attribute name (namespace dropped, lower case)."""
    local = name.rsplit("}", 1)[-1]
    return _ATTR_CLEAN.sub("_", local.lower()).strip("_")


def field_type(key: str) -> FieldType:
    """Type of a record key as the table registry declares it; unknown keys are strings.

    The registry (`netvisor_assets.tables.FIELD_TYPES`: every column's type, plus the fields a
    source declares that no column reads) is the one place a type is declared; the parser and
    the simulator both read it here. Loaded on first use, since the registry itself builds on
    this package.
    """
    global _TYPES
    if _TYPES is None:
        from netvisor_assets.tables import FIELD_TYPES

        _TYPES = FIELD_TYPES
    return _TYPES.get(key, "str")


_TYPES: dict[str, FieldType] | None = None

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
