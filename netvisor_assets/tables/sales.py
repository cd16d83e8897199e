"""Sales invoices, sales orders (same document shape) and sales payments."""

from __future__ import annotations

from netvisor_assets.netvisor.endpoints import (
    ROW_BUDGET,
    ROW_FIRST_WINDOW_DAYS,
    Endpoint,
    Paging,
    Resource,
)
from netvisor_assets.tables.columns import c, computed
from netvisor_assets.tables.schema import Column, SyncMode, Table
from netvisor_assets.tables.source import document_source, table_source

# Machine statuses of sales invoices (reference 4.5: the list filter's matched statuses).
SALES_INVOICE_STATUSES = (
    "unsent", "open", "overdue", "reminded", "requested", "collected", "paid", "creditloss",
    "rejected",
)  # fmt: skip


def _document_header(prefix: str, statuses: tuple[str, ...] = ()) -> tuple[Column, ...]:
    """Columns of a getsalesinvoice.nv / getorder.nv document (orders share the shape).

    One column a line: its length is the document's width, not logic.
    """
    return (
        c(
            "SalesInvoiceNetvisorKey",
            f"{prefix}_key",
            "Netvisor key of the document.",
            type="INT64",
        ),
        c("SalesInvoiceNumber", f"{prefix}_number", "Document number."),
        c("SalesInvoiceDate", f"{prefix}_date", "Document date (partition).", type="DATE"),
        c(
            "SalesInvoiceEventDate",
            "event_date",
            "Date of delivery of goods or services.",
            type="DATE",
        ),
        c("SalesInvoiceValueDate", "value_date", "Value date.", type="DATE"),
        c("SalesInvoiceDeliveryDate", "delivery_date", "Delivery date.", type="DATE"),
        c("SalesInvoiceDueDate", "due_date", "Due date.", type="DATE"),
        c("SalesInvoiceReferencenumber", "reference_number", "Payment reference."),
        c("SalesInvoiceAmount", "amount", "Total amount including VAT.", type="NUMERIC"),
        c("SalesInvoiceAmount@iso4217currencycode", "currency_code", "ISO 4217 currency."),
        c(
            "SalesInvoiceAmount@currencyrate",
            "currency_rate",
            "Exchange rate to EUR.",
            type="NUMERIC",
        ),
        c(
            "ForeignCurrencyAmount",
            "foreign_currency_amount",
            "Amount in the foreign currency.",
            type="NUMERIC",
        ),
        c("SalesInvoiceCollectionCost", "collection_cost", "Collection cost.", type="NUMERIC"),
        c("SellerIdentifier", "seller_identifier", "Salesperson."),
        c("SellerIdentifier@type", "seller_identifier_type", "How the salesperson is named."),
        c(
            "InvoiceStatus@status",
            "status",
            "Machine status: open, paid, unsent, overdue, ...",
            allowed=statuses,
            moves_after_lock=True,
        ),
        c(
            "InvoiceStatus",
            "status_text",
            "Status as shown to users (localised).",
            moves_after_lock=True,
        ),
        c(
            "InvoiceVoucher@netvisorkey",
            "voucher_key",
            "Voucher that posted the document.",
            type="INT64",
        ),
        c("InvoiceVoucher", "voucher_number", "Number of that voucher."),
        c("SalesInvoiceFreeTextBeforeLines", "free_text_before_lines", "Text before lines."),
        c("SalesInvoiceFreeTextAfterLines", "free_text_after_lines", "Text after lines."),
        c("SalesInvoiceOurReference", "our_reference", "Our reference."),
        c("SalesInvoiceYourReference", "your_reference", "Customer's reference."),
        c("SalesInvoicePrivateComment", "private_comment", "Internal comment.", personal=True),
        c("SalesInvoiceAgreementIdentifier", "agreement_identifier", "Agreement identifier."),
        c("InvoicingCustomerNetvisorKey", "customer_key", "Invoiced customer's key.", type="INT64"),
        c("InvoicingCustomerCode", "customer_code", "Invoiced customer's code."),
        c("InvoicingCustomerName", "customer_name", "Invoiced customer's name."),
        c("InvoicingCustomerNameExtension", "customer_name_extension", "Name extension."),
        c(
            "InvoicingCustomerOrganizationIdentifier",
            "customer_organization_identifier",
            "Invoiced customer's business id (Y-tunnus).",
        ),
        c(
            "InvoicingCustomerAddressline",
            "customer_address_line",
            "Street address.",
            personal=True,
        ),
        c(
            "InvoicingCustomerAdditionalAddressLine",
            "customer_additional_address_line",
            "Additional address line.",
            personal=True,
        ),
        c("InvoicingCustomerPostnumber", "customer_post_number", "Postal code."),
        c("InvoicingCustomerTown", "customer_town", "Town."),
        c("InvoicingCustomerCountryCode", "customer_country", "Country."),
        c("InvoicingCustomerCountryCode@ISO-3166", "customer_country_code", "ISO 3166 code."),
        c(
            "MatchPartialPaymentsByDefault",
            "match_partial_payments_by_default",
            "Whether partial payments are matched automatically.",
            type="BOOL",
        ),
        c("DeliveryAddressName", "delivery_address_name", "Delivery recipient.", personal=True),
        c("DeliveryAddressLine", "delivery_address_line", "Delivery address.", personal=True),
        c("DeliveryAddressPostnumber", "delivery_address_post_number", "Delivery postal code."),
        c("DeliveryAddressTown", "delivery_address_town", "Delivery town."),
        c("DeliveryAddressCountryCode", "delivery_address_country", "Delivery country."),
        c("DeliveryMethod", "delivery_method", "Delivery method."),
        c("DeliveryTerm", "delivery_term", "Delivery term."),
        c("PaymentTermNetDays", "payment_term_net_days", "Days to pay net.", type="INT64"),
        c(
            "PaymentTermCashDiscountDays",
            "payment_term_cash_discount_days",
            "Days within which the cash discount applies.",
            type="INT64",
        ),
        c(
            "PaymentTermCashDiscount",
            "payment_term_cash_discount",
            "Cash discount.",
            type="NUMERIC",
        ),
        c(
            "PaymentTermCashDiscount@type",
            "payment_term_cash_discount_type",
            "Unit of the cash discount (percentage).",
        ),
        c(
            "CreditedInvoiceNetvisorKey",
            "credited_invoice_key",
            "Invoice this one credits.",
            type="INT64",
        ),
    )


