"""Contract: every Netvisor read resource answers over real HTTP as Netvisor does, and
`SimulatorServer.ground_truth` equals what the response body holds.

Bodies are parsed here with defusedxml and an independent implementation of the fields.py
record rules (`to_record`), so the server's renderer and normaliser are checked against a
third reading of the same contract. Also covered: envelope bytes, element-name quirks, key-list
caps, the 500-row sales-invoice cap walked by key, vendor paging headers, not-found answers,
case-insensitive routing, admin endpoints, the CLI, and seeded faults (rates and determinism).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import ParseError
from zoneinfo import ZoneInfo

import httpx
import pytest
from defusedxml.ElementTree import fromstring

from netvisor_assets.netvisor.fields import REPEATED, field_type, normalise_name
from netvisor_assets.simulator import (
    FaultConfig,
    LatencyConfig,
    SimulatorServer,
    generate_company,
)
from netvisor_assets.simulator import handlers as sim_handlers
from netvisor_assets.simulator.faults import decide
from netvisor_assets_tests.test_simulator_auth import sign

HELSINKI = ZoneInfo("Europe/Helsinki")

# --------------------------------------------------------------------- independent parser


def _coerce(key: str, text: str | None) -> Any:
    value = (text or "").strip()
    if not value:
        return None
    kind = field_type(key)
    if kind == "int":
        return int(value)
    if kind == "decimal":
        return Decimal(value.replace(",", "."))
    if kind in ("date", "datetime"):
        m = re.match(r"^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d))?)?$", value)
        if m:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
            hh, mm, ss = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        else:
            m = re.match(r"^(\d+)\.(\d+)\.(\d{4})(?: (\d+):(\d\d):(\d\d))?$", value)
            assert m, f"{key}: {value!r} is no Netvisor date"
            d, mo, y = int(m[1]), int(m[2]), int(m[3])
            hh, mm, ss = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        if kind == "date":
            return dt.date(y, mo, d)
        return dt.datetime(y, mo, d, hh, mm, ss, tzinfo=HELSINKI)
    if kind == "bool":
        return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}[
            value.lower()
        ]
    return value


def _attrs(elem) -> list[tuple[str, str]]:
    return [(normalise_name(k), v) for k, v in elem.attrib.items() if normalise_name(k) != "format"]


def to_record(elem) -> dict:
    """fields.py: lower-cased keys, typed leaves, leaf attrs as `<el>_<attr>`, REPEATED lists."""
    key = normalise_name(elem.tag)
    record: dict[str, Any] = {n: _coerce(n, v) for n, v in _attrs(elem)}
    repeated = {c for p, c in REPEATED if p == key}
    for child in repeated:
        record[child] = []

    def put(k: str, v: Any) -> None:
        if k in record:
            record[k] = [*record[k], v] if isinstance(record[k], _Multi) else _Multi([record[k], v])
        else:
            record[k] = v

    for child in elem:
        ck = normalise_name(child.tag)
        if ck in repeated:
            if len(child):
                record[ck].append(to_record(child))
            elif (child.text or "").strip() or _attrs(child):
                value = _coerce(ck, child.text)
                extra = {n: _coerce(f"{ck}_{n}", v) for n, v in _attrs(child)}
                record[ck].append({"value": value, **extra} if extra else value)
        elif len(child):
            put(ck, to_record(child))
        else:
            put(ck, _coerce(ck, child.text))
            for n, v in _attrs(child):
                put(f"{ck}_{n}", _coerce(f"{ck}_{n}", v))
    return {k: list(v) if isinstance(v, _Multi) else v for k, v in record.items()}


class _Multi(list):
    pass


def records_at(body: bytes, path: tuple[str, ...]) -> list[dict]:
    node = fromstring(body)
    level = [node]
    for name in path:
        level = [c for parent in level for c in parent if normalise_name(c.tag) == name]
    return [to_record(e) for e in level if len(e)]


# --------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def company():
    c = generate_company(seed=11, size="small")
    c.advance(20)  # edits, invalidations and deletions exist
    return c


@pytest.fixture(scope="module")
def sim(company) -> Iterator[SimulatorServer]:
    with SimulatorServer(company) as server:
        yield server


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as client:
        yield client


def call(sim: SimulatorServer, http: httpx.Client, resource: str, params: dict) -> httpx.Response:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = f"{sim.url}/{resource}.nv" + (f"?{query}" if query else "")
    return http.get(url, headers=sign(url))


def keys(company, kind: str, n: int) -> str:
    return ",".join(str(k) for k in company.keys(kind)[:n])


# --------------------------------------------------------------------- every resource

Case = tuple[str, Callable[[Any], dict], tuple[str, ...], str]
CASES: list[Case] = [
    ("customerlist", lambda c: {}, ("customerlist", "customer"), "Customerlist"),
    (
        "customerlist",
        lambda c: {"changedsince": str(c.today - dt.timedelta(days=30))},
        ("customerlist", "customer"),
        "Customerlist",
    ),
    ("getcustomer", lambda c: {"id": c.keys("customers")[0]}, ("customer",), "Customer"),
    (
        "getcustomer",
        lambda c: {"idlist": keys(c, "customers", 7)},
        ("customers", "customer"),
        "Customers",
    ),
    ("getvendor", lambda c: {"netvisorkey": c.keys("vendors")[1]}, ("vendor",), "Vendor"),
    (
        "getvendor",
        lambda c: {"netvisorkeylist": keys(c, "vendors", 5)},
        ("vendors", "vendor"),
        "Vendors",
    ),
    ("getvendor", lambda c: {"changedsince": "2000-01-01"}, ("vendors", "vendor"), "Vendors"),
    ("productlist", lambda c: {}, ("productlist", "product"), "ProductList"),
    ("getproduct", lambda c: {"id": c.keys("products")[2]}, ("product",), "Product"),
    (
        "getproduct",
        lambda c: {"idlist": keys(c, "products", 9)},
        ("products", "product"),
        "Products",
    ),
    ("salesinvoicelist", lambda c: {}, ("salesinvoicelist", "salesinvoice"), "SalesInvoiceList"),
    (
        "salesinvoicelist",
        lambda c: {"listtype": "preinvoice"},
        ("salesinvoicelist", "salesinvoice"),
        "SalesInvoiceList",
    ),
    (
        "salesinvoicelist",
        lambda c: {"begininvoicedate": "2025-03-01", "endinvoicedate": "2025-03-31"},
        ("salesinvoicelist", "salesinvoice"),
        "SalesInvoiceList",
    ),
    (
        "salesinvoicelist",
        lambda c: {
            "lastmodifiedstart": str(c.today - dt.timedelta(days=5)),
            "lastmodifiedend": str(c.today),
            "includemodifiedpayments": 1,
        },
        ("salesinvoicelist", "salesinvoice"),
        "SalesInvoiceList",
    ),
    (
        "getsalesinvoice",
        lambda c: {"netvisorkey": c.keys("sales_invoices")[-1], "pdfimage": "nopdf"},
        ("salesinvoice",),
        "SalesInvoice",
    ),
    (
        "getsalesinvoice",
        lambda c: {"netvisorkeylist": keys(c, "sales_invoices", 60), "showcommentlines": 1},
        ("salesinvoices", "salesinvoice"),
        "SalesInvoices",
    ),
    (
        "getorder",
        lambda c: {"netvisorkey": c.keys("sales_orders")[0]},
        ("salesinvoice",),
        "SalesInvoice",
    ),
    (
        "getorder",
        lambda c: {"netvisorkeylist": keys(c, "sales_orders", 20)},
        ("salesinvoices", "salesinvoice"),
        "SalesInvoices",
    ),
    (
        "purchaseinvoicelist",
        lambda c: {"begininvoicedate": "2025-01-01", "endinvoicedate": "2025-06-30"},
        ("purchaseinvoicelist", "purchaseinvoice"),
        "PurchaseInvoiceList",
    ),
    (
        "getpurchaseinvoice",
        lambda c: {"netvisorkey": c.keys("purchase_invoices")[3], "version": 2},
        ("purchaseinvoice",),
        "PurchaseInvoice",
    ),
    (
        "getpurchaseinvoice",
        lambda c: {
            "netvisorkeylist": keys(c, "purchase_invoices", 30),
            "version": 2,
            "omitattachments": "true",
        },
        ("purchaseinvoices", "purchaseinvoice"),
        "PurchaseInvoices",
    ),
    (
        "getpurchaseinvoice",
        lambda c: {"netvisorkeylist": keys(c, "purchase_invoices", 5)},
        ("purchaseinvoices", "purchaseinvoice"),
        "PurchaseInvoices",
    ),
    (
        "purchaseorderlist",
        lambda c: {},
        ("purchaseorderlist", "purchaseorder"),
        "PurchaseOrderList",
    ),
    (
        "getpurchaseorder",
        lambda c: {"netvisorkey": c.keys("purchase_orders")[0]},
        ("purchaseorder",),
        "PurchaseOrder",
    ),
    (
        "getpurchaseorder",
        lambda c: {"netvisorkeylist": keys(c, "purchase_orders", 10)},
        ("purchaseorders", "purchaseorder"),
        "PurchaseOrders",
    ),
    (
        "accountingledger",
        lambda c: {"startdate": "2025-02-01", "enddate": "2025-02-28"},
        ("vouchers", "voucher"),
        "Vouchers",
    ),
    (
        "accountingledger",
        lambda c: {"changedsince": str(c.today - dt.timedelta(days=10)), "voucherstatus": 1},
        ("vouchers", "voucher"),
        "Vouchers",
    ),
    (
        "accountingledger",
        lambda c: {"netvisorkeylist": keys(c, "vouchers", 50), "voucherstatus": 1},
        ("vouchers", "voucher"),
        "Vouchers",
    ),
    (
        "salespaymentlist",
        lambda c: {"begindate": "2025-01-01", "enddate": "2025-04-30"},
        ("salespaymentlist", "salespayment"),
        "SalesPaymentList",
    ),
    ("paymentlist", lambda c: {}, ("paymentlist", "payment"), "PaymentList"),
    ("accountlist", lambda c: {}, ("accountlist", "accounts", "account"), "AccountList"),
    (
        "accountingperiodlist",
        lambda c: {},
        ("accountingperiodlist", "period"),
        "AccountingPeriodList",
    ),
    (
        "vouchertypelist",
        lambda c: {},
        ("vouchertypelist", "vouchertypes", "vouchertype"),
        "VoucherTypeList",
    ),
    (
        "dimensionlist",
        lambda c: {"showhidden": 1},
        ("dimensionnamelist", "dimensionname"),
        "DimensionNameList",
    ),
    ("paymenttermlist", lambda c: {}, ("paymenttermlist", "paymentterm"), "PaymentTermList"),
    (
        "salespersonnellist",
        lambda c: {},
        ("salespersonnellist", "salesperson"),
        "SalesPersonnelList",
    ),
    *[
        (
            f"deleted{name}",
            lambda c: {"deletedsince": str(c.today - dt.timedelta(days=7))},
            (f"deleted{name}", f"deleted{single}"),
            f"Deleted{cap}",
        )
        for name, single, cap in [
            ("vouchers", "voucher", "Vouchers"),
            ("salesinvoices", "salesinvoice", "SalesInvoices"),
            ("salesorders", "salesorder", "SalesOrders"),
            ("salespayments", "salespayment", "SalesPayments"),
            ("purchaseinvoices", "purchaseinvoice", "PurchaseInvoices"),
            ("purchaseorders", "purchaseorder", "PurchaseOrders"),
            ("purchasepayments", "purchasepayment", "PurchasePayments"),
        ]
    ],
]


OWN_KEY = {
    "getsalesinvoice": ("salesinvoicenetvisorkey",),
    "getorder": ("salesinvoicenetvisorkey",),
    "getpurchaseinvoice": ("purchaseinvoicenetvisorkey",),
    "getcustomer": ("customerbaseinformation", "netvisorkey"),
}


def _as_rendered(resource: str, record: dict) -> dict:
    """Ground truth is what a client ends up with; the body of an older-shape document lacks
    its own key (the client restores it from its request)."""
    path = OWN_KEY.get(resource)
    if path is None:
        return record
    holder = record if len(path) == 1 else record.get(path[0]) or {}
    if not sim_handlers.older_shape(holder.get(path[-1])):
        return record
    if len(path) == 1:
        return {k: v for k, v in record.items() if k != path[0]}
    return {**record, path[0]: {k: v for k, v in holder.items() if k != path[1]}}


def test_detail_documents_answer_in_older_shapes_at_a_realistic_rate(company) -> None:
    keys = company.keys("sales_invoices")
    older = sum(sim_handlers.older_shape(k) for k in keys)
    assert 0.02 * len(keys) < older < 0.2 * len(keys)


@pytest.mark.parametrize(
    ("resource", "params_of", "path", "root"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_resource_body_equals_ground_truth(sim, http, company, resource, params_of, path, root):
    params = params_of(company)
    response = call(sim, http, resource, params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    payload = list(fromstring(response.content))[1]
    assert payload.tag == root
    body_records = records_at(response.content, path)
    truth = sim.ground_truth(resource, {k: str(v) for k, v in params.items()})
    assert body_records == [_as_rendered(resource, t) for t in truth]
    if not resource.startswith("deleted"):
        assert truth, f"{resource} {params} answered no records; the case tests nothing"


def test_deletions_exist_after_advancing(sim, http, company):
    since = {"deletedsince": str(company.today - dt.timedelta(days=7))}
    total = sum(
        len(sim.ground_truth(f"deleted{name}", since)) for name in sim_handlers.DELETED_KINDS
    )
    assert total > 0


def test_account_balances_are_flat_records_of_the_nested_body(sim, http, company):
    params = {"balancedates": "2025-01-01,2025-06-30", "intervaltype": 3}
    response = call(sim, http, "accountbalance", params)
    root = fromstring(response.content)
    flat = [
        {
            "netvisorkey": int(acc.get("netvisorkey")),
            "date": dt.date.fromisoformat(bal.get("date")),
            **{
                k: _coerce(k, bal.find(k.capitalize()).text) for k in ("debet", "kredit", "balance")
            },
        }
        for acc in root.find("AccountBalances")
        for bal in acc
    ]
    truth = sim.ground_truth("accountbalance", {k: str(v) for k, v in params.items()})
    assert flat == truth
    assert {r["date"] for r in truth} == {dt.date(2025, m, 1) for m in range(1, 7)} | {
        dt.date(2025, 6, 30)
    }


# --------------------------------------------------------------------- envelope and formats


def test_envelope_bytes(sim, http):
    response = call(sim, http, "accountlist", {})
    body = response.content
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Root>\r\n')
    # As in the real AccountingPeriodList.xml, some resources answer without a declaration.
    assert call(sim, http, "paymenttermlist", {}).content.startswith(b"<Root>\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    stamp = fromstring(body).find("ResponseStatus/TimeStamp").text
    assert re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d\d:\d\d", stamp)
    parsed = dt.datetime.strptime(stamp, "%d.%m.%Y %H:%M:%S").replace(tzinfo=HELSINKI)
    # The server's clock is the simulated company's: it moves with advance(), not with ours.
    assert parsed == sim.company.now
    assert response.headers.get("transfer-encoding") == "chunked"  # streamed


def test_format_quirks_match_the_samples(sim, http, company):
    text = call(sim, http, "customerlist", {}).text
    assert "<Netvisorkey>" in text and "<NetvisorKey>" not in text
    text = call(sim, http, "salesinvoicelist", {"invoicesabovenetvisorkey": 0}).text
    assert re.search(r'<Invoicedate format="ansi">\d{4}-\d\d-\d\d</Invoicedate>', text)
    assert re.search(r"<InvoiceSum>-?\d+,\d\d</InvoiceSum>", text)
    key = company.keys("sales_invoices")[0]
    text = call(sim, http, "getsalesinvoice", {"netvisorkey": key}).text
    assert re.search(r'<productidentifier type="\w+">', text)
    assert re.search(r'<SalesInvoiceDate format="ansi">\d{4}-\d\d-\d\d<', text)
    text = call(sim, http, "accountingledger", {"startdate": "2025-03-01", "enddate": "2025-03-02"})
    assert re.search(r"<VoucherDate>\d{1,2}\.3\.2025</VoucherDate>", text.text)
    assert '<Voucher Status="valid">' in text.text
    text = call(sim, http, "dimensionlist", {"showhidden": 1}).text
    assert re.search(r"<IsHidden>(True|False)</IsHidden>", text)
    text = call(sim, http, "accountlist", {}).text
    assert re.search(r"<IsActive>[01]</IsActive>", text)


def test_empty_list_is_an_empty_wrapper(sim, http):
    response = call(
        sim, http, "accountingledger", {"startdate": "2019-01-01", "enddate": "2019-01-02"}
    )
    assert "<Vouchers/>" in response.text


def test_paths_and_parameter_names_are_case_insensitive(sim, http, company):
    url = f"{sim.url}/SalesInvoiceList.nv?InvoicesAboveNetvisorKey=0&ListType=preinvoice"
    response = http.get(url, headers=sign(url))
    assert response.status_code == 200
    truth = sim.ground_truth("salesinvoicelist", {"listtype": "preinvoice"})
    assert records_at(response.content, ("salesinvoicelist", "salesinvoice")) == truth


# --------------------------------------------------------------------- errors, caps, paging


def failed(response: httpx.Response) -> str:
    statuses = [s.text for s in fromstring(response.content).find("ResponseStatus")]
    assert statuses[0] == "FAILED"
    return statuses[1]


def test_unknown_resource_is_404_with_envelope(sim, http):
    response = call(sim, http, "getwidgets", {})
    assert response.status_code == 404
    assert failed(response).startswith("INVALID_DATA :: ")


def test_unknown_customer_is_invalid_data(sim, http):
    response = call(sim, http, "getcustomer", {"id": 999})
    assert response.status_code == 400
    assert failed(response) == (
        "INVALID_DATA :: Data form incorrect:. Customer not found with Netvisor identifier: 999"
    )


@pytest.mark.parametrize(
    ("resource", "params", "element"),
    [
        ("getproduct", {"id": 1}, "<Product></Product>"),
        ("getsalesinvoice", {"netvisorkey": 1}, "<SalesInvoice/>"),
        ("getpurchaseinvoice", {"netvisorkey": 1, "version": 2}, "<PurchaseInvoice/>"),
    ],
)
def test_not_found_is_ok_with_empty_entity(sim, http, resource, params, element):
    response = call(sim, http, resource, params)
    assert response.status_code == 200
    assert element in response.text
    assert sim.ground_truth(resource, {k: str(v) for k, v in params.items()}) == []


@pytest.mark.parametrize(
    ("resource", "param", "cap"),
    [
        ("getcustomer", "idlist", 500),
        ("getproduct", "idlist", 400),
        ("getsalesinvoice", "netvisorkeylist", 500),
        ("getorder", "netvisorkeylist", 500),
        ("getpurchaseinvoice", "netvisorkeylist", 500),
        ("accountingledger", "netvisorkeylist", 500),
        ("customerlist", "customercodelist", 100),
    ],
)
def test_key_list_caps(sim, http, company, resource, param, cap):
    kind = {"getcustomer": "customers", "getproduct": "products"}.get(resource, "vouchers")
    pool = company.keys(kind)
    at_cap = ",".join(str(pool[i % len(pool)]) for i in range(cap))
    assert call(sim, http, resource, {param: at_cap}).status_code == 200
    over = call(sim, http, resource, {param: at_cap + f",{pool[0]}"})
    assert over.status_code == 400
    assert failed(over).startswith("INVALID_DATA :: ")


@pytest.mark.parametrize(
    ("resource", "params"),
    [
        ("accountingledger", {}),
        ("accountingledger", {"startdate": "2025-01-01"}),
        ("accountbalance", {}),
        ("deletedvouchers", {}),
        ("getcustomer", {}),
        ("getvendor", {}),
        ("getsalesinvoice", {}),
        ("salesinvoicelist", {"startdate": "x", "begininvoicedate": "31.1.2025"}),
    ],
)
def test_missing_or_bad_parameters_are_invalid_data(sim, http, resource, params):
    response = call(sim, http, resource, params)
    assert response.status_code == 400
    assert failed(response).startswith("INVALID_DATA :: ")


def test_sales_invoice_list_cap_walked_by_key(sim, http, company):
    seen: list[int] = []
    above = 0
    requests = 0
    while True:
        response = call(sim, http, "salesinvoicelist", {"invoicesabovenetvisorkey": above})
        rows = records_at(response.content, ("salesinvoicelist", "salesinvoice"))
        requests += 1
        assert len(rows) <= 500
        seen.extend(r["netvisorkey"] for r in rows)
        if len(rows) < 500:
            break
        above = rows[-1]["netvisorkey"]
    expected = company.keys("sales_invoices")
    assert len(expected) > 1000
    assert seen == expected
    assert requests == math.ceil((len(expected) + 1) / 500)


def test_vendor_paging_headers(sim, http, company, monkeypatch):
    monkeypatch.setattr(sim_handlers, "VENDOR_PAGE_SIZE", 15)
    total = len(company.keys("vendors"))
    pages = math.ceil(total / 15)
    seen = []
    for page in range(1, pages + 1):
        response = call(sim, http, "getvendor", {"changedsince": "2000-01-01", "page": page})
        h = response.headers
        assert h["X-Netvisor-Pagination-Current-Page"] == str(page)
        assert h["X-Netvisor-Pagination-Limit"] == "15"
        assert h["X-Netvisor-Pagination-Total-Count"] == str(total)
        assert h.get("X-Netvisor-Pagination-Previous-Page") == (str(page - 1) if page > 1 else None)
        assert h.get("X-Netvisor-Pagination-Next-Page") == (str(page + 1) if page < pages else None)
        seen.extend(r["netvisorkey"] for r in records_at(response.content, ("vendors", "vendor")))
    assert seen == company.keys("vendors")


def test_voucher_status_filter(sim, company):
    window = {"startdate": "2025-01-01", "enddate": str(company.today)}
    valid = sim.ground_truth("accountingledger", window)
    everything = sim.ground_truth("accountingledger", {**window, "voucherstatus": "1"})
    invalid = sim.ground_truth("accountingledger", {**window, "voucherstatus": "3"})
    assert {v.get("status", "valid") for v in valid} == {"valid"}  # absent means valid
    assert invalid and {v["status"] for v in invalid} <= {"invalidated", "deleted"}
    assert len(everything) == len(valid) + len(invalid)


def test_lines_of_valid_vouchers_balance(sim):
    vouchers = sim.ground_truth(
        "accountingledger", {"startdate": "2025-01-01", "enddate": "2025-12-31"}
    )
    assert vouchers
    for voucher in vouchers:
        assert sum(line["linesum"] for line in voucher["voucherline"]) == 0


# --------------------------------------------------------------------- admin, server, CLI


def test_admin_endpoints(company):
    c = generate_company(seed=5, size="tiny")
    with SimulatorServer(c) as sim, httpx.Client() as http:
        before = http.get(f"{sim.url}/_admin/counts").json()
        summary = http.post(f"{sim.url}/_admin/advance?days=3").json()
        after = http.get(f"{sim.url}/_admin/counts").json()
        assert set(summary) >= {"created", "edited", "deleted"}
        assert after["vouchers"] >= before["vouchers"]
        call(sim, http, "paymenttermlist", {})
        call(sim, http, "getwidgets", {})
        stats = http.get(f"{sim.url}/_admin/stats").json()
        assert stats["requests_served"] == 2 == sim.requests_served
        assert stats["per_resource"] == {"paymenttermlist": 1, "unknown": 1}
        assert sim.counts() == after
        in_process = sim.advance(2)
        assert sum(in_process["created"].values()) > 0
        assert c.today == dt.date.fromisoformat(str(c.today))


def test_admin_refuses_non_loopback_clients(company):
    import asyncio

    app = SimulatorServer(company).app
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/_admin/stats",
        "raw_path": b"/_admin/stats",
        "query_string": b"",
        "headers": [],
        "client": ("192.0.2.10", 50000),
        "server": ("192.0.2.1", 8765),
        "scheme": "http",
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 403


def test_two_servers_get_distinct_free_ports():
    c = generate_company(seed=2, size="tiny")
    with SimulatorServer(c) as a, SimulatorServer(c) as b:
        assert a.port and b.port and a.port != b.port


def test_cli_prints_ready_line_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "netvisor_assets.simulator", "--port", "0", "--size", "tiny"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            match = re.search(r"ready at (http://\S+)", line)
            if match:
                url = match.group(1)
                break
        assert url, "no ready line"
        target = f"{url}/accountlist.nv"
        response = httpx.get(target, headers=sign(target), timeout=30)
        assert response.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --------------------------------------------------------------------- faults


def _outcome(http: httpx.Client, sim: SimulatorServer) -> str:
    url = f"{sim.url}/paymenttermlist.nv"
    try:
        response = http.get(url, headers=sign(url))
    except httpx.TransportError:
        return "reset"
    if response.status_code == 503 and response.headers["content-type"].startswith("text/plain"):
        return "http_503"
    if response.status_code == 500:
        assert failed(response).startswith("TECHNICAL_ERROR :: ")
        return "technical_error"
    if response.status_code == 400:
        assert failed(response).startswith("REQUEST_NOT_UNIQUE :: ")
        return "not_unique"
    try:
        fromstring(response.content)
    except ParseError:
        return "truncate"
    return "ok"


FAULTS = FaultConfig(
    technical_error_rate=0.15,
    http_503_rate=0.1,
    reset_rate=0.1,
    truncate_rate=0.1,
    not_unique_rate=0.05,
    seed=42,
)


def _run_faults(company, n: int) -> list[str]:
    with SimulatorServer(company, faults=FAULTS) as sim, httpx.Client(timeout=30) as http:
        return [_outcome(http, sim) for _ in range(n)]


@pytest.mark.slow
def test_faults_occur_at_configured_rates_and_are_deterministic(company):
    n = 400
    first = _run_faults(company, n)
    predicted = [decide(i, FAULTS, None).fault or "ok" for i in range(1, n + 1)]
    assert first == predicted
    for kind, rate in FAULTS.rates().items():
        observed = first.count(kind) / n
        assert abs(observed - rate) < 4 * math.sqrt(rate * (1 - rate) / n) + 0.01, kind
    assert _run_faults(company, 60) == first[:60]


def test_stalls_trip_client_timeouts(company):
    latency = LatencyConfig(stall_rate=1.0, stall_seconds=1.0)
    with SimulatorServer(company, latency=latency) as sim, httpx.Client(timeout=0.3) as http:
        url = f"{sim.url}/paymenttermlist.nv"
        with pytest.raises(httpx.ReadTimeout):
            http.get(url, headers=sign(url))


def test_latency_delays_responses(company):
    latency = LatencyConfig(mean_ms=40)
    with SimulatorServer(company, latency=latency) as sim, httpx.Client() as http:
        url = f"{sim.url}/paymenttermlist.nv"
        started = time.perf_counter()
        for _ in range(10):
            assert http.get(url, headers=sign(url)).status_code == 200
        mean = (time.perf_counter() - started) / 10
    expected = sum(decide(i, None, latency).delay_seconds for i in range(1, 11)) / 10
    assert mean >= expected * 0.9


def test_truncated_body_is_a_prefix_of_the_real_document(company):
    faults = FaultConfig(truncate_rate=1.0, seed=1)
    with SimulatorServer(company, faults=faults) as sim, httpx.Client() as http:
        cut = call(sim, http, "accountlist", {})
    with SimulatorServer(company) as sim, httpx.Client() as http:
        full = call(sim, http, "accountlist", {})
    assert cut.status_code == 200
    strip = re.compile(rb"<TimeStamp>[^<]*</TimeStamp>")
    cut_body, full_body = strip.sub(b"", cut.content), strip.sub(b"", full.content)
    assert 0 < len(cut_body) < len(full_body)
    assert full_body.startswith(cut_body)
