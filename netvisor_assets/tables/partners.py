"""Customers, vendors and products: merged on their key, changes found by `changedsince`."""

from __future__ import annotations

import datetime as dt

from netvisor_assets.netvisor.endpoints import PRODUCT_KEY_BATCH_SIZE, Endpoint, Paging, Resource
from netvisor_assets.tables.columns import c
from netvisor_assets.tables.schema import SyncMode, Table
from netvisor_assets.tables.source import table_source

_B = "CustomerBaseInformation"
_F = "CustomerFinvoiceDetails"
_D = "CustomerDeliveryDetails"
_C = "CustomerContactDetails"
_A = "CustomerAdditionalInformation"

CUSTOMERS = Table(
    name="customers",
    description="Customers (customerlist.nv + getcustomer.nv), merged on their key.",
    primary_key=("customer_key",),
    mode=SyncMode.MERGE,
    columns=(
        c(f"{_B}/NetvisorKey", "customer_key", "Netvisor key of the customer.", type="INT64"),
        c(f"{_B}/InternalIdentifier", "customer_code", "Customer code."),
        c(f"{_B}/ExternalIdentifier", "business_id", "Business id (Y-tunnus)."),
        c(f"{_B}/OrganizationUnitNumber", "organization_unit_number", "OVT identifier."),
        c(
            f"{_B}/CustomerGroupNetvisorKey",
            "customer_group_key",
            "Customer group key.",
            type="INT64",
        ),
        c(f"{_B}/CustomerGroupName", "customer_group_name", "Customer group."),
        c(f"{_B}/Name", "name", "Customer name."),
        c(f"{_B}/NameExtension", "name_extension", "Name extension."),
        c(f"{_B}/StreetAddress", "street_address", "Street address.", personal=True),
        c(
            f"{_B}/AdditionalStreetAddress",
            "additional_street_address",
            "Address line 2.",
            personal=True,
        ),
        c(f"{_B}/City", "city", "City."),
        c(f"{_B}/PostNumber", "post_number", "Postal code."),
        c(f"{_B}/Country", "country", "Country code."),
        c(f"{_B}/Country@type", "country_code_type", "Code system of the country (ISO-3166)."),
        c(f"{_B}/PhoneNumber", "phone_number", "Phone number.", personal=True),
        c(f"{_B}/FaxNumber", "fax_number", "Fax number.", personal=True),
        c(f"{_B}/Email", "email", "Email address.", personal=True),
        c(
            f"{_B}/EmailInvoicingAddress",
            "email_invoicing_address",
            "Invoicing email.",
            personal=True,
        ),
        c(f"{_B}/HomePageUri", "home_page", "Web site."),
        c(f"{_B}/IsActive", "is_active", "Whether the customer is active.", type="BOOL"),
        c(
            f"{_B}/IsPrivateCustomer",
            "is_private_customer",
            "Consumer rather than business.",
            type="BOOL",
        ),
        c(f"{_F}/FinvoiceAddress", "finvoice_address", "E-invoice address."),
        c(f"{_F}/FinvoiceRouterCode", "finvoice_router_code", "E-invoice operator."),
        c(f"{_D}/DeliveryName", "delivery_name", "Delivery recipient.", personal=True),
        c(
            f"{_D}/DeliveryStreetAddress",
            "delivery_street_address",
            "Delivery address.",
            personal=True,
        ),
        c(f"{_D}/DeliveryCity", "delivery_city", "Delivery city."),
        c(f"{_D}/DeliveryPostNumber", "delivery_post_number", "Delivery postal code."),
        c(f"{_D}/DeliveryCountry", "delivery_country", "Delivery country."),
        c(f"{_C}/ContactPerson", "contact_person", "Contact person.", personal=True),
        c(f"{_C}/ContactPersonEmail", "contact_person_email", "Contact email.", personal=True),
        c(f"{_C}/ContactPersonPhone", "contact_person_phone", "Contact phone.", personal=True),
        c(f"{_A}/Comment", "comment", "Comment.", personal=True),
        c(f"{_A}/CustomerAgreementIdentifier", "agreement_identifier", "Agreement id."),
        c(f"{_A}/ReferenceNumber", "reference_number", "Default payment reference."),
        c(
            f"{_A}/UseCreditorReferenceNumber",
            "use_creditor_reference_number",
            "Whether RF creditor references are used.",
            type="BOOL",
        ),
        c(f"{_A}/YourDefaultReference", "default_your_reference", "Default customer reference."),
        c(f"{_A}/DefaultTextBeforeInvoiceLines", "default_text_before_lines", "Invoice text."),
        c(f"{_A}/DefaultTextAfterInvoiceLines", "default_text_after_lines", "Invoice text."),
        c(
            f"{_A}/DefaultPaymentTerm",
            "default_payment_term",
            "Default payment term.",
            type="INT64",
        ),
        c(f"{_A}/TaxHandlingType", "tax_handling_type", "VAT handling."),
        c(f"{_A}/BalanceLimit", "balance_limit", "Credit limit.", type="NUMERIC"),
        c(
            f"{_A}/EuStandardFinvoice",
            "eu_standard_finvoice",
            "EU standard e-invoice.",
            type="BOOL",
        ),
        c(
            f"{_A}/InCollectionProhibition",
            "in_collection_prohibition",
            "No debt collection.",
            type="BOOL",
        ),
    ),
)


