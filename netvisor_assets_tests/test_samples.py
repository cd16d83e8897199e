"""Contract: every published Netvisor response sample parses to the expected records or error.

The samples live outside the project (`../shared/netvisor-samples/`, see its README) and are
read in place, never copied. Each sample is checked with specific values: Decimals from comma
and point decimals, the three date formats, boolean spellings, lists of one, element-name case
quirks, not-found shapes, and error envelopes. The same bodies are then served to the client's
fetch functions, so the record paths the client uses are checked against real shapes too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from netvisor_assets.netvisor import errors
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.netvisor.xml import HELSINKI, parse_envelope, parse_payload, parse_records
from netvisor_assets.tables.ledger import VOUCHER_ENDPOINT
from netvisor_assets.tables.partners import CUSTOMER_ENDPOINT, PRODUCT_ENDPOINT
from netvisor_assets.tables.purchases import PURCHASE_INVOICE_ENDPOINT
from netvisor_assets.tables.reference import (
    ACCOUNT_ENDPOINT,
    DEFAULT_ACCOUNT_ENDPOINT,
    DIMENSION_ENDPOINT,
    PERIOD_ENDPOINT,
)
from netvisor_assets.tables.sales import (
    SALES_INVOICE_ENDPOINT,
    SALES_ORDER_ENDPOINT,
    SALES_PAYMENT_ENDPOINT,
)

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "netvisor-samples"


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not SAMPLES.is_dir():
        reason = f"Netvisor samples folder {SAMPLES} is absent; sample tests need it"
        print(reason)
        pytest.skip(reason)
    return path.read_bytes()


def all_sample_names() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("*.xml")) if SAMPLES.is_dir() else ["<absent>"]


# Error samples -> (exception, code, message).
ERRORS = {
    "AuthenticationFailed.xml": (
        errors.AuthenticationFailed,
        "AUTHENTICATION_FAILED",
        "Integraatiokumppania ei löydy, katso dokumentaatio",
    ),
    "GetCustomerNotFound.xml": (
        errors.InvalidData,
        "INVALID_DATA",
        "Data form incorrect:. Customer not found with Netvisor identifier: 123",
    ),
}


@pytest.mark.parametrize("name", all_sample_names())
def test_every_sample_parses_or_raises_its_error(name):
    body = sample(name)
    if name in ERRORS:
        cls, code, message = ERRORS[name]
        with pytest.raises(cls) as info:
            parse_payload(body, resource=name)
        assert (info.value.code, info.value.message) == (code, message)
    else:
        envelope = parse_envelope(body)
        assert envelope.ok
        assert envelope.timestamp is not None and envelope.timestamp.tzinfo is HELSINKI
        assert isinstance(parse_payload(body), dict)


def records(name: str, *paths: tuple[str, ...]) -> list[dict]:
    return parse_records(sample(name), list(paths))


def test_account_list():
    payload = parse_payload(sample("AccountList.xml"))["accountlist"]
    assert payload["companydefaultaccounts"]["tradepayables"] == "2871"
    assert payload["companydefaultaccounts"]["vatpayable"] == "2946"
    first, second = payload["accounts"]["account"]
    assert first == {
        "netvisorkey": 1,
        "number": None,
        "name": "Vastaavaa",
        "accounttype": "accountgroup",
        "fathernetvisorkey": 0,
        "isactive": True,
        "iscumulative": True,
        "sort": 0,
        "endsort": 279,
        "isnaturalnegative": True,
        "foreignname": [],
        "accountbalance": [],
    }
    assert second["number"] == "1234" and second["name"] == "PYSYVÄT VASTAAVAT"


def test_accounting_ledger():
    vouchers = records("AccountingLedger.xml", ("vouchers", "voucher"))
    assert [v["netvisorkey"] for v in vouchers] == [12, 25, 36, 38]
    first = vouchers[0]
    assert first["status"] == "valid"  # attribute spelled `Status` in the sample
    assert first["voucherdate"] == dt.date(2000, 1, 1)  # d.M.yyyy
    assert first["vouchernumber"] == 13
    assert first["linkedsourcenetvisorkey"] == 15
    assert first["linkedsourcenetvisorkey_type"] == "purchaseinvoice"
    assert [line["linesum"] for line in first["voucherline"]] == [
        Decimal("-17.18"),
        Decimal("-21.22"),
    ]
    assert first["voucherline"][0]["vatcode"] == "-"
    assert first["voucherline"][1]["vatpercent"] == Decimal("24")
    assert vouchers[1]["status"] == "invalidated"
    assert vouchers[1]["voucherline"][0]["dimension"] == [
        {"dimensionname": "Sales", "dimensionitem": "Mike"},
        {"dimensionname": "Purchase", "dimensionitem": "Matt"},
    ]
    assert "status" not in vouchers[2] and vouchers[2]["voucherline"] == []
    # A list of one stays a list; a blank item is None.
    assert vouchers[3]["voucherline"][0]["dimension"] == [
        {"dimensionname": "Sales", "dimensionitem": None}
    ]


def test_accounting_period_list_crlf_without_declaration():
    body = sample("AccountingPeriodList.xml")
    assert b"\r\n" in body and not body.startswith(b"<?xml")
    periods = records("AccountingPeriodList.xml", ("accountingperiodlist", "period"))
    assert periods == [
        {
            "netvisorkey": 3,
            "name": "2016",
            "begindate": dt.date(2016, 1, 1),
            "enddate": dt.date(2016, 12, 31),
        },
        {
            "netvisorkey": 1,
            "name": "2017",
            "begindate": dt.date(2017, 1, 1),
            "enddate": dt.date(2017, 12, 31),
        },
        {
            "netvisorkey": 2,
            "name": "2018",
            "begindate": dt.date(2018, 1, 1),
            "enddate": dt.date(2018, 12, 31),
        },
    ]
    lock = parse_payload(body)["accountingperiodlist"]["periodlockinformation"]
    # format="ansi" is dropped even though the value is d.M.yyyy.
    assert lock == {
        "accountingperiodlockdate": dt.date(2015, 12, 31),
        "vatperiodlockdate": dt.date(2017, 1, 3),
        "purchaselockdate": dt.date(2015, 12, 31),
        "period": [],
    }


def test_customer_list_lower_case_key_and_empty_values():
    customers = records("CustomerList.xml", ("customerlist", "customer"))
    assert customers == [
        {
            "netvisorkey": 165,
            "name": "Anni Asiakas",
            "code": "AA",
            "organisationidentifier": "12345678-9",
            "uri": "https://koulutus.netvisor.fi/getcustomer.nv?id=165",
        },
        {
            "netvisorkey": 166,
            "name": "Matti Mallikas",
            "code": None,
            "organisationidentifier": None,
            "uri": "https://koulutus.netvisor.fi/getcustomer.nv?id=166",
        },
    ]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("CustomerListMinimal.xml", ("customerlist", "customer")),
        ("DimensionListMinimal.xml", ("dimensionnamelist", "dimensionname")),
        ("ProductListEmpty.xml", ("productlist", "product")),
        ("PurchaseInvoiceListEmpty.xml", ("purchaseinvoicelist", "purchaseinvoice")),
        ("SalesInvoiceListEmpty.xml", ("salesinvoicelist", "salesinvoice")),
        ("GetSalesInvoiceNotFound.xml", ("salesinvoice",)),
        ("GetPurchaseInvoiceNotFound.xml", ("purchaseinvoice",)),
        ("GetProductNotFound.xml", ("product",)),
    ],
)
def test_empty_lists_and_not_found_give_no_records(name, path):
    assert records(name, path) == []


def test_dimension_list():
    dims = records("DimensionList.xml", ("dimensionnamelist", "dimensionname"))
    assert [(d["netvisorkey"], d["name"], d["ishidden"]) for d in dims] == [
        (14, "Hinnastoryhmä", False),
        (9, "KP1", True),
    ]
    assert dims[0]["linktype"] == 0
    details = dims[0]["dimensiondetails"]["dimensiondetail"]
    assert [(d["netvisorkey"], d["name"], d["fatherid"], d["sort"]) for d in details] == [
        (17, "Opiskelijat", 0, 0),
        (23, "Eläkeläiset", 0, 1),
    ]
    # One detail is still a list.
    assert len(dims[1]["dimensiondetails"]["dimensiondetail"]) == 1


def test_get_customer_single_and_list():
    [single] = records("GetCustomer.xml", ("customers", "customer"), ("customer",))
    base = single["customerbaseinformation"]
    assert base["netvisorkey"] == 5
    assert base["customergroupnetvisorkey"] == 1
    assert base["country"] == "FI" and base["country_type"] == "ISO-3166"
    assert base["isactive"] is True
    assert single["customeradditionalinformation"]["balancelimit"] == Decimal("200.3")
    assert single["customerfinvoicedetails"]["finvoiceroutercode"] == "PSPBFIHH"
    listed = records("GetCustomerList.xml", ("customers", "customer"), ("customer",))
    assert [c["customerbaseinformation"]["netvisorkey"] for c in listed] == [5, 6]
    assert listed[1]["customerbaseinformation"]["internalidentifier"] == "MM2"


def test_get_customer_minimal():
    [customer] = records("GetCustomerMinimal.xml", ("customer",))
    base = customer["customerbaseinformation"]
    assert "netvisorkey" not in base
    assert base["internalidentifier"] is None and base["isactive"] is False
    assert customer["customeradditionalinformation"]["balancelimit"] is None


def test_get_product_and_minimal():
    [product] = records("GetProduct.xml", ("products", "product"), ("product",))
    base = product["productbaseinformation"]
    assert base["unitprice"] == Decimal("42.5") and base["unitprice_type"] == "brutto"
    assert base["purchaseprice"] == Decimal("25.0000")
    assert base["comissionpercentage"] == Decimal("11.0")
    assert base["isactive"] is True and base["issalesproduct"] is False
    assert product["productbookkeepingdetails"]["defaultvatpercent"] == Decimal("22.0")
    assert product["productbookkeepingdetails"]["defaultdomesticaccountnumber"] == "3000"
    assert product["productinventorydetails"]["inventoryvalue"] == Decimal("10.0000")
    [minimal] = records("GetProductMinimal.xml", ("product",))
    mbase = minimal["productbaseinformation"]
    assert mbase["unitprice"] == Decimal("0") and mbase["unitweight"] is None
    assert mbase["issalesproduct"] is None and mbase["productcode"] is None


def test_get_purchase_invoice():
    [inv] = records(
        "GetPurchaseInvoice.xml", ("purchaseinvoices", "purchaseinvoice"), ("purchaseinvoice",)
    )
    assert inv["purchaseinvoicenetvisorkey"] == 1025
    assert inv["purchaseinvoicenumber"] == "152212"
    assert inv["purchaseinvoicedate"] == dt.date(2018, 1, 2)
    assert inv["purchaseinvoicereferencenumber"] == "011234"
    assert inv["ispurchaseinvoicevendorbankaccountdeleted"] is False
    assert inv["ispurchaseinvoicevendorbankaccountfromseparegion"] is True
    assert inv["purchaseinvoiceamount"] == Decimal("100.00")
    assert inv["invoicestatus"] == "Avoin" and inv["isaccounted"] is False
    assert inv["voucherid"] == 1
    lines = inv["invoicelines"]["purchaseinvoiceline"]
    assert [line["netvisorkey"] for line in lines] == [1051, 1052]
    assert lines[0]["unitprice"] == Decimal("5.480000000000")
    assert lines[0]["linenetsum"] == Decimal("102.6639")
    # The sample has `643` followed by a newline and indentation.
    assert lines[0]["accountingsuggestionbookkeepingaccountnetvisorkey"] == 643
    dims = inv["invoicelines"]["purchaseinvoicelinedimensions"]["dimension"]
    assert [(d["dimensionnamenetvisorkey"], d["dimensiondetailname"]) for d in dims] == [
        (3, "Project 1"),
        (4, "Project 2"),
    ]
    assert inv["linkedpurchaseorders"]["purchaseorder"] == [
        {"ordernumber": "1", "netvisorkey": 123},
        {"ordernumber": "2", "netvisorkey": 456},
    ]


def test_get_purchase_invoice_minimal_empty_groups():
    [inv] = records("GetPurchaseInvoiceMinimal.xml", ("purchaseinvoice",))
    assert inv["voucherid"] is None and inv["previewimage"] is None
    assert inv["invoicelines"] is None and inv["linkedpurchaseorders"] is None


def test_get_sales_invoice():
    [inv] = records("GetSalesInvoice.xml", ("salesinvoices", "salesinvoice"), ("salesinvoice",))
    assert inv["salesinvoicenumber"] == "3"
    assert inv["salesinvoicedate"] == dt.date(2012, 1, 27)
    assert inv["salesinvoiceduedate"] == dt.date(2023, 6, 6)
    assert inv["salesinvoiceamount"] == Decimal("244.12")  # decimal point in this sample
    assert inv["salesinvoiceamount_iso4217currencycode"] == "EUR"
    assert inv["salesinvoiceamount_currencyrate"] == Decimal("1")
    assert inv["selleridentifier"] == "Jarmo" and inv["selleridentifier_type"] == "name"
    assert inv["invoicestatus"] == "Unsent" and inv["invoicestatus_status"] == "unsent"
    assert inv["matchpartialpaymentsbydefault"] is False  # "No"
    assert inv["invoicingcustomercountrycode_iso_3166"] == "FI"
    assert inv["paymenttermnetdays"] == 14
    assert inv["paymenttermcashdiscount"] == Decimal("9")
    assert inv["paymenttermcashdiscount_type"] == "percentage"
    assert inv["salesinvoicefreetextbeforelines"] is None
    line_group = inv["invoicelines"]["invoiceline"]
    products = line_group["salesinvoiceproductline"]
    assert line_group["salesinvoicecommentline"] == []
    assert [p["productidentifier"] for p in products] == ["OMENA", "BANAANI"]
    assert products[0]["productidentifier_type"] == "customer"
    assert products[0]["productunitprice"] == Decimal("6.9000")
    assert products[0]["productvatpercentage"] == Decimal("22")
    assert products[0]["productvatpercentage_vatcode"] == "KOMY"
    assert products[1]["salesinvoiceproductlinevatsum"] == Decimal("0.5478")
    assert products[1]["salesinvoiceproductlinesum"] == Decimal("3.0378")
    assert products[0]["accountingaccountsuggestion"] == "551"


def test_get_sales_invoice_list_and_minimal():
    invoices = records("GetSalesInvoiceList.xml", ("salesinvoices", "salesinvoice"))
    assert [i["salesinvoicenumber"] for i in invoices] == ["3", "4"]
    assert invoices[1]["invoicingcustomername"] == "Matti Mallikas 2"
    [minimal] = records("GetSalesInvoiceMinimal.xml", ("salesinvoice",))
    assert minimal["salesinvoiceamount"] == Decimal("244.00")
    assert minimal["selleridentifier"] is None and minimal["selleridentifier_type"] == "name"
    assert minimal["paymenttermcashdiscount"] is None
    [line] = minimal["invoicelines"]["invoiceline"]["salesinvoiceproductline"]
    assert line["accountingaccountsuggestion"] is None


def test_product_list():
    assert records("ProductList.xml", ("productlist", "product")) == [
        {
            "netvisorkey": 165,
            "productcode": "TT",
            "name": "Testituote",
            "unitprice": Decimal("1.96"),
            "uri": "https://koulutus.netvisor.fi/getproduct.nv?id=165",
        }
    ]
    [minimal] = records("ProductListMinimal.xml", ("productlist", "product"))
    assert minimal["productcode"] is None


def test_purchase_invoice_list():
    rows = records("PurchaseInvoiceList.xml", ("purchaseinvoicelist", "purchaseinvoice"))
    assert [(r["netvisorkey"], r["invoicenumber"], r["invoicedate"]) for r in rows] == [
        (1, "123", dt.date(2017, 11, 16)),
        (2, "234", dt.date(2017, 11, 23)),
        (3, "345", dt.date(2017, 11, 16)),
    ]
    assert [(r["sum"], r["payments"], r["opensum"]) for r in rows][1] == (
        Decimal("30"),
        Decimal("0"),
        Decimal("30"),
    )
    assert rows[2]["vendororganizationidentifier"] is None


def test_sales_invoice_list():
    rows = records("SalesInvoiceList.xml", ("salesinvoicelist", "salesinvoice"))
    assert rows[0] == {
        "netvisorkey": 165,
        "invoicenumber": "5",
        "invoicedate": dt.date(2013, 11, 9),  # element spelled `Invoicedate`
        "invoicestatus": "open",
        "invoicestatus_substatus": "overdue",
        "customercode": "MM",
        "customername": "Matti Meikäläinen",
        "referencenumber": "1070",
        "invoicesum": Decimal("123.45"),
        "opensum": Decimal("45.67"),
        "uri": "https://koulutus.netvisor.fi/getsalesinvoice.nv?netvisorkey=165",
    }
    assert rows[1]["customercode"] is None and "invoicestatus_substatus" not in rows[1]
    [order] = records("SalesInvoiceListPreinvoice.xml", ("salesinvoicelist", "salesinvoice"))
    assert order["netvisorkey"] == 165 and order["invoicestatus"] == "open"


def test_sales_payment_list():
    rows = records("SalesPaymentList.xml", ("salespaymentlist", "salespayment"))
    assert [(r["netvisorkey"], r["date"], r["sum"]) for r in rows] == [
        (165, dt.date(2014, 2, 7), Decimal("249.90")),
        (166, dt.date(2014, 3, 10), Decimal("200")),
    ]
    assert rows[0]["foreigncurrencyamount"] is None
    assert rows[0]["bankstatus"] == "FAILED"  # a payment field, not the envelope status
    assert rows[0]["bankstatuserrordescription"] == "Eräpäivä virheellinen"
    assert rows[0]["bankstatuserrordescription_code"] == "ERROR_IN_DUE_DATE"


@pytest.mark.parametrize(
    ("name", "identifier"),
    [
        ("AccountingCreateVoucher.xml", "8"),
        ("CustomerCreate.xml", "8"),
        ("ProductCreate.xml", "8"),
        ("SalesInvoiceCreate.xml", "8"),
        ("SalesPaymentCreate.xml", "8"),
    ],
)
def test_write_replies(name, identifier):
    assert parse_payload(sample(name)) == {"replies": {"inserteddataidentifier": identifier}}


def test_company_information_nested_groups():
    payload = parse_payload(sample("GetCompanyInformation.xml"))["companyinformation"]
    company = payload["company"]
    assert company["streetaddress"] == {
        "street": "Esimerkkikatu 123",
        "postalcode": "00100",
        "postaloffice": "Helsinki",
    }
    assert company["registeredpersonroles"]["role"]["nationality_type"] == "ISO-3166"
    companies = parse_payload(sample("CompanyList.xml"))["companylist"]["company"]
    assert companies["isactive"] is True and companies["id"] == "125"


# ----------------------------------------------------------------------------- via the client


def sample_client(handler) -> NetvisorClient:
    """A client whose every request is answered by `handler` (sample bodies, no network)."""
    return NetvisorClient(
        "http://netvisor.test",
        "tests",
        "C",
        "ck",
        "P",
        "pk",
        "1967543-8",
        transport=httpx.MockTransport(handler),
    )


CLIENT_CALLS = [
    ("CustomerList.xml", lambda c: c.list_rows(CUSTOMER_ENDPOINT), [165, 166]),
    ("GetCustomerList.xml", lambda c: c.details(CUSTOMER_ENDPOINT, [5, 6]), None),
    ("GetCustomer.xml", lambda c: c.details(CUSTOMER_ENDPOINT, [5]), None),
    ("ProductList.xml", lambda c: c.list_rows(PRODUCT_ENDPOINT), [165]),
    ("GetProduct.xml", lambda c: c.details(PRODUCT_ENDPOINT, [165]), None),
    ("GetProductNotFound.xml", lambda c: c.details(PRODUCT_ENDPOINT, [1]), []),
    ("SalesInvoiceList.xml", lambda c: c.list_rows(SALES_INVOICE_ENDPOINT), [165, 166]),
    ("SalesInvoiceListPreinvoice.xml", lambda c: c.list_rows(SALES_ORDER_ENDPOINT), [165]),
    ("GetSalesInvoiceList.xml", lambda c: c.details(SALES_INVOICE_ENDPOINT, [1, 2]), None),
    ("GetSalesInvoiceNotFound.xml", lambda c: c.details(SALES_INVOICE_ENDPOINT, [1]), []),
    ("GetSalesInvoice.xml", lambda c: c.details(SALES_ORDER_ENDPOINT, [1]), None),
    ("PurchaseInvoiceList.xml", lambda c: c.list_rows(PURCHASE_INVOICE_ENDPOINT), [1, 2, 3]),
    ("GetPurchaseInvoice.xml", lambda c: c.details(PURCHASE_INVOICE_ENDPOINT, [1025]), None),
    ("GetPurchaseInvoiceNotFound.xml", lambda c: c.details(PURCHASE_INVOICE_ENDPOINT, [1]), []),
    (
        "AccountingLedger.xml",
        lambda c: c.fetch(VOUCHER_ENDPOINT, changed_since=dt.date(2024, 1, 1)),
        [12, 25, 36, 38],
    ),
    ("AccountList.xml", lambda c: c.fetch(ACCOUNT_ENDPOINT), [1, 2]),
    ("AccountingPeriodList.xml", lambda c: c.fetch(PERIOD_ENDPOINT), [3, 1, 2]),
    ("DimensionList.xml", lambda c: c.fetch(DIMENSION_ENDPOINT), [14, 9]),
    ("SalesPaymentList.xml", lambda c: c.list_rows(SALES_PAYMENT_ENDPOINT), [165, 166]),
]


@pytest.mark.parametrize(("name", "call", "keys"), CLIENT_CALLS, ids=[c[0] for c in CLIENT_CALLS])
def test_client_fetch_functions_read_sample_shapes(name, call, keys):
    body = sample(name)
    client = sample_client(lambda request: httpx.Response(200, content=body))
    with client:
        result = call(client)
    if keys is None:
        assert len(result) >= 1
    else:
        assert [r.get("netvisorkey") for r in result] == keys
    assert client.requests_made == 1


def test_client_account_list_and_period_lock_shapes():
    bodies = {
        "accountlist.nv": sample("AccountList.xml"),
        "accountingperiodlist.nv": sample("AccountingPeriodList.xml"),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bodies[request.url.path.strip("/")])

    with sample_client(handler) as client:
        defaults = {r["role"]: r["accountnumber"] for r in client.fetch(DEFAULT_ACCOUNT_ENDPOINT)}
        accounts = client.fetch(ACCOUNT_ENDPOINT)
        lock = client.fetch(PERIOD_ENDPOINT)[0]["locks"]
    assert defaults["salesreceivables"] == "1702"
    assert [a["netvisorkey"] for a in accounts] == [1, 2]
    assert lock == {
        "accountingperiodlockdate": dt.date(2015, 12, 31),
        "vatperiodlockdate": dt.date(2017, 1, 3),
        "purchaselockdate": dt.date(2015, 12, 31),
    }


def test_client_raises_sample_errors():
    body = sample("GetCustomerNotFound.xml")
    with sample_client(lambda r: httpx.Response(400, content=body)) as client:
        with pytest.raises(errors.InvalidData, match="Customer not found"):
            client.details(CUSTOMER_ENDPOINT, [123])
        assert client.requests_made == 1  # INVALID_DATA is never retried


# ----------------------------------------------------------------------------- into the warehouse

WAREHOUSE_CASES = [
    ("vouchers", {"accountingledger.nv": "AccountingLedger.xml"}),
    (
        "sales_invoices",
        {
            "salesinvoicelist.nv": "SalesInvoiceList.xml",
            "getsalesinvoice.nv": "GetSalesInvoiceList.xml",
        },
    ),
    (
        "sales_invoices",
        {
            "salesinvoicelist.nv": "SalesInvoiceList.xml",
            "getsalesinvoice.nv": "GetSalesInvoice.xml",
        },
    ),
    (
        "sales_invoices",
        {
            "salesinvoicelist.nv": "SalesInvoiceList.xml",
            "getsalesinvoice.nv": "GetSalesInvoiceMinimal.xml",
        },
    ),
    (
        "sales_orders",
        {
            "salesinvoicelist.nv": "SalesInvoiceListPreinvoice.xml",
            "getorder.nv": "GetSalesInvoice.xml",
        },
    ),
    (
        "purchase_invoices",
        {
            "purchaseinvoicelist.nv": "PurchaseInvoiceList.xml",
            "getpurchaseinvoice.nv": "GetPurchaseInvoice.xml",
        },
    ),
    (
        "purchase_invoices",
        {
            "purchaseinvoicelist.nv": "PurchaseInvoiceList.xml",
            "getpurchaseinvoice.nv": "GetPurchaseInvoiceMinimal.xml",
        },
    ),
    ("sales_payments", {"salespaymentlist.nv": "SalesPaymentList.xml"}),
    ("customers", {"customerlist.nv": "CustomerList.xml", "getcustomer.nv": "GetCustomerList.xml"}),
    ("customers", {"customerlist.nv": "CustomerList.xml", "getcustomer.nv": "GetCustomer.xml"}),
    (
        "customers",
        {"customerlist.nv": "CustomerList.xml", "getcustomer.nv": "GetCustomerMinimal.xml"},
    ),
    ("products", {"productlist.nv": "ProductList.xml", "getproduct.nv": "GetProduct.xml"}),
    ("products", {"productlist.nv": "ProductList.xml", "getproduct.nv": "GetProductMinimal.xml"}),
    ("accounts", {"accountlist.nv": "AccountList.xml"}),
    ("default_accounts", {"accountlist.nv": "AccountList.xml"}),
    ("accounting_periods", {"accountingperiodlist.nv": "AccountingPeriodList.xml"}),
    ("dimensions", {"dimensionlist.nv": "DimensionList.xml"}),
]


@pytest.mark.parametrize(
    ("source_name", "bodies"),
    WAREHOUSE_CASES,
    ids=[f"{s}-{'+'.join(b.values())}" for s, b in WAREHOUSE_CASES],
)
def test_every_sample_lands_in_the_warehouse(source_name, bodies, tmp_path):
    """Parser, table rows and warehouse contract: each sample's records become valid rows
    with their keys (a detail record without its own key gets the key that was asked for)."""
    from netvisor_assets.frames import to_frame
    from netvisor_assets.tables import SyncMode, get_source
    from netvisor_assets.warehouse import DuckDBWarehouse
    from netvisor_assets.warehouse.base import Target

    source = get_source(source_name)
    served = {resource: sample(name) for resource, name in bodies.items()}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=served[request.url.path.strip("/")])

    with sample_client(handler) as client:
        if source.mode is SyncMode.PARTITIONED:
            records = source.fetch_window(client, dt.date(2000, 1, 1), dt.date(2030, 12, 31))
        else:
            records = source.fetch_all(client)
    assert records, "the sample should hold at least one record"
    rows = source.to_rows(records)
    warehouse = DuckDBWarehouse(tmp_path / "samples.duckdb")
    targets = []
    for table in source.tables:
        for row in rows[table.name]:
            assert all(row.get(k) is not None for k in table.primary_key), (table.name, row)
        if table.partition_column:
            dates = [r[table.partition_column] for r in rows[table.name]]
            assert all(d is not None for d in dates), table.name
            window = (
                min(dates, default=dt.date(2000, 1, 1)),
                max(dates, default=dt.date(2000, 1, 1)),
            )
            targets.append(Target(table, "window", (window[0], window[1] + dt.timedelta(days=1))))
        else:
            targets.append(Target(table, "replace"))
    now = dt.datetime.now(dt.UTC)
    with warehouse.load(targets) as load:
        for table in source.tables:
            load.append(table.name, to_frame(table, rows[table.name], run_id="s", synced_at=now))
        results = load.commit()
    for table in source.tables:
        stored = warehouse.read(table.name)
        assert len(stored) == results[table.name].rows_written == len(rows[table.name]) or (
            # identical duplicate rows collapse (the same document answered for two keys)
            len(stored) == results[table.name].rows_written
        )
    head = source.tables[0]
    assert len(warehouse.read(head.name)) >= 1
    # What a controller needs from the samples survives to the warehouse.
    stored = warehouse.read(head.name)
    if source_name == "default_accounts":
        roles = dict(zip(stored["role"], stored["account_number"], strict=True))
        assert roles["salesreceivables"] == "1702" and roles["tradepayables"] == "2871"
    if source_name == "accounting_periods":
        assert set(stored["accounting_period_lock_date"]) == {dt.date(2015, 12, 31)}
        assert set(stored["vat_period_lock_date"]) == {dt.date(2017, 1, 3)}
    if source_name == "sales_invoices" and "GetSalesInvoiceList" in bodies["getsalesinvoice.nv"]:
        listed = stored[stored["open_amount"].notna()]
        assert len(listed), "the list rows' open amounts reach the warehouse"
        assert all(isinstance(v, Decimal) for v in listed["open_amount"])