def _document_lines(prefix: str) -> tuple[Column, ...]:
    return (
        c("NetvisorKey", "line_key", "Netvisor key of the line.", type="INT64"),
        computed(f"{prefix}_key", "INT64", "Document the line belongs to."),
        computed(f"{prefix}_date", "DATE", "Document date (partition)."),
        computed(
            "line_position", "INT64", "Position of the line within its document, from 1.", minimum=1
        ),
        c("productidentifier", "product_code", "Product code (customer's or Netvisor's)."),
        c("productidentifier@type", "product_code_type", "customer or netvisor."),
        c("ProductNetvisorKey", "product_key", "Product's Netvisor key.", type="INT64"),
        c("ProductName", "product_name", "Product name on the line."),
        c("ProductUnitPrice", "unit_price", "Unit price without VAT.", type="NUMERIC"),
        c("ProductPurchasePrice", "purchase_price", "Purchase price.", type="NUMERIC"),
        c(
            "ProductVatPercentage",
            "vat_percent",
            "VAT rate.",
            minimum=0,
            maximum=100,
            type="NUMERIC",
        ),
        c("ProductVatPercentage@vatcode", "vat_code", "VAT code, e.g. KOMY."),
        c("SalesInvoiceProductLineQuantity", "quantity", "Quantity.", type="NUMERIC"),
        c("SalesInvoiceProductLineUnit", "unit", "Unit."),
        c(
            "SalesInvoiceProductLineDiscountPercentage",
            "discount_percent",
            "Discount percent.",
            minimum=0,
            maximum=100,
            type="NUMERIC",
        ),
        c("SalesInvoiceProductLineFreeText", "free_text", "Free text of the line."),
        c("SalesInvoiceProductLineVatSum", "vat_sum", "VAT amount of the line.", type="NUMERIC"),
        c("SalesInvoiceProductLineSum", "line_sum", "Line total including VAT.", type="NUMERIC"),
        c("AccountingAccountSuggestion", "account_number", "Revenue account suggestion."),
        c("ProvisionPercentage", "provision_percent", "Provision percent.", type="NUMERIC"),
        c("OrderNumber", "order_number", "Linked order number."),
        c(
            "Dimension",
            "dimensions",
            "Dimensions as JSON [{dimensionname, dimensionitem}].",
            type="STRING",
        ),
    )