# customerlist.nv for keys, getcustomer.nv for details. A key that does not exist fails its
# whole detail batch with INVALID_DATA (documented getcustomer.nv behaviour), unlike the
# invoice resources that return an empty element; list-then-detail, where a customer can be
# deleted in between, drops such a key and fetches the rest of its batch again. Netvisor
# ignores `changedsince` when `keyword` is given.
CUSTOMER_ENDPOINT = Endpoint(
    list=Resource("customerlist.nv", (("customerlist", "customer"),), changed_since="changedsince"),
    detail=Resource(
        "getcustomer.nv",
        (("customers", "customer"), ("customer",)),
        paging=Paging.KEY_BATCHES,
        keys="idlist",
        key_path=("customerbaseinformation", "netvisorkey"),
        vanishes=True,
    ),
    changes_by="changed_since",
)


CUSTOMER_SOURCE = table_source(
    CUSTOMERS,
    "Customers.",
    CUSTOMER_ENDPOINT,
    field_types={
        "customergroupid": "int",
        "taxhandlingclause_netvisorkey": "int",
    },
)

_VB = "VendorBaseInformation"
_VC = "VendorContactDetails"
_VA = "VendorAdditionalInformation"

VENDORS = Table(
    name="vendors",
    description="Vendors (getvendor.nv, paged), merged on their key.",
    primary_key=("vendor_key",),
    mode=SyncMode.MERGE,
    columns=(
        c("NetvisorKey", "vendor_key", "Netvisor key of the vendor.", type="INT64"),
        c(f"{_VB}/Code", "vendor_code", "Vendor code."),
        c(f"{_VB}/Name", "name", "Vendor name."),
        c(f"{_VB}/Address", "address", "Street address."),
        c(f"{_VB}/PostCode", "post_code", "Postal code."),
        c(f"{_VB}/City", "city", "City."),
        c(f"{_VB}/Country", "country", "Country code."),
        c(f"{_VB}/Country@type", "country_code_type", "Code system of the country (ISO-3166)."),
        c(f"{_VB}/OrganizationId", "business_id", "Business id (Y-tunnus)."),
        c(f"{_VB}/GroupName", "group_name", "Vendor group."),
        c(f"{_VB}/VendorBankAccounts", "bank_accounts", "Bank accounts as JSON.", type="STRING"),
        c(f"{_VC}/PhoneNumber", "phone_number", "Phone number.", personal=True),
        c(f"{_VC}/Email", "email", "Email.", personal=True),
        c(f"{_VC}/FaxNumber", "fax_number", "Fax.", personal=True),
        c(f"{_VC}/ContactPersonName", "contact_person", "Contact person.", personal=True),
        c(
            f"{_VC}/ContactPersonPhoneNumber",
            "contact_person_phone",
            "Contact phone.",
            personal=True,
        ),
        c(f"{_VC}/ContactPersonEmail", "contact_person_email", "Contact email.", personal=True),
        c(f"{_VC}/HomePage", "home_page", "Web site."),
        c(f"{_VC}/Comment", "comment", "Comment.", personal=True),
        c(f"{_VA}/DefaultVatPercent", "default_vat_percent", "Default VAT rate.", type="NUMERIC"),
        c(
            f"{_VA}/IsPartialVatReducedPrivileged",
            "is_partial_vat_reduced_privileged",
            "Partial VAT deduction.",
            type="BOOL",
        ),
        c(f"{_VA}/PaymentTerm", "payment_term", "Payment term."),
        c(f"{_VA}/VendorDimensions", "dimensions", "Default dimensions as JSON.", type="STRING"),
        c(
            f"{_VA}/VendorAccountingAccounts",
            "accounting_accounts",
            "Default accounts as JSON.",
            type="STRING",
        ),
    ),
)


