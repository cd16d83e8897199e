"""Purchase invoices, purchase orders and purchase payments."""

from __future__ import annotations

from netvisor_assets.netvisor.endpoints import (
    ROW_BUDGET,
    ROW_FIRST_WINDOW_DAYS,
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

PURCHASE_INVOICES = Table(
    name="purchase_invoices",
    description="Purchase invoices (getpurchaseinvoice.nv version 2), one row per invoice.",
    primary_key=("purchase_invoice_key",),
    mode=SyncMode.PARTITIONED,
    partition_column="purchase_invoice_date",
    columns=(
        c(
            "PurchaseInvoiceNetvisorKey",
            "purchase_invoice_key",
            "Netvisor key of the invoice.",
            type="INT64",
        ),
        c("PurchaseInvoiceNumber", "purchase_invoice_number", "Vendor's invoice number."),
        c("PurchaseInvoiceDate", "purchase_invoice_date", "Invoice date (partition).", type="DATE"),
        c("PurchaseInvoiceEventDate", "event_date", "Event date.", type="DATE"),
        c("PurchaseInvoiceDeliveryDate", "delivery_date", "Delivery date.", type="DATE"),
        c("PurchaseInvoiceDueDate", "due_date", "Due date.", type="DATE"),
        c("PurchaseInvoiceValueDate", "value_date", "Value date.", type="DATE"),
        c("PurchaseInvoiceReferencenumber", "reference_number", "Payment reference."),
        c("PurchaseInvoiceAgreementIdentifier", "agreement_identifier", "Agreement id."),
        c(
            "PurchaseInvoiceVendorBankAccountNumber",
            "vendor_bank_account_number",
            "Vendor bank account the invoice is paid to.",
        ),
        c(
            "IsPurchaseInvoiceVendorBankAccountDeleted",
            "is_vendor_bank_account_deleted",
            "Whether that bank account has been deleted.",
            type="BOOL",
        ),
        c(
            "IsPurchaseInvoiceVendorBankAccountFromSEPARegion",
            "is_vendor_bank_account_from_sepa_region",
            "Whether the account is in SEPA.",
            type="BOOL",
        ),
        c("PurchaseInvoiceAmount", "amount", "Total amount including VAT.", type="NUMERIC"),
        c(
            "PurchaseInvoicePaidAmount",
            "paid_amount",
            "Amount paid so far.",
            moves_after_lock=True,
            type="NUMERIC",
        ),
        c(
            "ForeignCurrencyAmount",
            "foreign_currency_amount",
            "Amount in foreign currency.",
            type="NUMERIC",
        ),
        c("ForeignCurrencyNameID", "foreign_currency_code", "Foreign currency."),
        c("InvoiceStatus", "status", "Invoice status (localised text).", moves_after_lock=True),
        c(
            "ApprovalStatus",
            "approval_status",
            "Approval status.",
            allowed=("open", "approved", "accepted"),
        ),
        c("PurchaseInvoiceOurReference", "our_reference", "Our reference."),
        c("PurchaseInvoiceYourReference", "your_reference", "Vendor's reference."),
        c("PurchaseInvoiceDescription", "description", "Free text."),
        c("VendorNetvisorKey", "vendor_key", "Vendor's Netvisor key.", type="INT64"),
        c("VendorOrganizationIdentifier", "vendor_organization_identifier", "Vendor Y-tunnus."),
        c("VendorCode", "vendor_code", "Vendor code."),
        c("VendorName", "vendor_name", "Vendor name."),
        c("VendorAddressline", "vendor_address_line", "Vendor street address."),
        c("VendorPostnumber", "vendor_post_number", "Vendor postal code."),
        c("VendorTown", "vendor_town", "Vendor town."),
        c("VendorCountry", "vendor_country", "Vendor country."),
        c("VendorBankAccountNumber", "vendor_bank_account", "Vendor bank account."),
        c("Fingerprint", "fingerprint", "Netvisor's fingerprint of the invoice image."),
        c("VoucherID", "voucher_key", "Voucher that posted the invoice.", type="INT64"),
        c("IsAccounted", "is_accounted", "Whether the invoice has been posted.", type="BOOL"),
        # Only purchaseinvoicelist.nv tells what is still open (the client files its row
        # under `list`): the payables reconciliation sums it.
        c(
            "List/OpenSum",
            "open_amount",
            "Amount still open in EUR (purchaseinvoicelist.nv).",
            moves_after_lock=True,
            type="NUMERIC",
        ),
    ),
)

PURCHASE_INVOICE_LINES = Table(
    name="purchase_invoice_lines",
    description="Lines of purchase invoices, with their dimensions.",
    primary_key=("purchase_invoice_key", "line_position"),
    mode=SyncMode.PARTITIONED,
    partition_column="purchase_invoice_date",
    columns=(
        c("NetvisorKey", "line_key", "Netvisor key of the line.", type="INT64"),
        computed("purchase_invoice_key", "INT64", "Invoice the line belongs to."),
        computed("purchase_invoice_date", "DATE", "Invoice date (partition)."),
        computed(
            "line_position", "INT64", "Position of the line within its invoice, from 1.", minimum=1
        ),
        c("LineSum", "line_sum", "Line total including VAT.", type="NUMERIC"),
        c("LineNetSum", "line_net_sum", "Line total without VAT.", type="NUMERIC"),
        c("UnitPrice", "unit_price", "Unit price.", type="NUMERIC"),
        c("VatPercent", "vat_percent", "VAT rate.", minimum=0, maximum=100, type="NUMERIC"),
        c("VatCode", "vat_code", "VAT code."),
        c("Description", "description", "Line text."),
        c("Unit", "unit", "Unit."),
        c("OrderedAmount", "ordered_amount", "Quantity ordered.", type="NUMERIC"),
        c("DeliveredAmount", "delivered_amount", "Quantity delivered.", type="NUMERIC"),
        c("PurchasePrice", "purchase_price", "Purchase price.", type="NUMERIC"),
        c("ProductCode", "product_code", "Product code."),
        c("DiscountPercentage", "discount_percent", "Discount percent.", type="NUMERIC"),
        c("ProductName", "product_name", "Product name."),
        c(
            "AccountingSuggestionBookkeepingAccountNetvisorKey",
            "account_key",
            "Suggested expense account's key.",
            type="INT64",
        ),
        c(
            "AccountingSuggestionBookkeepingAccount",
            "account",
            "Suggested account, e.g. '4000 Ostot'.",
        ),
        c("PurchaseInvoiceLineDimensions", "dimensions", "Dimensions as JSON.", type="STRING"),
    ),
)


PURCHASE_INVOICE_ENDPOINT = Endpoint(
    list=Resource(
        "purchaseinvoicelist.nv",
        (("purchaseinvoicelist", "purchaseinvoice"),),
        window=("begininvoicedate", "endinvoicedate"),
        modified=("lastmodifiedstart", "lastmodifiedend"),
        budget=ROW_BUDGET,
        first_window_days=ROW_FIRST_WINDOW_DAYS,
    ),
    # Version 2 keeps dimensions inside their lines; attachments are not wanted.
    detail=Resource(
        "getpurchaseinvoice.nv",
        (("purchaseinvoices", "purchaseinvoice"), ("purchaseinvoice",)),
        paging=Paging.KEY_BATCHES,
        fixed=(("version", 2), ("omitattachments", "true")),
        keys="netvisorkeylist",
        key_path=("purchaseinvoicenetvisorkey",),
    ),
    merge_list_key="purchaseinvoicenetvisorkey",
    date_field="invoicedate",
    changes_by="modified",
)


PURCHASE_INVOICE_SOURCE = document_source(
    "purchase_invoices",
    "Purchase invoices with their lines.",
    PURCHASE_INVOICES,
    PURCHASE_INVOICE_LINES,
    "invoicelines.purchaseinvoiceline",
    endpoint=PURCHASE_INVOICE_ENDPOINT,
    deleted_kind="purchaseinvoices",
    follows_period_locks=True,
    reconciled_by_listing=True,
    # The list row's other fields repeat the detail's (key, number, date, vendor, sums).
    extra_known_paths=frozenset(
        f"list.{name}"
        for name in (
            "netvisorkey",
            "invoicenumber",
            "invoicedate",
            "vendor",
            "vendororganizationidentifier",
            "sum",
            "payments",
            "uri",
        )
    ),  # fmt: skip
    field_types={
        "invoicedate": "date",
        "payments": "decimal",
        "vatsum": "decimal",
        "dimensionnamenetvisorkey": "int",
        "dimensiondetailnetvisorkey": "int",
    },
)

PURCHASE_ORDERS = Table(
    name="purchase_orders",
    description="Purchase orders (getpurchaseorder.nv), one row per order.",
    primary_key=("purchase_order_key",),
    mode=SyncMode.PARTITIONED,
    partition_column="order_date",
    columns=(
        c("NetvisorKey", "purchase_order_key", "Netvisor key of the order.", type="INT64"),
        c("OrderNumber", "order_number", "Order number."),
        c("OrderStatus", "order_status", "proposal, approved, senttovendor, ..."),
        c("OrderDate", "order_date", "Order date (partition).", type="DATE"),
        c("VendorNetvisorKey", "vendor_key", "Vendor's Netvisor key.", type="INT64"),
        c("VendorName", "vendor_name", "Vendor name."),
        c("VendorAddressline", "vendor_address_line", "Vendor street address."),
        c("VendorPostnumber", "vendor_post_number", "Vendor postal code."),
        c("VendorCity", "vendor_city", "Vendor town."),
        c("VendorCountry", "vendor_country", "Vendor country."),
        c("DeliveryTerm", "delivery_term", "Delivery term."),
        c("DeliveryMethod", "delivery_method", "Delivery method."),
        c("DeliveryName", "delivery_name", "Delivery recipient.", personal=True),
        c("DeliveryAddressLine", "delivery_address_line", "Delivery address.", personal=True),
        c("DeliveryPostNumber", "delivery_post_number", "Delivery postal code."),
        c("DeliveryCity", "delivery_city", "Delivery town."),
        c("DeliveryCountry", "delivery_country", "Delivery country."),
        c("PrivateComment", "private_comment", "Internal comment.", personal=True),
        c("Comment", "comment", "Comment."),
        c("OurReference", "our_reference", "Our reference."),
        c("PaymentTerm", "payment_term", "Payment term."),
        c("Amount", "amount", "Order total.", type="NUMERIC"),
    ),
)

PURCHASE_ORDER_LINES = Table(
    name="purchase_order_lines",
    description="Product lines of purchase orders.",
    primary_key=("purchase_order_key", "line_position"),
    mode=SyncMode.PARTITIONED,
    partition_column="order_date",
    columns=(
        c("NetvisorKey", "line_key", "Netvisor key of the line.", type="INT64"),
        computed("purchase_order_key", "INT64", "Order the line belongs to."),
        computed("order_date", "DATE", "Order date (partition)."),
        computed("line_position", "INT64", "Position of the line within its order, from 1."),
        c("ProductCode", "product_code", "Product code."),
        c("ProductName", "product_name", "Product name."),
        c("VendorProductCode", "vendor_product_code", "Vendor's product code."),
        c("OrderedAmount", "ordered_amount", "Quantity ordered.", type="NUMERIC"),
        c("DeliveredAmount", "delivered_amount", "Quantity delivered.", type="NUMERIC"),
        c("UnitPrice", "unit_price", "Unit price.", type="NUMERIC"),
        c("VatPercent", "vat_percent", "VAT rate.", type="NUMERIC"),
        c("LineSum", "line_sum", "Line total.", type="NUMERIC"),
        c("FreightRate", "freight_rate", "Freight rate.", type="NUMERIC"),
        c("DeliveryDate", "delivery_date", "Expected delivery date.", type="DATE"),
        c("AccountingSuggestion", "account_number", "Suggested account."),
        c("Dimension", "dimensions", "Dimensions as JSON.", type="STRING"),
    ),
)


PURCHASE_ORDER_ENDPOINT = Endpoint(
    list=Resource(
        "purchaseorderlist.nv",
        (("purchaseorderlist", "purchaseorder"),),
        window=("limitbegindate", "limitenddate"),
        modified=("lastmodifiedstart", "lastmodifiedend"),
        budget=ROW_BUDGET,
        first_window_days=ROW_FIRST_WINDOW_DAYS,
    ),
    # 500 keys per call (assumed: the same cap as the other detail resources, the docs give
    # none).
    detail=Resource(
        "getpurchaseorder.nv",
        (("purchaseorders", "purchaseorder"), ("purchaseorder",)),
        paging=Paging.KEY_BATCHES,
        keys="netvisorkeylist",
    ),
    date_field="orderdate",
    changes_by="modified",
)


PURCHASE_ORDER_SOURCE = document_source(
    "purchase_orders",
    "Purchase orders with their lines.",
    PURCHASE_ORDERS,
    PURCHASE_ORDER_LINES,
    "purchaseorderlines.purchaseorderproductline",
    endpoint=PURCHASE_ORDER_ENDPOINT,
    deleted_kind="purchaseorders",
    reconciled_by_listing=True,
)

PURCHASE_PAYMENTS = Table(
    name="purchase_payments",
    description="Payments of purchase invoices (paymentlist.nv).",
    primary_key=("purchase_payment_key",),
    mode=SyncMode.PARTITIONED,
    partition_column="payment_date",
    columns=(
        c("NetvisorKey", "purchase_payment_key", "Netvisor key of the payment.", type="INT64"),
        c("PayerName", "payer_name", "Name on the payment."),
        c("Date", "payment_date", "Payment date (partition).", type="DATE"),
        c("HomeCurrencySum", "amount", "Amount in EUR.", type="NUMERIC"),
        c(
            "ForeignCurrencySum",
            "foreign_currency_amount",
            "Amount in foreign currency.",
            type="NUMERIC",
        ),
        c("Reference", "reference", "Payment reference."),
        c("InvoiceKey", "purchase_invoice_key", "Purchase invoice paid.", type="INT64"),
        c("InvoiceNumber", "invoice_number", "Purchase invoice number."),
        c("InvoiceURI", "invoice_uri", "Link to the invoice."),
        c("VoucherKey", "voucher_key", "Voucher that posted the payment.", type="INT64"),
        c("VoucherNumber", "voucher_number", "Number of that voucher.", type="INT64"),
    ),
)


# paymentlist.nv (purchase-invoice payments) has no modified-since filter: the sensor finds
# changes by re-reading the days since its last tick.
PURCHASE_PAYMENT_ENDPOINT = Endpoint(
    list=Resource(
        "paymentlist.nv",
        (("paymentlist", "payment"),),
        window=("limitbegindate", "limitenddate"),
        budget=ROW_BUDGET,
        first_window_days=ROW_FIRST_WINDOW_DAYS,
    ),
    date_field="date",
)


PURCHASE_PAYMENT_SOURCE = table_source(
    PURCHASE_PAYMENTS,
    "Payments of purchase invoices.",
    PURCHASE_PAYMENT_ENDPOINT,
    deleted_kind="purchasepayments",
    follows_period_locks=True,
    reconciled_by_listing=True,
    rerun=Rerun.NEW_DAYS,
)

# The family's sources in sync order: `netvisor_assets.tables` collects every family's.
SOURCES = (
    PURCHASE_INVOICE_SOURCE,
    PURCHASE_ORDER_SOURCE,
    PURCHASE_PAYMENT_SOURCE,
)
