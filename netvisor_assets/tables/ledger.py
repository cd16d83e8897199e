"""The general ledger: vouchers with their lines, and daily account balances."""

from __future__ import annotations

from netvisor_assets.netvisor.endpoints import (
    BALANCE_FIRST_WINDOW_DAYS,
    BALANCE_ROW_BUDGET,
    Endpoint,
    Paging,
    Resource,
)
from netvisor_assets.tables.columns import c, computed
from netvisor_assets.tables.schema import SyncMode, Table
from netvisor_assets.tables.source import (
    Rerun,
    document_source,
    table_source,
)

VOUCHER_STATUSES = ("valid", "invalidated")

VOUCHERS = Table(
    name="vouchers",
    description=(
        "Accounting vouchers (accountingledger.nv), valid and invalidated; the `status` column "
        "tells them apart. Deleted vouchers disappear on the next sync of their day."
    ),
    primary_key=("voucher_key",),
    mode=SyncMode.PARTITIONED,
    partition_column="voucher_date",
    columns=(
        c("NetvisorKey", "voucher_key", "Netvisor key of the voucher.", type="INT64"),
        c(
            "@status",
            "status",
            "valid or invalidated; empty in older responses, which means valid.",
            type="STRING",
            allowed=VOUCHER_STATUSES,
        ),
        c(
            "VoucherDate",
            "voucher_date",
            "Accounting date of the voucher (partition).",
            type="DATE",
        ),
        c(
            "VoucherNumber",
            "voucher_number",
            "Voucher number within its voucher class.",
            type="INT64",
        ),
        c("VoucherDescription", "voucher_description", "Free text of the voucher."),
        c("VoucherClass", "voucher_class", "Voucher type, e.g. 'MY Myyntilasku'."),
        c(
            "LinkedSourceNetvisorKey",
            "linked_source_key",
            "Key of the invoice it posts.",
            type="INT64",
        ),
        c("LinkedSourceNetvisorKey@type", "linked_source_type", "salesinvoice or purchaseinvoice."),
        c("VoucherNetvisorURI", "voucher_uri", "Link to the voucher in Netvisor."),
    ),
)
VOUCHER_LINES = Table(
    name="voucher_lines",
    description="Lines of accounting vouchers: one debit (+) or credit (-) posting each.",
    primary_key=("voucher_key", "line_position"),
    mode=SyncMode.PARTITIONED,
    partition_column="voucher_date",
    columns=(
        c(
            "NetvisorKey",
            "voucher_line_key",
            "Netvisor key of the voucher line (absent in older responses).",
            type="INT64",
        ),
        computed("voucher_key", "INT64", "Voucher the line belongs to."),
        computed("voucher_date", "DATE", "Accounting date of the voucher (partition)."),
        computed(
            "line_position", "INT64", "Position of the line within its voucher, from 1.", minimum=1
        ),
        c(
            "@status",
            "status",
            "Status of the line (its voucher's); empty in older responses: valid.",
            type="STRING",
            allowed=VOUCHER_STATUSES,
        ),
        c(
            "LineSum",
            "line_sum",
            "Signed amount in EUR: debit positive, credit negative.",
            type="NUMERIC",
        ),
        c("Description", "description", "Free text of the line."),
        c("AccountNumber", "account_number", "Account posted to."),
        c(
            "VatPercent",
            "vat_percent",
            "VAT rate of the posting.",
            minimum=0,
            maximum=100,
            type="NUMERIC",
        ),
        c("VatCode", "vat_code", "VAT code ('-' for none)."),
        c(
            "AccountDimension@netvisorkey",
            "account_dimension_key",
            "Account dimension key.",
            type="INT64",
        ),
        c(
            "Dimension",
            "dimensions",
            "Dimensions as JSON [{dimensionname, dimensionitem}].",
            type="STRING",
        ),
    ),
)


# accountingledger.nv: voucher dates inclusive, one calendar month per request (the ledger has
# no documented row cap or paging). `voucherstatus=1` returns valid, invalidated and deleted
# vouchers (Netvisor's default 2 hides the latter two, which a sync must see). With a key
# list Netvisor allows no other filter. The ledger has no key-only listing: whole vouchers
# are the cheapest answer, and `changedsince` returns them with their dates, one request on
# a quiet day.
_VOUCHER_PATHS = (("vouchers", "voucher"),)
VOUCHER_ENDPOINT = Endpoint(
    list=Resource(
        "accountingledger.nv",
        _VOUCHER_PATHS,
        fixed=(("voucherstatus", 1),),
        needs_filter=True,
        window=("startdate", "enddate"),
        modified=("lastmodifiedstart", "lastmodifiedend"),
        changed_since="changedsince",
    ),
    detail=Resource(
        "accountingledger.nv", _VOUCHER_PATHS, paging=Paging.KEY_BATCHES, keys="netvisorkeylist"
    ),
    list_is_complete=True,
    date_field="voucherdate",
    changes_by="changed_since",
)


VOUCHER_SOURCE = document_source(
    "vouchers",
    "Vouchers and their lines from accountingledger.nv.",
    VOUCHERS,
    VOUCHER_LINES,
    "voucherline",
    endpoint=VOUCHER_ENDPOINT,
    deleted_kind="vouchers",
    follows_period_locks=True,
    reconciled_by_listing=True,
    field_types={
        "vouchernetvisorkey": "int",
        "voucherlinenetvisorkey": "int",
    },
)

ACCOUNT_BALANCES = Table(
    name="account_balances",
    description="Each account's balance at the end of each day (accountbalance.nv).",
    primary_key=("account_key", "balance_date"),
    mode=SyncMode.PARTITIONED,
    partition_column="balance_date",
    columns=(
        c("NetvisorKey", "account_key", "Netvisor key of the account.", type="INT64"),
        c("Date", "balance_date", "Day whose closing balance this is (partition).", type="DATE"),
        c("Debet", "debit", "Sum of debit postings up to and including the day.", type="NUMERIC"),
        c(
            "Kredit",
            "credit",
            "Sum of credit postings up to and including the day.",
            type="NUMERIC",
        ),
        c("Balance", "balance", "Debit minus credit.", type="NUMERIC"),
    ),
)


# accountbalance.nv answers an account with its balances for `balancedates=first,last`
# stepped by `intervaltype` (1 = day; Netvisor always includes both ends): one record per
# account and day.
BALANCE_ENDPOINT = Endpoint(
    list=Resource(
        "accountbalance.nv",
        (("accountbalances", "account"),),
        window=("balancedates",),
        window_fixed=(("intervaltype", 1),),
        budget=BALANCE_ROW_BUDGET,
        first_window_days=BALANCE_FIRST_WINDOW_DAYS,
        explode="accountbalance",
        carry=("netvisorkey",),
    ),
)


BALANCE_SOURCE = table_source(
    ACCOUNT_BALANCES,
    "Daily closing balances per account.",
    BALANCE_ENDPOINT,
    follows_period_locks=True,
    # A balance is cumulative: a posting on day D changes every closing balance from D on.
    rerun=Rerun.FROM_FIRST_CHANGE,
    moved_by="vouchers",
)

# The family's sources in sync order: `netvisor_assets.tables` collects every family's.
SOURCES = (
    VOUCHER_SOURCE,
    BALANCE_SOURCE,
)