def _document_tables(
    kind: str,
    resource: str,
    title: str,
    extra: tuple[Column, ...] = (),
    statuses: tuple[str, ...] = (),
) -> tuple[Table, Table]:
    header = Table(
        name=f"sales_{kind}s",
        description=f"Sales {title}s ({resource}), one row per document.",
        primary_key=(f"sales_{kind}_key",),
        mode=SyncMode.PARTITIONED,
        partition_column=f"sales_{kind}_date",
        columns=_document_header(f"sales_{kind}", statuses) + extra,
    )
    lines = Table(
        name=f"sales_{kind}_lines",
        description=f"Product lines of sales {title}s.",
        primary_key=(f"sales_{kind}_key", "line_position"),
        mode=SyncMode.PARTITIONED,
        partition_column=f"sales_{kind}_date",
        columns=_document_lines(f"sales_{kind}"),
    )
    return header, lines


# What only salesinvoicelist.nv tells (the client files the list row under `list`): what a
# controller needs for receivables, ageing and collection.
_INVOICE_LIST_COLUMNS = (
    c(
        "List/OpenSum",
        "open_amount",
        "Amount still open in EUR (salesinvoicelist.nv).",
        moves_after_lock=True,
        type="NUMERIC",
    ),
    c(
        "List/InvoiceStatus@substatus",
        "substatus",
        "Sub-status of an open invoice: overdue, reminded, requested, collected.",
        type="STRING",
        moves_after_lock=True,
    ),
    c(
        "List/InvoiceStatus@isincollection",
        "is_in_collection",
        "Whether the invoice has been handed to debt collection.",
        type="BOOL",
        moves_after_lock=True,
    ),
)
SALES_INVOICES, SALES_INVOICE_LINES = _document_tables(
    "invoice",
    "getsalesinvoice.nv",
    "invoice",
    _INVOICE_LIST_COLUMNS,
    SALES_INVOICE_STATUSES,
)
SALES_ORDERS, SALES_ORDER_LINES = _document_tables("order", "getorder.nv", "order")

_LINES_PATH = "invoicelines.invoiceline.salesinvoiceproductline"


# salesinvoicelist.nv returns at most this many rows per response.
SALES_INVOICE_LIST_CAP = 500
_DOCUMENT_LIST = (("salesinvoicelist", "salesinvoice"),)
# Order details use the invoice structure; the SalesOrder spelling is accepted in case.
_INVOICE_DETAIL = (("salesinvoices", "salesinvoice"), ("salesinvoice",))
_ORDER_DETAIL = (*_INVOICE_DETAIL, ("salesorders", "salesorder"), ("salesorder",))
# No PDFs, comment lines included; replyoption 16: Netvisor names a credit note's invoice.
_DETAIL_OPTIONS = (("pdfimage", "nopdf"), ("showcommentlines", 1), ("replyoption", 16))


def _document_list(fixed: tuple = ()) -> Resource:
    """salesinvoicelist.nv: invoice dates inclusive (Netvisor's semantics), at most 500 rows
    a response, walked with `invoicesabovenetvisorkey`; orders are `listtype=preinvoice` with
    the same cap and walk (assumed: the docs do not say whether the order list is capped)."""
    return Resource(
        "salesinvoicelist.nv",
        _DOCUMENT_LIST,
        paging=Paging.ABOVE_KEY,
        fixed=fixed,
        window=("begininvoicedate", "endinvoicedate"),
        modified=("lastmodifiedstart", "lastmodifiedend"),
        modified_end_required_by="includemodifiedpayments",
        page_param="invoicesabovenetvisorkey",
        row_cap=SALES_INVOICE_LIST_CAP,
    )


def _document_detail(name: str, paths: tuple) -> Resource:
    """getsalesinvoice.nv / getorder.nv: the same parameters and document structure."""
    return Resource(
        name,
        paths,
        paging=Paging.KEY_BATCHES,
        fixed=_DETAIL_OPTIONS,
        keys="netvisorkeylist",
        key_path=("salesinvoicenetvisorkey",),
    )


SALES_INVOICE_ENDPOINT = Endpoint(
    list=_document_list(),
    detail=_document_detail("getsalesinvoice.nv", _INVOICE_DETAIL),
    merge_list_key="salesinvoicenetvisorkey",
    date_field="invoicedate",
    changes_by="modified",
    # A payment changes an invoice's open sum without touching the invoice itself.
    change_params=(("includemodifiedpayments", 1),),
)
SALES_ORDER_ENDPOINT = Endpoint(
    list=_document_list(fixed=(("listtype", "preinvoice"),)),
    detail=_document_detail("getorder.nv", _ORDER_DETAIL),
    date_field="invoicedate",
    changes_by="modified",
)

