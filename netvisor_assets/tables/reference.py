"""Reference tables Netvisor offers no change filter for: replaced whole on every sync."""

from __future__ import annotations

from typing import Any

from netvisor_assets.netvisor.endpoints import Endpoint, Resource
from netvisor_assets.tables.columns import as_list, c, computed, row
from netvisor_assets.tables.schema import SyncMode, Table
from netvisor_assets.tables.source import Records, Rows, Source, table_source

ACCOUNTS = Table(
    name="accounts",
    description="Chart of accounts (accountlist.nv): accounts and account groups as a tree.",
    primary_key=("account_key",),
    mode=SyncMode.FULL_REFRESH,
    columns=(
        c("NetvisorKey", "account_key", "Netvisor key of the account or group.", type="INT64"),
        c("Number", "account_number", "Account number (empty for groups)."),
        c("Name", "name", "Account name."),
        c("ForeignName", "foreign_names", "Names in other languages as JSON.", type="STRING"),
        c("AccountType", "account_type", "account or accountgroup."),
        c("FatherNetvisorKey", "parent_key", "Parent group's key (0 = root).", type="INT64"),
        c("IsActive", "is_active", "Whether the account is in use.", type="BOOL"),
        c(
            "IsCumulative",
            "is_cumulative",
            "Balance-sheet style (balance carried forward).",
            type="BOOL",
        ),
        c("Sort", "sort", "Sort position.", type="INT64"),
        c("EndSort", "end_sort", "Sort position of the group's end.", type="INT64"),
        c("IsNaturalNegative", "is_natural_negative", "Credit-natured account.", type="BOOL"),
    ),
)

DIMENSIONS = Table(
    name="dimensions",
    description="Dimension items with their dimension (dimensionlist.nv, hidden ones included).",
    primary_key=("dimension_item_key",),
    mode=SyncMode.FULL_REFRESH,
    columns=(
        computed("dimension_key", "INT64", "Netvisor key of the dimension."),
        computed("dimension_name", "STRING", "Dimension, e.g. 'Kustannuspaikka'."),
        computed("dimension_is_hidden", "BOOL", "Whether the dimension is hidden."),
        computed("dimension_link_type", "INT64", "Dimension link type."),
        c("Netvisorkey", "dimension_item_key", "Netvisor key of the item.", type="INT64"),
        c("Name", "item_name", "Item name (code and label when a code exists)."),
        c("Code", "item_code", "Item code."),
        c("Label", "item_label", "Item label."),
        c("IsHidden", "item_is_hidden", "Whether the item is hidden.", type="BOOL"),
        c("Level", "level", "Depth in the item tree, from 1.", type="INT64"),
        c("Sort", "sort", "Sort position.", type="INT64"),
        c("EndSort", "end_sort", "Sort position of the subtree's end.", type="INT64"),
        c("FatherID", "parent_item_key", "Parent item (0 = top).", type="INT64"),
        c("ActivityPeriodStart", "active_from", "First day the item can be used.", type="DATE"),
        c("ActivityPeriodEnd", "active_until", "Last day the item can be used.", type="DATE"),
    ),
)


def _dimension_rows(records: Records) -> Rows:
    rows: list[dict[str, Any]] = []
    for dimension in records:
        head = {
            "dimension_key": dimension.get("netvisorkey"),
            "dimension_name": dimension.get("name"),
            "dimension_is_hidden": dimension.get("ishidden"),
            "dimension_link_type": dimension.get("linktype"),
        }
        details = dimension.get("dimensiondetails") or {}
        for item in as_list(details.get("dimensiondetail")):
            rows.append(row(item, DIMENSIONS.columns, **head))
    return {DIMENSIONS.name: rows}


ACCOUNTING_PERIODS = Table(
    name="accounting_periods",
    description="Accounting periods (financial years) from accountingperiodlist.nv.",
    primary_key=("period_key",),
    mode=SyncMode.FULL_REFRESH,
    columns=(
        c("NetvisorKey", "period_key", "Netvisor key of the period.", type="INT64"),
        c("Name", "name", "Period name."),
        c("BeginDate", "begin_date", "First day.", type="DATE"),
        c("EndDate", "end_date", "Last day.", type="DATE"),
        # The company's locks, repeated on every period row (accountingperiodlist.nv gives one
        # set per company): nothing dated on or before them may change any more.
        c(
            "Locks/AccountingPeriodLockDate",
            "accounting_period_lock_date",
            "Bookkeeping is locked up to and including this day.",
            type="DATE",
        ),
        c(
            "Locks/VatPeriodLockDate",
            "vat_period_lock_date",
            "VAT periods are locked (filed) up to and including this day.",
            type="DATE",
        ),
        c(
            "Locks/PurchaseLockDate",
            "purchase_lock_date",
            "Purchase invoices are locked up to and including this day.",
            type="DATE",
        ),
    ),
)

DEFAULT_ACCOUNTS = Table(
    name="default_accounts",
    description=(
        "The company's default accounts (accountlist.nv CompanyDefaultAccounts): which account "
        "is trade receivables, trade payables, sales VAT, purchase VAT, ... One row per role."
    ),
    primary_key=("role",),
    mode=SyncMode.FULL_REFRESH,
    columns=(
        c(
            "Role",
            "role",
            "Default role as Netvisor names it, lower case: salesreceivables, tradepayables, "
            "salesvatdebt, purchasevatreceivable, ...",
            type="STRING",
        ),
        c("AccountNumber", "account_number", "Account number in the role.", type="STRING"),
    ),
)

