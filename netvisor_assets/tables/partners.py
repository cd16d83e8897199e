"""Customers, vendors and products: merged on their key, changes found by `changedsince`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from netvisor_assets.tables.columns import c
from netvisor_assets.tables.schema import SyncMode, Table
from netvisor_assets.tables.source import Change, Records, Source, single_table_rows

if TYPE_CHECKING:
    from netvisor_assets.netvisor.client import NetvisorClient

_B = "CustomerBaseInformation"
_F = "CustomerFinvoiceDetails"
_D = "CustomerDeliveryDetails"
_C = "CustomerContactDetails"
_A = "CustomerAdditionalInformation"

CUSTOMERS = Table(
    name="customers",
    description="Customers (customerlist.nv + getcustomer.nv), merged on their key.",
    resources=("customerlist.nv", "getcustomer.nv"),
    primary_key=("customer_key",),
    mode=SyncMode.MERGE,
    columns=(
        c(f"{_B}/NetvisorKey", "customer_key", "Netvisor key of the customer."),
        c(f"{_B}/InternalIdentifier", "customer_code", "Customer code."),
        c(f"{_B}/ExternalIdentifier", "business_id", "Business id (Y-tunnus)."),
        c(f"{_B}/OrganizationUnitNumber", "organization_unit_number", "OVT identifier."),
        c(f"{_B}/CustomerGroupNetvisorKey", "customer_group_key", "Customer group key."),
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
        c(f"{_B}/IsActive", "is_active", "Whether the customer is active."),
        c(f"{_B}/IsPrivateCustomer", "is_private_customer", "Consumer rather than business."),
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
        ),
        c(f"{_A}/YourDefaultReference", "default_your_reference", "Default customer reference."),
        c(f"{_A}/DefaultTextBeforeInvoiceLines", "default_text_before_lines", "Invoice text."),
        c(f"{_A}/DefaultTextAfterInvoiceLines", "default_text_after_lines", "Invoice text."),
        c(f"{_A}/DefaultPaymentTerm", "default_payment_term", "Default payment term."),
        c(f"{_A}/TaxHandlingType", "tax_handling_type", "VAT handling."),
        c(f"{_A}/BalanceLimit", "balance_limit", "Credit limit."),
        c(f"{_A}/EuStandardFinvoice", "eu_standard_finvoice", "EU standard e-invoice."),
        c(f"{_A}/InCollectionProhibition", "in_collection_prohibition", "No debt collection."),
    ),
)


def _all_customers(client: NetvisorClient) -> Records:
    return client.customers()


def _changed_customers(client: NetvisorClient, since: dt.datetime) -> Records:
    return client.customers(changed_since=since)


def _customer_changes(client: NetvisorClient, start: dt.datetime, end: dt.datetime) -> list[Change]:
    return [(r["netvisorkey"], None) for r in client.customer_list(changed_since=start)]


CUSTOMER_SOURCE = Source(
    name="customers",
    description="Customers.",
    tables=(CUSTOMERS,),
    to_rows=single_table_rows(CUSTOMERS),
    fetch_all=_all_customers,
    fetch_changed=_changed_customers,
    changes=_customer_changes,
)

_VB = "VendorBaseInformation"
_VC = "VendorContactDetails"
_VA = "VendorAdditionalInformation"

VENDORS = Table(
    name="vendors",
    description="Vendors (getvendor.nv, paged), merged on their key.",
    resources=("getvendor.nv",),
    primary_key=("vendor_key",),
    mode=SyncMode.MERGE,
    columns=(
        c("NetvisorKey", "vendor_key", "Netvisor key of the vendor."),
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
        c(f"{_VA}/DefaultVatPercent", "default_vat_percent", "Default VAT rate."),
        c(
            f"{_VA}/IsPartialVatReducedPrivileged",
            "is_partial_vat_reduced_privileged",
            "Partial VAT deduction.",
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


def _all_vendors(client: NetvisorClient) -> Records:
    return client.vendors()


def _changed_vendors(client: NetvisorClient, since: dt.datetime) -> Records:
    return client.vendors(changed_since=since)


def _vendor_changes(client: NetvisorClient, start: dt.datetime, end: dt.datetime) -> list[Change]:
    # getvendor.nv?changedsince returns whole vendors: no cheaper probe exists.
    return [(r["netvisorkey"], None) for r in client.vendors(changed_since=start)]


VENDOR_SOURCE = Source(
    name="vendors",
    description="Vendors.",
    tables=(VENDORS,),
    to_rows=single_table_rows(VENDORS),
    fetch_all=_all_vendors,
    fetch_changed=_changed_vendors,
    changes=_vendor_changes,
)

_PB = "ProductBaseInformation"
_PK = "ProductBookkeepingDetails"
_PI = "ProductInventoryDetails"

PRODUCTS = Table(
    name="products",
    description="Products (productlist.nv + getproduct.nv), merged on their key.",
    resources=("productlist.nv", "getproduct.nv"),
    primary_key=("product_key",),
    mode=SyncMode.MERGE,
    columns=(
        c(f"{_PB}/NetvisorKey", "product_key", "Netvisor key of the product."),
        c(f"{_PB}/ProductCode", "product_code", "Product code."),
        c(f"{_PB}/ProductGroup", "product_group", "Product group."),
        c(f"{_PB}/Name", "name", "Product name."),
        c(f"{_PB}/Description", "description", "Description."),
        c(f"{_PB}/UnitPrice", "unit_price", "Unit price."),
        c(f"{_PB}/UnitPrice@type", "unit_price_type", "net or brutto (VAT included)."),
        c(f"{_PB}/Unit", "unit", "Unit."),
        c(f"{_PB}/UnitWeight", "unit_weight", "Weight per unit."),
        c(f"{_PB}/PurchasePrice", "purchase_price", "Purchase price."),
        c(f"{_PB}/TariffHeading", "tariff_heading", "Customs tariff heading."),
        c(f"{_PB}/ComissionPercentage", "commission_percent", "Commission percent."),
        c(f"{_PB}/IsActive", "is_active", "Whether the product is active."),
        c(f"{_PB}/IsSalesProduct", "is_sales_product", "Whether it is sold."),
        c(f"{_PK}/DefaultVatPercent", "default_vat_percent", "Default VAT rate."),
        c(f"{_PK}/DefaultDomesticAccountNumber", "default_domestic_account", "Sales account."),
        c(f"{_PK}/DefaultEuAccountNumber", "default_eu_account", "EU sales account."),
        c(
            f"{_PK}/DefaultOutsideEUAccountNumber",
            "default_outside_eu_account",
            "Non-EU sales account.",
        ),
        c(f"{_PI}/InventoryAmount", "inventory_amount", "Units in stock."),
        c(f"{_PI}/InventoryMidPrice", "inventory_mid_price", "Average unit cost."),
        c(f"{_PI}/InventoryValue", "inventory_value", "Stock value."),
        c(f"{_PI}/InventoryReservedAmount", "inventory_reserved_amount", "Units reserved."),
        c(f"{_PI}/InventoryOrderedAmount", "inventory_ordered_amount", "Units on order."),
    ),
)


def _all_products(client: NetvisorClient) -> Records:
    return client.products()


def _changed_products(client: NetvisorClient, since: dt.datetime) -> Records:
    return client.products(changed_since=since)


def _product_changes(client: NetvisorClient, start: dt.datetime, end: dt.datetime) -> list[Change]:
    return [(r["netvisorkey"], None) for r in client.product_list(changed_since=start)]


PRODUCT_SOURCE = Source(
    name="products",
    description="Products.",
    tables=(PRODUCTS,),
    to_rows=single_table_rows(PRODUCTS),
    fetch_all=_all_products,
    fetch_changed=_changed_products,
    changes=_product_changes,
)