SALES_INVOICE_SOURCE = document_source(
    "sales_invoices",
    "Sales invoices with their lines.",
    SALES_INVOICES,
    SALES_INVOICE_LINES,
    _LINES_PATH,
    endpoint=SALES_INVOICE_ENDPOINT,
    deleted_kind="salesinvoices",
    follows_period_locks=True,
    reconciled_by_listing=True,
    # The list row's other fields repeat the detail's (key, number, dates, customer, sum).
    extra_known_paths=frozenset(
        f"list.{name}"
        for name in (
            "netvisorkey",
            "invoicenumber",
            "invoicedate",
            "invoiceduedate",
            "invoicestatus",
            "customernetvisorkey",
            "customercode",
            "customername",
            "referencenumber",
            "invoicesum",
            "uri",
        )
    ),  # fmt: skip
    field_types={
        "customernetvisorkey": "int",
        "invoicesum": "decimal",
        "invoicedate": "date",
        "invoiceduedate": "date",
        "invoicecurrencysum": "decimal",
        "opencurrencysum": "decimal",
        "isincollection": "bool",
    },
)

SALES_ORDER_SOURCE = document_source(
    "sales_orders",
    "Sales orders with their lines.",
    SALES_ORDERS,
    SALES_ORDER_LINES,
    _LINES_PATH,
    endpoint=SALES_ORDER_ENDPOINT,
    deleted_kind="salesorders",
    reconciled_by_listing=True,
)

SALES_PAYMENTS = Table(
    name="sales_payments",
    description="Payments received from customers (salespaymentlist.nv).",
    primary_key=("sales_payment_key",),
    mode=SyncMode.PARTITIONED,
    partition_column="payment_date",
    columns=(
        c("NetvisorKey", "sales_payment_key", "Netvisor key of the payment.", type="INT64"),
        c("Name", "payer_name", "Payer's name.", personal=True),
        c("Date", "payment_date", "Payment date (partition).", type="DATE"),
        c("Sum", "amount", "Amount paid in EUR.", type="NUMERIC"),
        c("ReferenceNumber", "reference_number", "Payment reference."),
        c(
            "ForeignCurrencyAmount",
            "foreign_currency_amount",
            "Amount in foreign currency.",
            type="NUMERIC",
        ),
        c("InvoiceNumber", "invoice_number", "Invoice the payment is matched to."),
        c("PaymentAccountName", "payment_account_name", "Bank account name."),
        c("PaymentAccountNumber", "payment_account_number", "Bank account number."),
        c("VoucherID", "voucher_key", "Voucher that posted the payment.", type="INT64"),
        c(
            "LastModifiedTimestamp",
            "last_modified_at",
            "Last change in Netvisor.",
            moves_after_lock=True,
            type="TIMESTAMP",
        ),
        c(
            "PaymentSource",
            "payment_source",
            "Numeric code of where the payment came from.",
            type="INT64",
        ),
        c("BankStatus", "bank_status", "OK or FAILED.", allowed=("OK", "FAILED")),
        c("BankStatusErrorDescription", "bank_status_error", "Bank error text."),
        c("BankStatusErrorDescription@code", "bank_status_error_code", "Bank error code."),
    ),
)


# salespaymentlist.nv: payment dates inclusive; no row cap is documented, so the client logs
# a response of 500+ rows as suspicious.
SALES_PAYMENT_ENDPOINT = Endpoint(
    list=Resource(
        "salespaymentlist.nv",
        (("salespaymentlist", "salespayment"),),
        window=("begindate", "enddate"),
        modified=("lastmodifiedstart", "lastmodifiedend"),
        budget=ROW_BUDGET,
        first_window_days=ROW_FIRST_WINDOW_DAYS,
    ),
    date_field="date",
    changes_by="modified",
)

SALES_PAYMENT_SOURCE = table_source(
    SALES_PAYMENTS,
    "Customer payments.",
    SALES_PAYMENT_ENDPOINT,
    deleted_kind="salespayments",
    follows_period_locks=True,
    reconciled_by_listing=True,
)

# The family's sources in sync order: `netvisor_assets.tables` collects every family's.
SOURCES = (
    SALES_INVOICE_SOURCE,
    SALES_ORDER_SOURCE,
    SALES_PAYMENT_SOURCE,
)