VOUCHER_TYPES = Table(
    name="voucher_types",
    description="Voucher types (vouchertypelist.nv).",
    primary_key=("voucher_type_key",),
    mode=SyncMode.FULL_REFRESH,
    columns=(
        c("NetvisorKey", "voucher_type_key", "Netvisor key of the voucher type.", type="INT64"),
        c("Abbreviation", "abbreviation", "Abbreviation, e.g. MY."),
        c("Name", "name", "Name."),
        c("ForeignName", "foreign_names", "Names in other languages as JSON.", type="STRING"),
    ),
)

PAYMENT_TERMS = Table(
    name="payment_terms",
    description="Payment terms (paymenttermlist.nv).",
    primary_key=("payment_term_key",),
    mode=SyncMode.FULL_REFRESH,
    columns=(
        c("NetvisorKey", "payment_term_key", "Netvisor key of the payment term.", type="INT64"),
        c("Name", "name", "Name."),
        c("Description", "description", "Description."),
        c("NetDays", "net_days", "Days to pay net.", type="INT64"),
        c(
            "DiscountDays",
            "discount_days",
            "Days within which the cash discount applies.",
            type="INT64",
        ),
        c("DiscountPercent", "discount_percent", "Cash discount percent.", type="NUMERIC"),
        c("IsDefault", "is_default", "Whether it is the default term.", type="BOOL"),
    ),
)

SALES_PERSONNEL = Table(
    name="sales_personnel",
    description=(
        "Sales people (salespersonnellist.nv): who an invoice's seller identifier can name."
    ),
    primary_key=("sales_person_key",),
    mode=SyncMode.FULL_REFRESH,
    columns=(
        c("NetvisorKey", "sales_person_key", "Netvisor key of the sales person.", type="INT64"),
        c("FirstName", "first_name", "First name.", personal=True),
        c("LastName", "last_name", "Last name.", personal=True),
        c("Email", "email", "Work e-mail address.", personal=True),
    ),
)


ACCOUNT_ENDPOINT = Endpoint(
    list=Resource("accountlist.nv", (("accountlist", "accounts", "account"),))
)
DIMENSION_ENDPOINT = Endpoint(
    list=Resource(
        "dimensionlist.nv", (("dimensionnamelist", "dimensionname"),), fixed=(("showhidden", 1),)
    )
)
# One record per role, so a role Netvisor adds becomes a row, never a dropped field.
DEFAULT_ACCOUNT_ENDPOINT = Endpoint(
    list=Resource(
        "accountlist.nv",
        (),
        pairs_at=("accountlist", "companydefaultaccounts"),
        pair_names=("role", "accountnumber"),
    )
)
# One client nests the periods inside PeriodLockInformation, so both places are read; the
# company's lock dates, from the same response, go with every period.
PERIOD_ENDPOINT = Endpoint(
    list=Resource(
        "accountingperiodlist.nv",
        (
            ("accountingperiodlist", "period"),
            ("accountingperiodlist", "periodlockinformation", "period"),
        ),
        attach_at=("accountingperiodlist", "periodlockinformation"),
        attach_as="locks",
    )
)
# The element names are undocumented: `SalesPerson` is assumed, `SalesPersonnel` accepted too.
SALES_PERSONNEL_ENDPOINT = Endpoint(
    list=Resource(
        "salespersonnellist.nv",
        (("salespersonnellist", "salesperson"), ("salespersonnellist", "salespersonnel")),
    )
)
VOUCHER_TYPE_ENDPOINT = Endpoint(
    list=Resource("vouchertypelist.nv", (("vouchertypelist", "vouchertypes", "vouchertype"),))
)
PAYMENT_TERM_ENDPOINT = Endpoint(
    list=Resource("paymenttermlist.nv", (("paymenttermlist", "paymentterm"),))
)


ACCOUNT_SOURCE = table_source(ACCOUNTS, "Chart of accounts.", ACCOUNT_ENDPOINT)
DIMENSION_SOURCE = Source(
    "dimensions",
    "Dimensions.",
    (DIMENSIONS,),
    _dimension_rows,
    endpoint=DIMENSION_ENDPOINT,
    extra_known_paths=frozenset(
        {"netvisorkey", "name", "ishidden", "linktype"}
        | {f"dimensiondetails.dimensiondetail.{c.source}" for c in DIMENSIONS.columns if c.source}
    ),
    field_types={
        "linktype": "int",
    },
)
DEFAULT_ACCOUNT_SOURCE = table_source(
    DEFAULT_ACCOUNTS,
    "The company's default accounts (receivables, payables, VAT, ...).",
    DEFAULT_ACCOUNT_ENDPOINT,
)
PERIOD_SOURCE = table_source(ACCOUNTING_PERIODS, "Accounting periods.", PERIOD_ENDPOINT)
VOUCHER_TYPE_SOURCE = table_source(VOUCHER_TYPES, "Voucher types.", VOUCHER_TYPE_ENDPOINT)
PAYMENT_TERM_SOURCE = table_source(PAYMENT_TERMS, "Payment terms.", PAYMENT_TERM_ENDPOINT)

SALES_PERSONNEL_SOURCE = table_source(SALES_PERSONNEL, "Sales people.", SALES_PERSONNEL_ENDPOINT)

# The family's sources in sync order: `netvisor_assets.tables` collects every family's.
SOURCES = (
    ACCOUNT_SOURCE,
    DEFAULT_ACCOUNT_SOURCE,
    DIMENSION_SOURCE,
    PERIOD_SOURCE,
    VOUCHER_TYPE_SOURCE,
    PAYMENT_TERM_SOURCE,
    SALES_PERSONNEL_SOURCE,
)
