"""Contract: NetvisorClient's transport behaviour, against `httpx.MockTransport` fakes.

- every request is signed over the URL exactly as sent, with fresh headers per attempt;
- transient failures (TECHNICAL_ERROR, SYSTEM_MAINTENANCE, REQUEST_NOT_UNIQUE, HTTP 5xx,
  connection resets, timeouts, truncated bodies) are retried and recover; configuration
  errors (AUTHENTICATION_FAILED, INVALID_DATA, SERVICE_ACCESS_ERROR, PERIOD_LOCK,
  DUPLICATE_DATA) fail after one request;
- detail calls are batched 500 keys (400 for products); salesinvoicelist.nv is walked past its
  500-row cap; vendor pages follow the pagination headers; ledger ranges go by month;
- requests to one company never overlap, across client instances and threads;
- keys and MACs never appear in logs or exception messages.
End-to-end behaviour against the simulator is tested elsewhere.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from netvisor_assets.netvisor import errors
from netvisor_assets.netvisor.auth import compute_mac
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.netvisor.paging import month_windows
from netvisor_assets.netvisor.query import build_query, format_param
from netvisor_assets.netvisor.xml import HELSINKI
from netvisor_assets.tables.ledger import BALANCE_ENDPOINT, VOUCHER_ENDPOINT
from netvisor_assets.tables.partners import CUSTOMER_ENDPOINT, PRODUCT_ENDPOINT, VENDOR_ENDPOINT
from netvisor_assets.tables.purchases import (
    PURCHASE_INVOICE_ENDPOINT,
    PURCHASE_ORDER_ENDPOINT,
    PURCHASE_PAYMENT_ENDPOINT,
)
from netvisor_assets.tables.reference import (
    DIMENSION_ENDPOINT,
    PAYMENT_TERM_ENDPOINT,
    SALES_PERSONNEL_ENDPOINT,
    VOUCHER_TYPE_ENDPOINT,
)
from netvisor_assets.tables.sales import SALES_INVOICE_ENDPOINT, SALES_ORDER_ENDPOINT

# No sales personnel table yet: the resource declared here, as the old client method read it.

CUSTOMER_KEY = "ck-5ecret-7cd680e89e880553"
PARTNER_KEY = "pk-5ecret-07f94228d149a96b"
ORG = "1967543-8"
OK_STATUS = (
    "<ResponseStatus><Status>OK</Status><TimeStamp>5.6.2023 16:12:09</TimeStamp></ResponseStatus>"
)


def ok(payload: str = "") -> bytes:
    declaration = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
    return f"{declaration}<Root>{OK_STATUS}{payload}</Root>".encode()


def failed(code: str, message: str = "went wrong") -> bytes:
    return (
        "<Root><ResponseStatus><Status>FAILED</Status>"
        f"<Status>{code} :: {message}</Status></ResponseStatus></Root>"
    ).encode()


CUSTOMERS = ok(
    "<Customerlist><Customer><Netvisorkey>1</Netvisorkey><Name>A</Name></Customer>"
    "<Customer><Netvisorkey>2</Netvisorkey><Name>B</Name></Customer></Customerlist>"
)


def params_of(request: httpx.Request) -> dict[str, str]:
    return {k.lower(): v for k, v in parse_qsl(request.url.query.decode(), keep_blank_values=True)}


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    base_url: str = "http://netvisor.test",
    org: str = ORG,
    **kw,
) -> NetvisorClient:
    kw.setdefault("backoff_initial", 0.001)
    kw.setdefault("backoff_max", 0.005)
    kw.setdefault("timeout_cooldown", 0.001)
    return NetvisorClient(
        base_url,
        "tests",
        "CUST",
        CUSTOMER_KEY,
        "PART",
        PARTNER_KEY,
        org,
        "EN",
        transport=httpx.MockTransport(handler),
        **kw,
    )


def verify_mac(request: httpx.Request) -> None:
    """What a server does: recompute the MAC from the URL as received and the headers."""
    h = request.headers
    expected = compute_mac(
        str(request.url),
        h["X-Netvisor-Authentication-Sender"],
        h["X-Netvisor-Authentication-CustomerId"],
        h["X-Netvisor-Authentication-Timestamp"],
        h["X-Netvisor-Interface-Language"],
        h["X-Netvisor-Organisation-ID"],
        h["X-Netvisor-Authentication-TransactionId"],
        h["X-Netvisor-Authentication-TimestampUnix"],
        CUSTOMER_KEY,
        PARTNER_KEY,
    )
    assert h["X-Netvisor-Authentication-MAC"] == expected
    assert h["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] == "HMACSHA256"
    assert h["X-Netvisor-Authentication-UseHTTPResponseStatusCodes"] == "1"


class Script:
    """A fake server answering from a list of steps, recording what it was sent."""

    def __init__(self, *steps: Callable[[httpx.Request], httpx.Response] | httpx.Response):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        verify_mac(request)
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        return step(request) if callable(step) else step

    @property
    def transaction_ids(self) -> list[str]:
        return [r.headers["X-Netvisor-Authentication-TransactionId"] for r in self.requests]


def raise_(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def step(request: httpx.Request) -> httpx.Response:
        raise exc

    return step


# ----------------------------------------------------------------------------- query strings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2024, 1, 5), "2024-01-05"),
        (dt.datetime(2024, 1, 5, 8, 30, 0), "2024-01-05T08:30:00"),
        # Aware datetimes are sent as Helsinki wall-clock time (UTC+2 in January).
        (dt.datetime(2024, 1, 5, 8, 30, tzinfo=dt.UTC), "2024-01-05T10:30:00"),
        (True, "1"),
        (False, "0"),
        (500, "500"),
        ("nopdf", "nopdf"),
        ("1,2,3", "1,2,3"),
        ("a b&c", "a%20b%26c"),
    ],
)
def test_format_param(value, expected):
    assert format_param(value) == expected


def test_query_is_plain_joining_in_order_without_none():
    assert build_query({"b": 1, "skip": None, "a": dt.date(2024, 1, 1)}) == "b=1&a=2024-01-01"
    client = make_client(Script(httpx.Response(200, content=ok())))
    url = client.build_url("AccountingLedger", {"changedsince": dt.datetime(2024, 1, 1, 12)})
    assert url == "http://netvisor.test/AccountingLedger.nv?changedsince=2024-01-01T12:00:00"


def test_signed_url_is_the_url_sent():
    script = Script(httpx.Response(200, content=CUSTOMERS))
    with make_client(script) as client:
        client.list_rows(
            CUSTOMER_ENDPOINT,
            changed_since=dt.datetime(2024, 1, 1, 12, 0, 5),
            params={"keyword": "Oy Ab"},
        )
    [request] = script.requests
    assert request.url.raw_path == (
        b"/customerlist.nv?changedsince=2024-01-01T12:00:05&keyword=Oy%20Ab"
    )


# ----------------------------------------------------------------------------- retries


TRANSIENT = [
    ("technical_error", httpx.Response(500, content=failed("TECHNICAL_ERROR"))),
    ("technical_error_http_200", httpx.Response(200, content=failed("TECHNICAL_ERROR"))),
    ("maintenance", httpx.Response(503, content=failed("SYSTEM_MAINTENANCE"))),
    ("maintenance_typo", httpx.Response(503, content=failed("SYSTEM_MAINTANANCE"))),
    ("http_503_html", httpx.Response(503, content=b"<html>Service Unavailable</html>")),
    ("http_502_empty", httpx.Response(502, content=b"")),
    ("connection_reset", raise_(httpx.ReadError("[Errno 104] Connection reset by peer"))),
    ("connection_refused", raise_(httpx.ConnectError("[Errno 111] Connection refused"))),
    ("read_timeout", raise_(httpx.ReadTimeout("timed out"))),
    ("connect_timeout", raise_(httpx.ConnectTimeout("timed out"))),
    ("remote_protocol", raise_(httpx.RemoteProtocolError("peer closed connection"))),
    ("truncated_body", httpx.Response(200, content=CUSTOMERS[: len(CUSTOMERS) // 2])),
    ("not_unique", httpx.Response(400, content=failed("REQUEST_NOT_UNIQUE"))),
]


@pytest.mark.parametrize(("case", "first"), TRANSIENT, ids=[t[0] for t in TRANSIENT])
def test_transient_failures_are_retried_with_fresh_headers(case, first):
    script = Script(first, first, httpx.Response(200, content=CUSTOMERS))
    with make_client(script) as client:
        records = client.list_rows(CUSTOMER_ENDPOINT)
    assert [r["netvisorkey"] for r in records] == [1, 2]
    assert client.requests_made == 3
    assert len(set(script.transaction_ids)) == 3  # a new transaction id on every attempt
    macs = {r.headers["X-Netvisor-Authentication-MAC"] for r in script.requests}
    assert len(macs) == 3


PERMANENT = [
    ("AUTHENTICATION_FAILED", 401, errors.AuthenticationFailed),
    ("AUTHENTICATION_FAILED", 200, errors.AuthenticationFailed),
    ("INVALID_DATA", 400, errors.InvalidData),
    ("INVALID_DATA_SIZE", 400, errors.InvalidDataSize),
    ("SERVICE_ACCESS_ERROR", 403, errors.ServiceAccessError),
    ("PERIOD_LOCK", 400, errors.PeriodLock),
    ("DUPLICATE_DATA", 409, errors.DuplicateData),
    ("SOMETHING_NEW", 400, errors.UnknownNetvisorError),
]


@pytest.mark.parametrize(("code", "status", "cls"), PERMANENT)
def test_permanent_errors_are_not_retried(code, status, cls):
    script = Script(httpx.Response(status, content=failed(code, "nope")))
    with make_client(script) as client, pytest.raises(cls) as info:
        client.list_rows(CUSTOMER_ENDPOINT)
    assert client.requests_made == 1
    assert info.value.code == code and info.value.resource == "customerlist.nv"
    assert info.value.message == "nope"


def test_http_404_without_envelope_is_not_retried():
    script = Script(httpx.Response(404, content=b"<html>Not found</html>"))
    with make_client(script) as client, pytest.raises(errors.UnexpectedHttpStatus, match="404"):
        client.request("nosuchresource.nv")
    assert client.requests_made == 1


def test_uncoercible_value_is_not_retried():
    body = ok("<Customerlist><Customer><Netvisorkey>x</Netvisorkey></Customer></Customerlist>")
    script = Script(httpx.Response(200, content=body))
    with make_client(script) as client, pytest.raises(errors.UnexpectedValue):
        client.list_rows(CUSTOMER_ENDPOINT)
    assert client.requests_made == 1


@pytest.mark.parametrize(
    ("step", "cls"),
    [
        (httpx.Response(500, content=failed("TECHNICAL_ERROR")), errors.TechnicalError),
        (raise_(httpx.ConnectError("[Errno 111] Connection refused")), errors.NetvisorUnavailable),
        (raise_(httpx.ReadTimeout("timed out")), errors.NetvisorUnavailable),
        (httpx.Response(200, content=b"<Root><Respo"), errors.MalformedResponse),
    ],
)
def test_retries_give_up_after_max_attempts(step, cls):
    script = Script(step)
    with make_client(script, max_attempts=3) as client, pytest.raises(cls) as info:
        client.list_rows(CUSTOMER_ENDPOINT)
    assert client.requests_made == 3
    if cls is errors.NetvisorUnavailable:
        assert "netvisor.test" in str(info.value) and "attempt 3 of 3" in str(info.value)


def test_maintenance_waits_the_longest_pause(monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", sleeps.append)
    script = Script(
        httpx.Response(503, content=failed("SYSTEM_MAINTENANCE")),
        httpx.Response(500, content=failed("TECHNICAL_ERROR")),
        httpx.Response(200, content=CUSTOMERS),
    )
    with make_client(script, backoff_initial=0.5, backoff_max=30.0) as client:
        client.list_rows(CUSTOMER_ENDPOINT)
    assert sleeps[0] == 30.0
    assert 1.0 <= sleeps[1] <= 1.5  # 0.5 * 2 ** (attempt - 1) plus up to 0.5 jitter


def test_request_returns_checked_raw_response():
    script = Script(httpx.Response(200, content=CUSTOMERS, headers={"X-Test": "1"}))
    with make_client(script) as client:
        raw = client.request("customerlist.nv", {"changedsince": dt.date(2024, 1, 1)})
    assert raw.status_code == 200 and raw.body == CUSTOMERS and raw.headers["x-test"] == "1"
    assert raw.envelope is not None and raw.envelope.ok
    assert raw.envelope.timestamp == dt.datetime(2023, 6, 5, 16, 12, 9, tzinfo=HELSINKI)
    assert raw.transaction_id == script.transaction_ids[0]
    assert raw.url.endswith("/customerlist.nv?changedsince=2024-01-01")


# ----------------------------------------------------------------------------- batching


def echo_details(root: str, item: str, key_param: str, key_element: str):
    """A detail resource answering one element per requested key."""

    def handler(request: httpx.Request) -> httpx.Response:
        keys = params_of(request)[key_param].split(",")
        items = "".join(f"<{item}><{key_element}>{k}</{key_element}></{item}>" for k in keys)
        return httpx.Response(200, content=ok(f"<{root}>{items}</{root}>"))

    return handler


@pytest.mark.parametrize(
    ("endpoint", "resource", "key_param", "root", "item", "key_element", "sizes", "extra"),
    [
        (
            SALES_INVOICE_ENDPOINT,
            "getsalesinvoice.nv",
            "netvisorkeylist",
            "SalesInvoices",
            "SalesInvoice",
            "SalesInvoiceNetvisorKey",
            [500, 500, 201],
            {"pdfimage": "nopdf", "showcommentlines": "1"},
        ),
        (
            SALES_ORDER_ENDPOINT,
            "getorder.nv",
            "netvisorkeylist",
            "SalesInvoices",
            "SalesInvoice",
            "SalesInvoiceNetvisorKey",
            [500, 500, 201],
            {"pdfimage": "nopdf", "showcommentlines": "1"},
        ),
        (
            PURCHASE_INVOICE_ENDPOINT,
            "getpurchaseinvoice.nv",
            "netvisorkeylist",
            "PurchaseInvoices",
            "PurchaseInvoice",
            "PurchaseInvoiceNetvisorKey",
            [500, 500, 201],
            {"version": "2", "omitattachments": "true"},
        ),
        (
            PURCHASE_ORDER_ENDPOINT,
            "getpurchaseorder.nv",
            "netvisorkeylist",
            "PurchaseOrders",
            "PurchaseOrder",
            "NetvisorKey",
            [500, 500, 201],
            {},
        ),
        (
            CUSTOMER_ENDPOINT,
            "getcustomer.nv",
            "idlist",
            "Customers",
            "Customer",
            "NetvisorKey",
            [500, 500, 201],
            {},
        ),
        (
            VENDOR_ENDPOINT,
            "getvendor.nv",
            "netvisorkeylist",
            "Vendors",
            "Vendor",
            "NetvisorKey",
            [500, 500, 201],
            {},
        ),
        (
            PRODUCT_ENDPOINT,
            "getproduct.nv",
            "idlist",
            "Products",
            "Product",
            "NetvisorKey",
            [400, 400, 400, 1],
            {},
        ),
    ],
)
def test_detail_calls_are_batched(
    endpoint, resource, key_param, root, item, key_element, sizes, extra
):
    script = Script(echo_details(root, item, key_param, key_element))
    keys = list(range(1, 1202)) + [5, 6]  # duplicates are asked for once
    with make_client(script) as client:
        records = client.details(endpoint, keys)
    assert [r[key_element.lower()] for r in records] == list(range(1, 1202))
    assert [len(params_of(r)[key_param].split(",")) for r in script.requests] == sizes
    for request in script.requests:
        assert request.url.path == f"/{resource}"
        params = params_of(request)
        assert {k: params[k] for k in extra} == extra


def test_empty_key_list_makes_no_request():
    script = Script(httpx.Response(200, content=ok()))
    with make_client(script) as client:
        assert client.details(SALES_INVOICE_ENDPOINT, []) == []
    assert client.requests_made == 0


def sales_invoice_server(total: int, cap: int = 500):
    """salesinvoicelist.nv that returns at most `cap` rows above `invoicesabovenetvisorkey`."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/salesinvoicelist.nv":
            above = int(params_of(request).get("invoicesabovenetvisorkey", 0))
            keys = [k for k in range(1, total + 1) if k > above][:cap]
            rows = "".join(
                f"<SalesInvoice><NetvisorKey>{k}</NetvisorKey><InvoiceSum>{k},50</InvoiceSum>"
                "</SalesInvoice>"
                for k in keys
            )
            return httpx.Response(200, content=ok(f"<SalesInvoiceList>{rows}</SalesInvoiceList>"))
        return echo_details(
            "SalesInvoices", "SalesInvoice", "netvisorkeylist", "SalesInvoiceNetvisorKey"
        )(request)

    return handler


