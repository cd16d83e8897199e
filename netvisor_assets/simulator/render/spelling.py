"""Netvisor's spelling: element and attribute names, and how each field's values are written
(booleans, dates, decimals) as the samples show them; `Style` holds per-resource overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