# getvendor.nv has no list resource: `changedsince` with an old date is the documented way to
# enumerate (unverified that 2000-01-01 returns everything), page by page. By key list it
# takes 500 keys, every one of which must exist, or the call fails.
FULL_HISTORY_SINCE = dt.date(2000, 1, 1)
_VENDOR_PATHS = (("vendors", "vendor"), ("vendor",))
VENDOR_ENDPOINT = Endpoint(
    list=Resource(
        "getvendor.nv",
        _VENDOR_PATHS,
        paging=Paging.PAGE_HEADERS,
        everything=(("changedsince", FULL_HISTORY_SINCE),),
        changed_since="changedsince",
        page_param="page",
    ),
    detail=Resource(
        "getvendor.nv",
        _VENDOR_PATHS,
        paging=Paging.KEY_BATCHES,
        keys="netvisorkeylist",
        vanishes=True,
    ),
    list_is_complete=True,
    changes_by="changed_since",
)


VENDOR_SOURCE = table_source(VENDORS, "Vendors.", VENDOR_ENDPOINT)

_PB = "ProductBaseInformation"
_PK = "ProductBookkeepingDetails"
_PI = "ProductInventoryDetails"

PRODUCTS = Table(
    name="products",
    description="Products (productlist.nv + getproduct.nv), merged on their key.",
    primary_key=("product_key",),
    mode=SyncMode.MERGE,
    columns=(
        c(f"{_PB}/NetvisorKey", "product_key", "Netvisor key of the product.", type="INT64"),
        c(f"{_PB}/ProductCode", "product_code", "Product code."),
        c(f"{_PB}/ProductGroup", "product_group", "Product group."),
        c(f"{_PB}/Name", "name", "Product name."),
        c(f"{_PB}/Description", "description", "Description."),
        c(f"{_PB}/UnitPrice", "unit_price", "Unit price.", type="NUMERIC"),
        c(f"{_PB}/UnitPrice@type", "unit_price_type", "net or brutto (VAT included)."),
        c(f"{_PB}/Unit", "unit", "Unit."),
        c(f"{_PB}/UnitWeight", "unit_weight", "Weight per unit.", type="NUMERIC"),
        c(f"{_PB}/PurchasePrice", "purchase_price", "Purchase price.", type="NUMERIC"),
        c(f"{_PB}/TariffHeading", "tariff_heading", "Customs tariff heading."),
        c(
            f"{_PB}/ComissionPercentage",
            "commission_percent",
            "Commission percent.",
            type="NUMERIC",
        ),
        c(f"{_PB}/IsActive", "is_active", "Whether the product is active.", type="BOOL"),
        c(f"{_PB}/IsSalesProduct", "is_sales_product", "Whether it is sold.", type="BOOL"),
        c(f"{_PK}/DefaultVatPercent", "default_vat_percent", "Default VAT rate.", type="NUMERIC"),
        c(f"{_PK}/DefaultDomesticAccountNumber", "default_domestic_account", "Sales account."),
        c(f"{_PK}/DefaultEuAccountNumber", "default_eu_account", "EU sales account."),
        c(
            f"{_PK}/DefaultOutsideEUAccountNumber",
            "default_outside_eu_account",
            "Non-EU sales account.",
        ),
        c(f"{_PI}/InventoryAmount", "inventory_amount", "Units in stock.", type="NUMERIC"),
        c(f"{_PI}/InventoryMidPrice", "inventory_mid_price", "Average unit cost.", type="NUMERIC"),
        c(f"{_PI}/InventoryValue", "inventory_value", "Stock value.", type="NUMERIC"),
        c(
            f"{_PI}/InventoryReservedAmount",
            "inventory_reserved_amount",
            "Units reserved.",
            type="NUMERIC",
        ),
        c(
            f"{_PI}/InventoryOrderedAmount",
            "inventory_ordered_amount",
            "Units on order.",
            type="NUMERIC",
        ),
    ),
)


# getproduct.nv takes 400 keys a call; unknown keys come back empty and are skipped.
PRODUCT_ENDPOINT = Endpoint(
    list=Resource("productlist.nv", (("productlist", "product"),), changed_since="changedsince"),
    detail=Resource(
        "getproduct.nv",
        (("products", "product"), ("product",)),
        paging=Paging.KEY_BATCHES,
        keys="idlist",
        batch_size=PRODUCT_KEY_BATCH_SIZE,
        key_path=("productbaseinformation", "netvisorkey"),
    ),
    changes_by="changed_since",
)


PRODUCT_SOURCE = table_source(
    PRODUCTS,
    "Products.",
    PRODUCT_ENDPOINT,
    field_types={
        "productgroupid": "int",
        "unitgrossprice": "decimal",
    },
)

# The family's sources in sync order: `netvisor_assets.tables` collects every family's.
SOURCES = (
    CUSTOMER_SOURCE,
    VENDOR_SOURCE,
    PRODUCT_SOURCE,
)