@pytest.mark.parametrize(
    ("total", "aboves"),
    [
        (0, ["0"]),
        (499, ["0"]),
        (500, ["0", "500"]),
        (1234, ["0", "500", "1000"]),
        (1500, ["0", "500", "1000", "1500"]),
    ],
)
def test_sales_invoice_list_walks_past_the_cap(total, aboves):
    script = Script(sales_invoice_server(total))
    with make_client(script) as client:
        rows = client.list_rows(
            SALES_INVOICE_ENDPOINT, window=(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
        )
    assert [r["netvisorkey"] for r in rows] == list(range(1, total + 1))
    assert all(r["invoicesum"] == Decimal(r["netvisorkey"]) + Decimal("0.5") for r in rows)
    assert [params_of(r)["invoicesabovenetvisorkey"] for r in script.requests] == aboves
    assert {params_of(r)["begininvoicedate"] for r in script.requests} == {"2024-01-01"}
    assert {params_of(r)["endinvoicedate"] for r in script.requests} == {"2024-01-31"}


def test_sales_invoices_lists_then_fetches_details():
    script = Script(sales_invoice_server(1234))
    with make_client(script) as client:
        invoices = client.fetch(
            SALES_INVOICE_ENDPOINT, window=(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
        )
    assert [i["salesinvoicenetvisorkey"] for i in invoices] == list(range(1, 1235))
    paths = [r.url.path for r in script.requests]
    assert paths == ["/salesinvoicelist.nv"] * 3 + ["/getsalesinvoice.nv"] * 3


def test_sales_list_ignoring_the_key_parameter_does_not_loop_forever():
    def handler(request: httpx.Request) -> httpx.Response:
        rows = "".join(
            f"<SalesInvoice><NetvisorKey>{k}</NetvisorKey></SalesInvoice>" for k in range(1, 501)
        )
        return httpx.Response(200, content=ok(f"<SalesInvoiceList>{rows}</SalesInvoiceList>"))

    script = Script(handler)
    with make_client(script) as client:
        assert len(client.list_rows(SALES_INVOICE_ENDPOINT)) == 500
    assert client.requests_made == 2


def test_modified_payments_filter_gets_both_ends():
    script = Script(sales_invoice_server(3))
    since = dt.datetime(2024, 3, 1, 6, 0, tzinfo=HELSINKI)
    with make_client(script) as client:
        client.list_rows(
            SALES_INVOICE_ENDPOINT,
            modified=(since, None),
            params={"includemodifiedpayments": 1},
        )
        client.list_rows(SALES_ORDER_ENDPOINT, modified=(dt.date(2024, 3, 1), None))
    first, second = (params_of(r) for r in script.requests)
    assert first["lastmodifiedstart"] == "2024-03-01T06:00:00"
    assert first["includemodifiedpayments"] == "1"
    assert dt.datetime.fromisoformat(first["lastmodifiedend"]) > dt.datetime(2024, 3, 2)
    assert "listtype" not in first
    assert second["listtype"] == "preinvoice" and "lastmodifiedend" not in second


def vendor_server(total: int, page_size: int = 500, headers: bool = True):
    def handler(request: httpx.Request) -> httpx.Response:
        params = params_of(request)
        page = int(params.get("page", 1))
        keys = list(range(1, total + 1))[(page - 1) * page_size : page * page_size]
        rows = "".join(
            f"<Vendor><NetvisorKey>{k}</NetvisorKey><VendorBaseInformation><Name>V{k}</Name>"
            "</VendorBaseInformation></Vendor>"
            for k in keys
        )
        pages = max(1, -(-total // page_size))
        paging = {
            "X-Netvisor-Pagination-Current-Page": str(page),
            "X-Netvisor-Pagination-Previous-Page": str(page - 1) if page > 1 else "",
            "X-Netvisor-Pagination-Next-Page": str(page + 1) if page < pages else "",
            "X-Netvisor-Pagination-Limit": str(page_size),
            "X-Netvisor-Pagination-Total-Count": str(total),
        }
        return httpx.Response(
            200, content=ok(f"<Vendors>{rows}</Vendors>"), headers=paging if headers else {}
        )

    return handler


@pytest.mark.parametrize(
    ("total", "page_size", "pages"),
    [(0, 500, 1), (1, 500, 1), (500, 500, 1), (1200, 500, 3), (250, 100, 3)],
)
def test_vendor_paging_follows_headers(total, page_size, pages):
    script = Script(vendor_server(total, page_size))
    with make_client(script) as client:
        vendors = client.fetch(VENDOR_ENDPOINT)
    assert [v["netvisorkey"] for v in vendors] == list(range(1, total + 1))
    assert [params_of(r)["page"] for r in script.requests] == [str(p + 1) for p in range(pages)]
    # Full enumeration uses an old changed-since date.
    assert {params_of(r)["changedsince"] for r in script.requests} == {"2000-01-01"}


def test_vendor_paging_without_headers_takes_one_page():
    script = Script(vendor_server(700, headers=False))
    with make_client(script) as client:
        vendors = client.fetch(VENDOR_ENDPOINT, changed_since=dt.date(2024, 5, 1))
    assert len(vendors) == 500 and client.requests_made == 1
    assert params_of(script.requests[0])["changedsince"] == "2024-05-01"


# ----------------------------------------------------------------------------- ledger etc.


def ledger_server(request: httpx.Request) -> httpx.Response:
    """Vouchers dated in the asked window, `LEDGER_PER_DAY` of them each day (keys by day)."""
    params = params_of(request)
    start = dt.date.fromisoformat(params.get("startdate", "2024-01-01"))
    end = dt.date.fromisoformat(params.get("enddate", params.get("startdate", "2024-01-01")))
    vouchers = []
    day = start
    while day <= end:
        for n in range(LEDGER_PER_DAY):
            vouchers.append(
                f'<Voucher status="valid"><NetvisorKey>{day.toordinal() * 100 + n}</NetvisorKey>'
                f"<VoucherDate>{day.day}.{day.month}.{day.year}</VoucherDate>"
                "<VoucherLine><LineSum>1,00</LineSum></VoucherLine>"
                "<VoucherLine><LineSum>-1,00</LineSum></VoucherLine></Voucher>"
            )
        day += dt.timedelta(days=1)
    return httpx.Response(200, content=ok(f"<Vouchers>{''.join(vouchers)}</Vouchers>"))


LEDGER_PER_DAY = 40


def test_vouchers_by_windows_sized_to_the_response_budget():
    script = Script(ledger_server)
    first, last = dt.date(2024, 1, 1), dt.date(2024, 3, 31)
    with make_client(script) as client:
        vouchers = client.fetch(VOUCHER_ENDPOINT, window=(first, last))
    assert len(vouchers) == len({v["netvisorkey"] for v in vouchers}) == 91 * LEDGER_PER_DAY
    assert sum(line["linesum"] for line in vouchers[0]["voucherline"]) == Decimal("0")
    windows = [
        (dt.date.fromisoformat(params_of(r)["startdate"]), params_of(r)["enddate"])
        for r in script.requests
    ]
    days = [(dt.date.fromisoformat(end) - start).days + 1 for start, end in windows]
    # A month first (nothing known yet), then windows of budget / density days, adjacent.
    budget_days = VOUCHER_ENDPOINT.list.budget // LEDGER_PER_DAY
    assert days == [31] + [budget_days] * 5
    assert windows[-1][1] == last.isoformat()
    assert {params_of(r)["voucherstatus"] for r in script.requests} == {"1"}


def test_vouchers_by_change_filter_and_keys():
    script = Script(ledger_server)
    with make_client(script) as client:
        client.fetch(VOUCHER_ENDPOINT, changed_since=dt.datetime(2024, 2, 1, 3, 4, 5))
        client.fetch(VOUCHER_ENDPOINT, keys=range(1, 751))
    changed, *by_keys = (params_of(r) for r in script.requests)
    assert changed == {"changedsince": "2024-02-01T03:04:05", "voucherstatus": "1"}
    assert [len(p["netvisorkeylist"].split(",")) for p in by_keys] == [500, 250]
    assert all(set(p) == {"netvisorkeylist"} for p in by_keys)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"keys": [1], "changed_since": dt.date(2024, 1, 1)},
    ],
)
def test_vouchers_rejects_impossible_filters(kwargs):
    with make_client(Script(ledger_server)) as client, pytest.raises(ValueError):
        client.fetch(VOUCHER_ENDPOINT, **kwargs)
    assert client.requests_made == 0


def test_month_windows():
    assert month_windows(dt.date(2024, 12, 31), dt.date(2025, 1, 1)) == [
        (dt.date(2024, 12, 31), dt.date(2024, 12, 31)),
        (dt.date(2025, 1, 1), dt.date(2025, 1, 1)),
    ]
    assert month_windows(dt.date(2024, 2, 1), dt.date(2024, 1, 1)) == []


BALANCES = ok(
    "<AccountBalances>"
    '<Account netvisorkey="10"><AccountBalance date="2024-01-01"><Debet>100,00</Debet>'
    "<Kredit>40,50</Kredit><Balance>59,50</Balance></AccountBalance>"
    '<AccountBalance date="2024-01-02"><Debet>100,00</Debet><Kredit>0</Kredit>'
    "<Balance>100,00</Balance></AccountBalance></Account>"
    '<Account netvisorkey="11"><AccountBalance date="2024-01-01"><Debet>0</Debet>'
    "<Kredit>1,5</Kredit><Balance>-1,5</Balance></AccountBalance></Account>"
    "</AccountBalances>"
)


def test_account_balances_flatten_per_account_and_date():
    script = Script(httpx.Response(200, content=BALANCES))
    with make_client(script) as client:
        rows = client.fetch(BALANCE_ENDPOINT, window=(dt.date(2024, 1, 1), dt.date(2024, 1, 2)))
        dates = [dt.date(2024, 1, 31), dt.date(2024, 2, 29)]
        client.fetch(
            BALANCE_ENDPOINT,
            params={
                "balancedates": ",".join(d.isoformat() for d in dates),
                "netvisorkeylist": "10,11",
            },
        )
    assert rows == [
        {
            "netvisorkey": 10,
            "date": dt.date(2024, 1, 1),
            "debet": Decimal("100.00"),
            "kredit": Decimal("40.50"),
            "balance": Decimal("59.50"),
        },
        {
            "netvisorkey": 10,
            "date": dt.date(2024, 1, 2),
            "debet": Decimal("100.00"),
            "kredit": Decimal("0"),
            "balance": Decimal("100.00"),
        },
        {
            "netvisorkey": 11,
            "date": dt.date(2024, 1, 1),
            "debet": Decimal("0"),
            "kredit": Decimal("1.5"),
            "balance": Decimal("-1.5"),
        },
    ]
    ranged, listed = (params_of(r) for r in script.requests)
    assert ranged == {"balancedates": "2024-01-01,2024-01-02", "intervaltype": "1"}
    assert listed == {"balancedates": "2024-01-31,2024-02-29", "netvisorkeylist": "10,11"}


@pytest.mark.parametrize(
    ("kind", "root", "item"),
    [
        ("vouchers", "DeletedVouchers", "DeletedVoucher"),
        ("salesinvoices", "DeletedSalesInvoices", "DeletedSalesInvoice"),
        ("purchasepayments", "DeletedPurchasePayments", "DeletedPurchasePayment"),
    ],
)
def test_deleted(kind, root, item):
    body = ok(
        f'<{root}><{item}><NetvisorKey>7</NetvisorKey><DeleteDate format="ansi">2022-06-08 15:14'
        f"</DeleteDate></{item}></{root}>"
    )
    script = Script(httpx.Response(200, content=body))
    with make_client(script) as client:
        rows = client.deleted(kind, dt.date(2022, 6, 5))
    assert rows == [
        {"netvisorkey": 7, "deletedate": dt.datetime(2022, 6, 8, 15, 14, tzinfo=HELSINKI)}
    ]
    assert script.requests[0].url.path == f"/deleted{kind}.nv"
    assert params_of(script.requests[0]) == {"deletedsince": "2022-06-05"}


@pytest.mark.parametrize(
    ("call", "resource", "params"),
    [
        (lambda c: c.fetch(DIMENSION_ENDPOINT), "/dimensionlist.nv", {"showhidden": "1"}),
        (lambda c: c.fetch(PAYMENT_TERM_ENDPOINT), "/paymenttermlist.nv", {}),
        (lambda c: c.fetch(VOUCHER_TYPE_ENDPOINT), "/vouchertypelist.nv", {}),
        (lambda c: c.fetch(SALES_PERSONNEL_ENDPOINT), "/salespersonnellist.nv", {}),
        (lambda c: c.fetch(PURCHASE_PAYMENT_ENDPOINT), "/paymentlist.nv", {}),
        (lambda c: c.list_rows(PRODUCT_ENDPOINT), "/productlist.nv", {}),
        (lambda c: c.list_rows(PURCHASE_ORDER_ENDPOINT), "/purchaseorderlist.nv", {}),
    ],
    ids=[
        "dimensions",
        "payment_terms",
        "voucher_types",
        "sales_personnel",
        "purchase_payments",
        "product_list",
        "purchase_order_list",
    ],
)
def test_reference_resources(call, resource, params):
    script = Script(httpx.Response(200, content=ok()))
    with make_client(script) as client:
        assert call(client) == []
    assert script.requests[0].url.path == resource and params_of(script.requests[0]) == params


# ----------------------------------------------------------------------------- serialisation


def test_requests_to_one_company_never_overlap_across_clients_and_threads():
    state = {"in_flight": 0, "max": 0}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            state["in_flight"] += 1
            state["max"] = max(state["max"], state["in_flight"])
        time.sleep(0.01)
        with lock:
            state["in_flight"] -= 1
        return httpx.Response(200, content=CUSTOMERS)

    clients = [make_client(handler, base_url="http://serial.test") for _ in range(2)]

    def work(client: NetvisorClient) -> None:
        for _ in range(5):
            client.list_rows(CUSTOMER_ENDPOINT)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["max"] == 1
    assert sum(c.requests_made for c in clients) == 20


def test_min_interval_spaces_request_starts():
    starts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        starts.append(time.monotonic())
        return httpx.Response(200, content=CUSTOMERS)

    with make_client(handler, base_url="http://interval.test", min_interval=0.05) as client:
        for _ in range(3):
            client.list_rows(CUSTOMER_ENDPOINT)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(gap >= 0.045 for gap in gaps)


# ----------------------------------------------------------------------------- secrets


def test_keys_and_macs_never_reach_logs_or_messages(caplog):
    caplog.set_level(logging.DEBUG, logger="netvisor_assets")
    echo = f"https://x/customerlist.nv&tests&CUST&{CUSTOMER_KEY}&{PARTNER_KEY} :: ABC"
    script = Script(
        httpx.Response(500, content=failed("TECHNICAL_ERROR", f"key {CUSTOMER_KEY}")),
        raise_(httpx.ConnectError(f"refused {PARTNER_KEY}")),
        httpx.Response(200, content=CUSTOMERS),
        httpx.Response(401, content=failed("AUTHENTICATION_FAILED", echo)),
    )
    with make_client(script) as client:
        client.list_rows(CUSTOMER_ENDPOINT)
        with pytest.raises(errors.AuthenticationFailed) as info:
            client.list_rows(CUSTOMER_ENDPOINT)
    text = caplog.text + str(info.value) + repr(info.value) + repr(client)
    for secret in (CUSTOMER_KEY, PARTNER_KEY):
        assert secret not in text
    for request in script.requests:
        assert request.headers["X-Netvisor-Authentication-MAC"] not in text
    # ... while each request is logged with its resource and transaction id.
    for tx in script.transaction_ids:
        assert tx in caplog.text
    assert "customerlist.nv" in caplog.text and "status=OK" in caplog.text
    assert "***" in info.value.message


# ----------------------------------------------------------------------------- connection check


@pytest.mark.parametrize(
    ("step", "ok", "problem"),
    [
        (httpx.Response(200, content=CUSTOMERS), True, "none"),
        (
            httpx.Response(401, content=failed("AUTHENTICATION_FAILED", "bad keys")),
            False,
            "authentication_failed",
        ),
        (
            httpx.Response(403, content=failed("SERVICE_ACCESS_ERROR", "no rights")),
            False,
            "service_access",
        ),
        (raise_(httpx.ConnectError("[Errno -2] Name or service not known")), False, "unavailable"),
        (httpx.Response(200, content=failed("INVALID_DATA", "odd")), False, "other"),
    ],
)
def test_check_connection(step, ok, problem):
    script = Script(step)
    with make_client(script) as client:
        result = client.check_connection()
    assert (result.ok, result.problem) == (ok, problem)
    assert "\n" not in str(result)
    assert script.requests[0].url.path == "/customerlist.nv"
    if not ok:
        assert result.hint and result.hint in str(result)
    assert CUSTOMER_KEY not in str(result)


# ------------------------------------------------------------------------- records without keys


def _invoices_answer(request: httpx.Request, keyless: set[int], drop: set[int] = frozenset()):
    keys = [int(k) for k in request.url.params["netvisorkeylist"].split(",")]
    docs = []
    for key in keys:
        if key in drop:
            continue
        own = "" if key in keyless else f"<SalesInvoiceNetvisorKey>{key}</SalesInvoiceNetvisorKey>"
        docs.append(
            f"<SalesInvoice>{own}<SalesInvoiceNumber>{key * 10}</SalesInvoiceNumber></SalesInvoice>"
        )
    return httpx.Response(200, content=ok("<SalesInvoices>" + "".join(docs) + "</SalesInvoices>"))


@pytest.mark.parametrize(
    ("asked", "keyless", "drop", "requests"),
    [
        ([7], {7}, set(), 1),  # one key asked: the key-less record is that key's
        ([5, 6, 7], {5, 7}, set(), 1),  # one record per key, in order: matched by position
        ([5, 6, 7], {7}, {6}, 3),  # a record missing: position is unsafe, ask 6 and 7 alone
    ],
)
def test_detail_record_without_its_key_gets_the_key_asked_for(asked, keyless, drop, requests):
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["netvisorkeylist"])
        asked_now = {int(k) for k in request.url.params["netvisorkeylist"].split(",")}
        # Asked alone, a record that vanished from the list answer is still served.
        return _invoices_answer(request, keyless, drop if len(asked_now) > 1 else set())

    with make_client(handler) as client:
        records = client.details(SALES_INVOICE_ENDPOINT, asked)
    by_key = {r["salesinvoicenetvisorkey"]: r["salesinvoicenumber"] for r in records}
    assert by_key == {k: str(k * 10) for k in asked}
    assert client.requests_made == requests
