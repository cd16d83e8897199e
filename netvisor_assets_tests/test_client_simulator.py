"""Contract: `NetvisorClient` works against the Netvisor simulator over real HTTP on loopback.

No mocks: every test starts a `SimulatorServer` on a free port and the client talks to it
through its own transport, signing, retries and parsing.

- Every fetch function returns exactly the simulator's ground truth, compared with a plain
  `==`: the expected records come from `sim.ground_truth` for the request Netvisor documents
  (written out here as query strings, independently of the client's formatting), or from the
  company's live keys for list-then-detail functions. Each case also fixes how many HTTP
  requests the function needs, and is non-empty where the company has data.
- Paging and batching for real (`small` company, about 1,500 sales invoices): salesinvoicelist.nv is
  walked past its 500-row cap, getsalesinvoice.nv gets 500 keys per call, getproduct.nv 400,
  getvendor.nv pages follow the pagination headers (the simulator's `vendor_page_size` test
  knob makes 40 vendors span three pages). Request counts are asserted on both ends
  (`client.requests_made`, `sim.requests_served`).
- Deleted-record resources return every deletion of all seven kinds as the company's clock
  moves on (`sim.advance`).
- Retries recover from every injected fault (TECHNICAL_ERROR, HTTP 503, connection reset,
  truncated body, REQUEST_NOT_UNIQUE, a stalled response with a short read timeout): the
  fetches still return the complete, correct records, and each fault cost exactly one extra
  request.
- Errors end to end: wrong keys, ids or organisation -> AuthenticationFailed; a resource the
  integration has no rights to -> ServiceAccessError (simulator `denied_resources`, CLI
  `--deny`); a closed port -> NetvisorUnavailable; `check_connection` names each problem;
  configuration errors are not retried; no key appears in an exception, a check message or a
  log record (captured at DEBUG).
- Two threads with two clients for the same company never overlap at the simulator, which
  answers overlapping requests with its "simultaneous requests" TECHNICAL_ERROR.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netvisor_assets import settings
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.netvisor.errors import (
    AuthenticationFailed,
    DeadlineExceeded,
    InvalidData,
    NetvisorError,
    NetvisorUnavailable,
    ResponseTooLarge,
    ServiceAccessError,
    TechnicalError,
)
from netvisor_assets.netvisor.gate import Gate
from netvisor_assets.netvisor.paging import stream, with_list_rows
from netvisor_assets.netvisor.planning import minimum_requests
from netvisor_assets.simulator import (
    Credentials,
    FaultConfig,
    LatencyConfig,
    SimulatorServer,
    generate_company,
)
from netvisor_assets.simulator.app import denied_resource_names
from netvisor_assets.tables.ledger import BALANCE_ENDPOINT, VOUCHER_ENDPOINT
from netvisor_assets.tables.partners import CUSTOMER_ENDPOINT, PRODUCT_ENDPOINT, VENDOR_ENDPOINT
from netvisor_assets.tables.purchases import (
    PURCHASE_INVOICE_ENDPOINT,
    PURCHASE_ORDER_ENDPOINT,
    PURCHASE_PAYMENT_ENDPOINT,
)
from netvisor_assets.tables.reference import (
    ACCOUNT_ENDPOINT,
    DEFAULT_ACCOUNT_ENDPOINT,
    DIMENSION_ENDPOINT,
    PAYMENT_TERM_ENDPOINT,
    PERIOD_ENDPOINT,
    SALES_PERSONNEL_ENDPOINT,
    VOUCHER_TYPE_ENDPOINT,
)
from netvisor_assets.tables.sales import (
    SALES_INVOICE_ENDPOINT,
    SALES_ORDER_ENDPOINT,
    SALES_PAYMENT_ENDPOINT,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC

# Distinctive keys, so a leak into a message or a log record is found by a plain substring test.
CREDS = Credentials(
    customer_id="IT_CUSTOMER",
    customer_key="ck-SECRET-it-4f1e9a7c",
    partner_id="IT_PARTNER",
    partner_key="pk-SECRET-it-b27c03d5",
    organisation_id=settings.DEMO_ORGANISATION_ID,
)
WRONG_KEY = "ck-SECRET-wrong-91d0e2"
SECRETS = (CREDS.customer_key, CREDS.partner_key, WRONG_KEY)
_CREDENTIAL_FIELDS = (
    "sender",
    "customer_id",
    "customer_key",
    "partner_id",
    "partner_key",
    "organisation_id",
)
# Tests do not need Netvisor's patience: retries after a few milliseconds.
FAST = {"backoff_initial": 0.005, "backoff_max": 0.02, "timeout": 10.0, "connect_timeout": 2.0}
VENDOR_PAGE = 16  # the small company's 40 vendors span three getvendor.nv pages


def make_client(url: str, **overrides: Any) -> NetvisorClient:
    """A client for `CREDS` at `url`; credential fields and client options may be overridden."""
    fields: dict[str, Any] = {
        "sender": settings.DEMO_SENDER,
        "customer_id": CREDS.customer_id,
        "customer_key": CREDS.customer_key,
        "partner_id": CREDS.partner_id,
        "partner_key": CREDS.partner_key,
        "organisation_id": CREDS.organisation_id,
    }
    options = dict(FAST)
    for name, value in overrides.items():
        (fields if name in _CREDENTIAL_FIELDS else options)[name] = value
    return NetvisorClient(url, **fields, **options)


@pytest.fixture
def connect() -> Iterator[Callable[..., NetvisorClient]]:
    """`connect(sim_or_url, **overrides)`; every client is closed after the test."""
    clients: list[NetvisorClient] = []

    def make(target: SimulatorServer | str, **overrides: Any) -> NetvisorClient:
        url = target if isinstance(target, str) else target.url
        clients.append(make_client(url, **overrides))
        return clients[-1]

    yield make
    for c in clients:
        c.close()


@pytest.fixture(scope="module")
def tiny() -> Iterator[SimulatorServer]:
    """One month of a tiny company (2025-01); read only, so shared by the module."""
    with SimulatorServer(generate_company(seed=1, size="tiny"), CREDS) as sim:
        yield sim


@pytest.fixture(scope="module")
def small() -> Iterator[SimulatorServer]:
    """A year of a small company: over 1,000 sales invoices, over 500 purchase invoices (so
    both lists need more than one batch of 500), 40 vendors."""
    company = generate_company(seed=1, size="small")
    with SimulatorServer(company, CREDS, vendor_page_size=VENDOR_PAGE) as sim:
        yield sim


# ------------------------------------------------------------------------- expectations


def keys_of(records: Sequence[dict]) -> list[int]:
    return [r["netvisorkey"] for r in records]


def truth(resource: str, **params: Any) -> Callable[[SimulatorServer], list[dict]]:
    return lambda sim: sim.ground_truth(resource, params)


def detail_truth(
    sim: SimulatorServer,
    resource: str,
    key_param: str,
    keys: Sequence[int],
    cap: int = 500,
    **extra: Any,
) -> list[dict]:
    """Ground truth of a detail resource for `keys`, asked in chunks the resource accepts."""
    records: list[dict] = []
    for i in range(0, len(keys), cap):
        chunk = ",".join(str(k) for k in keys[i : i + cap])
        records.extend(sim.ground_truth(resource, {key_param: chunk, **extra}))
    return records


@dataclass(frozen=True)
class Detail:
    """How a kind's details are asked: resource, key parameter, cap and fixed parameters."""

    kind: str
    resource: str
    key_param: str
    cap: int = 500
    extra: tuple[tuple[str, str], ...] = ()
    # Invoices carry their list row under `list` (open amount, sub-status): whose rows, and
    # the detail's key element.
    list_rows: Callable[[SimulatorServer], list[dict]] | None = None
    list_key: str = ""

    def of(self, sim: SimulatorServer, keys: Sequence[int]) -> list[dict]:
        records = detail_truth(
            sim, self.resource, self.key_param, keys, self.cap, **dict(self.extra)
        )
        if self.list_rows is not None:
            records = with_list_rows(records, self.list_rows(sim), self.list_key)
        return records

    def all(self, sim: SimulatorServer) -> list[dict]:
        """Details of every live record of the kind, from the company itself."""
        return self.of(sim, sim.company.keys(self.kind))


NOPDF = (("pdfimage", "nopdf"), ("showcommentlines", "1"), ("replyoption", "16"))
CUSTOMER = Detail("customers", "getcustomer", "idlist")
VENDOR = Detail("vendors", "getvendor", "netvisorkeylist")
PRODUCT = Detail("products", "getproduct", "idlist", 400)
SALES_INVOICE = Detail(
    "sales_invoices",
    "getsalesinvoice",
    "netvisorkeylist",
    extra=NOPDF,
    list_rows=lambda sim: walked_list_truth(sim),
    list_key="salesinvoicenetvisorkey",
)
SALES_ORDER = Detail("sales_orders", "getorder", "netvisorkeylist", extra=NOPDF)
PURCHASE_INVOICE = Detail(
    "purchase_invoices",
    "getpurchaseinvoice",
    "netvisorkeylist",
    extra=(("version", "2"), ("omitattachments", "true")),
    list_rows=lambda sim: sim.ground_truth("purchaseinvoicelist", {}),
    list_key="purchaseinvoicenetvisorkey",
)
PURCHASE_ORDER = Detail("purchase_orders", "getpurchaseorder", "netvisorkeylist")


def listed(detail: Detail, resource: str, **params: Any) -> Callable[[SimulatorServer], list[dict]]:
    """List-then-detail expectation: details of the keys the list's ground truth holds."""
    return lambda sim: detail.of(sim, keys_of(sim.ground_truth(resource, params)))


def live_keys(kind: str) -> Callable[[SimulatorServer], list[int]]:
    return lambda sim: sim.company.keys(kind)


@dataclass(frozen=True)
class Case:
    """One fetch call, what it must return, and how many requests it takes."""

    id: str
    fetch: Callable[[NetvisorClient, SimulatorServer], Any]
    expected: Callable[[SimulatorServer], Any]
    requests: int = 1
    nonempty: bool = True


D = dt.date
JAN_1, JAN_31 = D(2025, 1, 1), D(2025, 1, 31)

# No sales personnel table yet: the resource declared here, as the old client method read it.


def without_locks(periods: Sequence[dict]) -> list[dict]:
    """Periods as accountingperiodlist.nv lists them, without the lock dates attached."""
    return [{k: v for k, v in p.items() if k != "locks"} for p in periods]


def periods_and_locks(periods: Sequence[dict]) -> tuple[list[dict], dict]:
    return without_locks(periods), periods[0]["locks"]


TINY_CASES = [
    # customers
    Case("customer_list", lambda c, s: c.list_rows(CUSTOMER_ENDPOINT), truth("customerlist")),
    Case(
        "customer_list-changed_since",
        lambda c, s: c.list_rows(CUSTOMER_ENDPOINT, changed_since=D(2025, 1, 2)),
        truth("customerlist", changedsince="2025-01-02"),
    ),
    Case(
        "customer_list-keyword",  # a space in the query value: encoded and signed as sent
        lambda c, s: c.list_rows(CUSTOMER_ENDPOINT, params={"keyword": "Aurinko Ab"}),
        truth("customerlist", keyword="Aurinko Ab"),
    ),
    Case(
        "get_customers",
        lambda c, s: c.details(CUSTOMER_ENDPOINT, s.company.keys("customers")),
        CUSTOMER.all,
    ),
    Case("customers", lambda c, s: c.fetch(CUSTOMER_ENDPOINT), CUSTOMER.all, requests=2),
    Case(
        "customers-changed_since",
        lambda c, s: c.fetch(CUSTOMER_ENDPOINT, changed_since=D(2025, 1, 2)),
        listed(CUSTOMER, "customerlist", changedsince="2025-01-02"),
        requests=2,
    ),
    # vendors
    Case(
        "vendors",
        lambda c, s: c.fetch(VENDOR_ENDPOINT),
        truth("getvendor", changedsince="2000-01-01"),
    ),
    Case(
        "vendors-changed_since-utc",  # 06:00:02 UTC is 08:00:02 in Helsinki (EET)
        lambda c, s: c.fetch(
            VENDOR_ENDPOINT, changed_since=dt.datetime(2025, 1, 1, 6, 0, 2, tzinfo=UTC)
        ),
        truth("getvendor", changedsince="2025-01-01T08:00:02"),
    ),
    Case(
        "get_vendors",
        lambda c, s: c.details(VENDOR_ENDPOINT, s.company.keys("vendors")),
        VENDOR.all,
    ),
    # products
    Case("product_list", lambda c, s: c.list_rows(PRODUCT_ENDPOINT), truth("productlist")),
    Case(
        "product_list-changed_since",
        lambda c, s: c.list_rows(
            PRODUCT_ENDPOINT, changed_since=dt.datetime(2025, 1, 1, 8, 0, 4, tzinfo=HELSINKI)
        ),
        truth("productlist", changedsince="2025-01-01T08:00:04"),
    ),
    Case(
        "get_products",
        lambda c, s: c.details(PRODUCT_ENDPOINT, s.company.keys("products")),
        PRODUCT.all,
    ),
    Case("products", lambda c, s: c.fetch(PRODUCT_ENDPOINT), PRODUCT.all, requests=2),
    # sales invoices
    Case(
        "sales_invoice_list",
        lambda c, s: c.list_rows(SALES_INVOICE_ENDPOINT),
        truth("salesinvoicelist"),
    ),
    Case(
        "sales_invoice_list-dates",
        lambda c, s: c.list_rows(SALES_INVOICE_ENDPOINT, window=(D(2025, 1, 10), D(2025, 1, 20))),
        truth("salesinvoicelist", begininvoicedate="2025-01-10", endinvoicedate="2025-01-20"),
    ),
    Case(
        "sales_invoice_list-last_modified",
        lambda c, s: c.list_rows(
            SALES_INVOICE_ENDPOINT,
            modified=(dt.datetime(2025, 1, 20, 12, tzinfo=UTC), D(2025, 1, 28)),
        ),
        truth(
            "salesinvoicelist",
            lastmodifiedstart="2025-01-20T14:00:00",
            lastmodifiedend="2025-01-28",
        ),
    ),
    Case(
        "sales_invoice_list-include_modified_payments",
        lambda c, s: c.list_rows(
            SALES_INVOICE_ENDPOINT,
            modified=(D(2025, 1, 25), JAN_31),
            params={"includemodifiedpayments": 1},
        ),
        truth(
            "salesinvoicelist",
            lastmodifiedstart="2025-01-25",
            lastmodifiedend="2025-01-31",
            includemodifiedpayments="1",
        ),
    ),
    Case(
        "get_sales_invoices",
        lambda c, s: c.details(SALES_INVOICE_ENDPOINT, s.company.keys("sales_invoices")),
        dataclasses.replace(SALES_INVOICE, list_rows=None).all,
    ),
    Case(
        "sales_invoices",
        lambda c, s: c.fetch(SALES_INVOICE_ENDPOINT),
        SALES_INVOICE.all,
        requests=2,
    ),
    Case(
        "sales_invoices-dates",
        lambda c, s: c.fetch(SALES_INVOICE_ENDPOINT, window=(D(2025, 1, 10), D(2025, 1, 20))),
        listed(
            SALES_INVOICE,
            "salesinvoicelist",
            begininvoicedate="2025-01-10",
            endinvoicedate="2025-01-20",
        ),
        requests=2,
    ),
    Case(
        "sales_invoices-last_modified",
        lambda c, s: c.fetch(SALES_INVOICE_ENDPOINT, modified=(D(2025, 1, 20), D(2025, 1, 28))),
        listed(
            SALES_INVOICE,
            "salesinvoicelist",
            lastmodifiedstart="2025-01-20",
            lastmodifiedend="2025-01-28",
        ),
        requests=2,
    ),
    # sales orders
    Case(
        "sales_order_list",
        lambda c, s: c.list_rows(SALES_ORDER_ENDPOINT),
        truth("salesinvoicelist", listtype="preinvoice"),
    ),
    Case(
        "sales_order_list-dates",
        lambda c, s: c.list_rows(SALES_ORDER_ENDPOINT, window=(D(2025, 1, 20), D(2025, 1, 26))),
        truth(
            "salesinvoicelist",
            listtype="preinvoice",
            begininvoicedate="2025-01-20",
            endinvoicedate="2025-01-26",
        ),
    ),
    Case(
        "get_sales_orders",
        lambda c, s: c.details(SALES_ORDER_ENDPOINT, s.company.keys("sales_orders")),
        SALES_ORDER.all,
    ),
    Case("sales_orders", lambda c, s: c.fetch(SALES_ORDER_ENDPOINT), SALES_ORDER.all, requests=2),
    # purchase invoices
    Case(
        "purchase_invoice_list",
        lambda c, s: c.list_rows(PURCHASE_INVOICE_ENDPOINT),
        truth("purchaseinvoicelist"),
    ),
    Case(
        "purchase_invoice_list-last_modified",
        lambda c, s: c.list_rows(PURCHASE_INVOICE_ENDPOINT, modified=(D(2025, 1, 20), JAN_31)),
        truth("purchaseinvoicelist", lastmodifiedstart="2025-01-20", lastmodifiedend="2025-01-31"),
    ),
    Case(
        "get_purchase_invoices",
        lambda c, s: c.details(PURCHASE_INVOICE_ENDPOINT, s.company.keys("purchase_invoices")),
        dataclasses.replace(PURCHASE_INVOICE, list_rows=None).all,
    ),
    Case(
        "purchase_invoices",
        lambda c, s: c.fetch(PURCHASE_INVOICE_ENDPOINT),
        PURCHASE_INVOICE.all,
        requests=2,
    ),
    Case(
        "purchase_invoices-dates",
        lambda c, s: c.fetch(PURCHASE_INVOICE_ENDPOINT, window=(JAN_1, D(2025, 1, 25))),
        listed(
            PURCHASE_INVOICE,
            "purchaseinvoicelist",
            begininvoicedate="2025-01-01",
            endinvoicedate="2025-01-25",
        ),
        requests=2,
    ),
    # purchase orders
    Case(
        "purchase_order_list",
        lambda c, s: c.list_rows(PURCHASE_ORDER_ENDPOINT),
        truth("purchaseorderlist"),
    ),
    Case(
        "purchase_order_list-dates",
        lambda c, s: c.list_rows(PURCHASE_ORDER_ENDPOINT, window=(D(2025, 1, 20), JAN_31)),
        truth("purchaseorderlist", limitbegindate="2025-01-20", limitenddate="2025-01-31"),
    ),
    Case(
        "get_purchase_orders",
        lambda c, s: c.details(PURCHASE_ORDER_ENDPOINT, s.company.keys("purchase_orders")),
        PURCHASE_ORDER.all,
    ),
    Case(
        "purchase_orders",
        lambda c, s: c.fetch(PURCHASE_ORDER_ENDPOINT),
        PURCHASE_ORDER.all,
        requests=2,
    ),
    # vouchers
    Case(
        "vouchers-window",
        lambda c, s: c.fetch(VOUCHER_ENDPOINT, window=(JAN_1, JAN_31)),
        truth("accountingledger", startdate="2025-01-01", enddate="2025-01-31", voucherstatus=1),
    ),
    Case(
        "vouchers-window-two-months",  # one request per calendar month
        lambda c, s: c.fetch(VOUCHER_ENDPOINT, window=(D(2024, 12, 20), JAN_31)),
        truth("accountingledger", startdate="2024-12-20", enddate="2025-01-31", voucherstatus=1),
        requests=2,
    ),
    Case(
        "vouchers-changed_since",
        lambda c, s: c.fetch(
            VOUCHER_ENDPOINT, changed_since=dt.datetime(2025, 1, 20, 9, 30, tzinfo=HELSINKI)
        ),
        truth("accountingledger", changedsince="2025-01-20T09:30:00", voucherstatus=1),
    ),
    Case(
        "vouchers-last_modified",
        lambda c, s: c.fetch(VOUCHER_ENDPOINT, modified=(D(2025, 1, 10), D(2025, 1, 20))),
        truth(
            "accountingledger",
            lastmodifiedstart="2025-01-10",
            lastmodifiedend="2025-01-20",
            voucherstatus=1,
        ),
    ),
    Case(
        "vouchers-keys",
        lambda c, s: c.fetch(VOUCHER_ENDPOINT, keys=s.company.keys("vouchers")[3:9]),
        lambda s: detail_truth(
            s, "accountingledger", "netvisorkeylist", s.company.keys("vouchers")[3:9]
        ),
    ),
    Case(
        "vouchers-voucher_status-2",
        lambda c, s: c.fetch(VOUCHER_ENDPOINT, window=(JAN_1, JAN_31), params={"voucherstatus": 2}),
        truth("accountingledger", startdate="2025-01-01", enddate="2025-01-31", voucherstatus=2),
    ),
    Case(
        "vouchers-voucher_status-default",  # None: Netvisor's own default applies
        lambda c, s: c.fetch(
            VOUCHER_ENDPOINT, window=(JAN_1, JAN_31), params={"voucherstatus": None}
        ),
        truth("accountingledger", startdate="2025-01-01", enddate="2025-01-31"),
    ),
    # payments
    Case(
        "sales_payments",
        lambda c, s: c.list_rows(SALES_PAYMENT_ENDPOINT),
        truth("salespaymentlist"),
    ),
    Case(
        "sales_payments-dates",
        lambda c, s: c.list_rows(SALES_PAYMENT_ENDPOINT, window=(D(2025, 1, 18), D(2025, 1, 22))),
        truth("salespaymentlist", begindate="2025-01-18", enddate="2025-01-22"),
    ),
    Case(
        "sales_payments-last_modified",
        lambda c, s: c.list_rows(SALES_PAYMENT_ENDPOINT, modified=(D(2025, 1, 19), D(2025, 1, 28))),
        truth("salespaymentlist", lastmodifiedstart="2025-01-19", lastmodifiedend="2025-01-28"),
    ),
    Case(
        "purchase_payments", lambda c, s: c.fetch(PURCHASE_PAYMENT_ENDPOINT), truth("paymentlist")
    ),
    Case(
        "purchase_payments-dates",
        lambda c, s: c.fetch(PURCHASE_PAYMENT_ENDPOINT, window=(D(2025, 1, 20), D(2025, 1, 30))),
        truth("paymentlist", limitbegindate="2025-01-20", limitenddate="2025-01-30"),
    ),
    # reference tables
    Case("accounts", lambda c, s: c.fetch(ACCOUNT_ENDPOINT), truth("accountlist")),
    Case(
        "account_list",  # its "accounts" half is the "accounts" case
        lambda c, s: {r["role"]: r["accountnumber"] for r in c.fetch(DEFAULT_ACCOUNT_ENDPOINT)},
        lambda s: s.company.company_default_accounts,
    ),
    Case(
        "account_balances-dates",
        lambda c, s: c.fetch(
            BALANCE_ENDPOINT,
            params={"balancedates": ",".join(d.isoformat() for d in [D(2025, 1, 15), JAN_31])},
        ),
        truth("accountbalance", balancedates="2025-01-15,2025-01-31"),
    ),
    Case(
        "account_balances-dates-keys",
        lambda c, s: c.fetch(
            BALANCE_ENDPOINT,
            params={
                "balancedates": ",".join(d.isoformat() for d in [JAN_31]),
                "netvisorkeylist": ",".join(str(k) for k in [s.company.account_key("1910")]),
            },
        ),
        lambda s: s.ground_truth(
            "accountbalance",
            {"balancedates": "2025-01-31", "netvisorkeylist": s.company.account_key("1910")},
        ),
    ),
    Case(
        "account_balances-day-interval",
        lambda c, s: c.fetch(BALANCE_ENDPOINT, window=(JAN_1, D(2025, 1, 10))),
        truth("accountbalance", balancedates="2025-01-01,2025-01-10", intervaltype=1),
    ),
    Case(
        "account_balances-week-interval",
        lambda c, s: c.fetch(BALANCE_ENDPOINT, window=(JAN_1, JAN_31), params={"intervaltype": 2}),
        truth("accountbalance", balancedates="2025-01-01,2025-01-31", intervaltype=2),
    ),
    Case(
        "accounting_periods",
        lambda c, s: without_locks(c.fetch(PERIOD_ENDPOINT)),
        truth("accountingperiodlist"),
    ),
    Case(
        "period_lock_information",
        lambda c, s: c.fetch(PERIOD_ENDPOINT)[0]["locks"],
        lambda s: {k: v for k, v in s.company.period_lock_information.items() if k != "period"},
    ),
    Case(
        "accounting_periods_with_locks",
        lambda c, s: periods_and_locks(c.fetch(PERIOD_ENDPOINT)),
        lambda s: (
            s.ground_truth("accountingperiodlist", {}),
            {k: v for k, v in s.company.period_lock_information.items() if k != "period"},
        ),
    ),
    Case("voucher_types", lambda c, s: c.fetch(VOUCHER_TYPE_ENDPOINT), truth("vouchertypelist")),
    Case(
        "dimensions", lambda c, s: c.fetch(DIMENSION_ENDPOINT), truth("dimensionlist", showhidden=1)
    ),
    Case(
        "dimensions-visible",
        lambda c, s: c.fetch(DIMENSION_ENDPOINT, params={"showhidden": None}),
        truth("dimensionlist"),
    ),
    Case("payment_terms", lambda c, s: c.fetch(PAYMENT_TERM_ENDPOINT), truth("paymenttermlist")),
    Case(
        "sales_personnel",
        lambda c, s: c.fetch(SALES_PERSONNEL_ENDPOINT),
        truth("salespersonnellist"),
    ),
]


@pytest.mark.parametrize("case", TINY_CASES, ids=lambda case: case.id)
def test_fetch_equals_ground_truth(case: Case, tiny: SimulatorServer, connect) -> None:
    client = connect(tiny)
    served = tiny.requests_served
    got = case.fetch(client, tiny)
    expected = case.expected(tiny)
    assert got == expected
    if case.nonempty:
        assert expected, f"{case.id}: the case must have data to compare"
    assert client.requests_made == case.requests
    assert tiny.requests_served - served == case.requests


def test_every_fetch_function_has_a_case() -> None:
    """Adding a fetch function to the client without a simulator case fails here."""
    fetch_functions = {
        name
        for name, value in vars(NetvisorClient).items()
        if callable(value)
        and not name.startswith("_")
        and name not in {"close", "request", "build_url", "check_connection", "from_settings"}
    }
    # The client methods each case calls (the names its fetch lambda looks up).
    covered = {name for case in TINY_CASES for name in case.fetch.__code__.co_names} | {"deleted"}
    assert fetch_functions <= covered, sorted(fetch_functions - covered)


# ------------------------------------------------------------------------- paging, batching


def walked_list_truth(sim: SimulatorServer, cap: int = 500, **params: Any) -> list[dict]:
    """salesinvoicelist.nv as Netvisor documents the walk: from the last key while full."""
    rows: list[dict] = []
    above = 0
    while True:
        page = sim.ground_truth("salesinvoicelist", {**params, "invoicesabovenetvisorkey": above})
        assert len(page) <= cap
        rows.extend(page)
        if len(page) < cap:
            return rows
        above = page[-1]["netvisorkey"]


def test_sales_invoice_list_walks_past_the_500_row_cap(small: SimulatorServer, connect) -> None:
    keys = small.company.keys("sales_invoices")
    assert len(keys) > 1000
    assert len(small.ground_truth("salesinvoicelist")) == 500  # the cap bites
    client = connect(small)
    served = small.requests_served
    rows = client.list_rows(SALES_INVOICE_ENDPOINT)
    assert rows == walked_list_truth(small)
    assert keys_of(rows) == keys
    # Pages of 500 until one comes back short (an exact multiple needs an empty last page).
    pages = len(keys) // 500 + 1
    assert client.requests_made == small.requests_served - served == pages


@pytest.mark.slow
def test_sales_invoices_batches_500_keys_per_detail_call(small: SimulatorServer, connect) -> None:
    client = connect(small)
    served = small.requests_served
    invoices = client.fetch(SALES_INVOICE_ENDPOINT)
    assert invoices == SALES_INVOICE.all(small)
    n = len(small.company.keys("sales_invoices"))
    assert len(invoices) == n > 1000
    # The list's pages (500 rows each until a short one), then detail calls of 500 keys.
    pages, batches = n // 500 + 1, math.ceil(n / 500)
    assert client.requests_made == small.requests_served - served == pages + batches
    assert small.stats()["per_outcome"].get("INVALID_DATA", 0) == 0  # no batch over the cap


SALES_WALKS = [
    pytest.param(
        lambda c: c.list_rows(SALES_INVOICE_ENDPOINT, window=(D(2025, 1, 1), D(2025, 12, 31))),
        {"begininvoicedate": "2025-01-01", "endinvoicedate": "2025-12-31"},
        id="invoice-dates",
    ),
    pytest.param(
        lambda c: c.list_rows(SALES_INVOICE_ENDPOINT, modified=(D(2025, 1, 1), D(2025, 12, 31))),
        {"lastmodifiedstart": "2025-01-01", "lastmodifiedend": "2025-12-31"},
        id="last-modified",
    ),
    pytest.param(
        lambda c: c.list_rows(
            SALES_INVOICE_ENDPOINT,
            modified=(D(2025, 6, 1), D(2025, 12, 31)),
            params={"includemodifiedpayments": 1},
        ),
        {
            "lastmodifiedstart": "2025-06-01",
            "lastmodifiedend": "2025-12-31",
            "includemodifiedpayments": "1",
        },
        id="include-modified-payments",
    ),
    pytest.param(
        lambda c: c.list_rows(SALES_ORDER_ENDPOINT),
        {"listtype": "preinvoice"},
        id="orders",
    ),
]


@pytest.mark.parametrize(("fetch", "params"), SALES_WALKS)
def test_filtered_sales_lists_walk_the_cap_too(
    fetch: Callable[[NetvisorClient], list[dict]], params: dict, small: SimulatorServer, connect
) -> None:
    client = connect(small)
    expected = walked_list_truth(small, **params)
    rows = fetch(client)
    assert rows == expected and expected
    assert client.requests_made == len(expected) // 500 + 1


def test_sales_invoices_in_a_date_window_of_the_small_company(
    small: SimulatorServer, connect
) -> None:
    client = connect(small)
    got = client.fetch(SALES_INVOICE_ENDPOINT, window=(D(2025, 3, 1), D(2025, 3, 31)))
    expected = listed(
        SALES_INVOICE,
        "salesinvoicelist",
        begininvoicedate="2025-03-01",
        endinvoicedate="2025-03-31",
    )(small)
    assert got == expected and expected
    assert client.requests_made == 2


def test_purchase_invoices_batch_over_two_detail_calls(small: SimulatorServer, connect) -> None:
    client = connect(small)
    invoices = client.fetch(PURCHASE_INVOICE_ENDPOINT)
    assert invoices == PURCHASE_INVOICE.all(small)
    n = len(small.company.keys("purchase_invoices"))
    assert len(invoices) == n and 500 < n < 1000
    assert client.requests_made == 3  # the list (uncapped), then 500 keys and the rest


def test_get_products_batches_400_keys(small: SimulatorServer, connect) -> None:
    """The small company has 40 products; 400 unknown keys (answered by omission, as
    getproduct.nv does) push the key list into a second batch."""
    real = small.company.keys("products")
    unknown = list(range(900_001, 900_401))
    client = connect(small)
    served = small.requests_served
    assert client.details(PRODUCT_ENDPOINT, real + unknown) == PRODUCT.of(small, real)
    assert client.requests_made == small.requests_served - served == 2


def test_vendors_follow_the_pagination_headers(small: SimulatorServer, connect) -> None:
    keys = small.company.keys("vendors")
    assert len(keys) == 40
    pages = [
        small.ground_truth("getvendor", {"changedsince": "2000-01-01", "page": n})
        for n in (1, 2, 3)
    ]
    assert [len(p) for p in pages] == [VENDOR_PAGE, VENDOR_PAGE, 40 - 2 * VENDOR_PAGE]
    client = connect(small)
    served = small.requests_served
    vendors = client.fetch(VENDOR_ENDPOINT)
    assert vendors == pages[0] + pages[1] + pages[2]
    assert keys_of(vendors) == keys
    assert client.requests_made == small.requests_served - served == 3
    assert client.details(VENDOR_ENDPOINT, keys) == VENDOR.all(small)


@pytest.mark.slow
def test_vouchers_of_a_year_by_budget_windows_and_invalidated(
    small: SimulatorServer, connect
) -> None:
    client = connect(small)
    year = client.fetch(VOUCHER_ENDPOINT, window=(D(2025, 1, 1), D(2025, 12, 31)))
    whole = small.ground_truth(
        "accountingledger", {"startdate": "2025-01-01", "enddate": "2025-12-31", "voucherstatus": 1}
    )
    # Windows sized by the response budget: the minimum, or one more for the first guess.
    least = minimum_requests(VOUCHER_ENDPOINT, len(whole))
    assert least > 1
    assert least <= client.requests_made <= least + 1
    by_key = sorted(year, key=lambda r: r["netvisorkey"])
    assert by_key == sorted(whole, key=lambda r: r["netvisorkey"])
    assert len(year) == len(whole) == len(small.company.keys("vouchers"))
    invalidated = client.fetch(
        VOUCHER_ENDPOINT, window=(D(2025, 6, 1), D(2025, 6, 30)), params={"voucherstatus": 3}
    )
    expected = small.ground_truth(
        "accountingledger", {"startdate": "2025-06-01", "enddate": "2025-06-30", "voucherstatus": 3}
    )
    assert invalidated == expected and expected


DELETED_KINDS = {
    "vouchers": "vouchers",
    "salesinvoices": "sales_invoices",
    "salesorders": "sales_orders",
    "salespayments": "sales_payments",
    "purchaseinvoices": "purchase_invoices",
    "purchaseorders": "purchase_orders",
    "purchasepayments": "purchase_payments",
}


def test_deleted_records_of_all_seven_kinds(connect) -> None:
    """The clock moves a day at a time; each kind is checked while its 7-day deletion history
    is non-empty, with a date and with a datetime `since`."""
    company = generate_company(seed=1, size="small")
    with SimulatorServer(company, CREDS) as sim:
        client = connect(sim)
        checked: dict[str, int] = {}
        for _day in range(120):
            sim.advance(1)
            week_ago = company.today - dt.timedelta(days=7)
            for kind, company_kind in DELETED_KINDS.items():
                if kind in checked or not company.deleted_since(company_kind, week_ago):
                    continue
                expected = sim.ground_truth(f"deleted{kind}", {"deletedsince": str(week_ago)})
                got = client.deleted(kind, week_ago)
                assert got == expected and expected, kind
                assert {r["netvisorkey"] for r in got} <= {
                    row["netvisorkey"] for row in company.deleted_since(company_kind, week_ago)
                }
                assert company.get(company_kind, got[0]["netvisorkey"]) is None
                moment = got[0]["deletedate"]
                later = client.deleted(kind, moment)
                assert later == sim.ground_truth(
                    f"deleted{kind}", {"deletedsince": moment.strftime("%Y-%m-%dT%H:%M:%S")}
                )
                assert got[0] in later
                checked[kind] = len(got)
            if len(checked) == len(DELETED_KINDS):
                break
        assert set(checked) == set(DELETED_KINDS), f"no deletions seen for {checked.keys()}"


# ------------------------------------------------------------------------- retries


def workload(client: NetvisorClient) -> list[Any]:
    """Eight requests' worth of fetches across list, detail and ledger resources."""
    return [
        client.fetch(CUSTOMER_ENDPOINT),
        client.fetch(SALES_INVOICE_ENDPOINT),
        client.fetch(VOUCHER_ENDPOINT, window=(JAN_1, JAN_31)),
        client.fetch(VENDOR_ENDPOINT),
        client.fetch(ACCOUNT_ENDPOINT),
        client.list_rows(SALES_PAYMENT_ENDPOINT),
    ]


def workload_truth(sim: SimulatorServer) -> list[Any]:
    return [
        CUSTOMER.all(sim),
        SALES_INVOICE.all(sim),
        sim.ground_truth(
            "accountingledger",
            {"startdate": "2025-01-01", "enddate": "2025-01-31", "voucherstatus": 1},
        ),
        sim.ground_truth("getvendor", {"changedsince": "2000-01-01"}),
        sim.ground_truth("accountlist"),
        sim.ground_truth("salespaymentlist"),
    ]


WORKLOAD_REQUESTS = 8

FAULT_CASES = [
    pytest.param("technical_error", FaultConfig(technical_error_rate=0.4, seed=3), id="technical"),
    pytest.param("http_503", FaultConfig(http_503_rate=0.4, seed=3), id="http-503"),
    pytest.param("reset", FaultConfig(reset_rate=0.4, seed=3), id="connection-reset"),
    pytest.param("truncate", FaultConfig(truncate_rate=0.4, seed=3), id="truncated-body"),
    pytest.param("not_unique", FaultConfig(not_unique_rate=0.4, seed=3), id="not-unique"),
    pytest.param(
        "malformed_error", FaultConfig(malformed_error_rate=0.4, seed=3), id="malformed-error"
    ),
]


@pytest.mark.parametrize(("kind", "faults"), FAULT_CASES)
def test_retries_recover_from_injected_faults(
    kind: str, faults: FaultConfig, connect, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    with SimulatorServer(generate_company(seed=1, size="tiny"), CREDS, faults=faults) as sim:
        client = connect(sim, max_attempts=10)
        assert workload(client) == workload_truth(sim)
        stats = sim.stats()
        injected = stats["faults_injected"]
        assert set(injected) == {kind} and injected[kind] >= 2
        # Every fault cost exactly one extra request, and every fetch completed.
        assert stats["per_outcome"]["OK"] == WORKLOAD_REQUESTS
        assert client.requests_made == WORKLOAD_REQUESTS + injected[kind]
        assert sim.requests_served == client.requests_made
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == injected[kind]
    assert_no_secrets(records=caplog.records)


def test_utf8_body_declared_iso_8859_15_is_read_as_utf8(connect) -> None:
    """Every response's declaration lies; the records still equal the truth, no mojibake."""
    faults = FaultConfig(encoding_mismatch_rate=1.0)
    with SimulatorServer(generate_company(seed=1, size="tiny"), CREDS, faults=faults) as sim:
        client = connect(sim, max_attempts=1)
        got = workload(client)
        assert got == workload_truth(sim)
        assert sim.stats()["faults_injected"]["encoding_mismatch"] == WORKLOAD_REQUESTS
    text = str(got)
    assert not text.isascii(), "the company should have non-ASCII text (ä, ö, å)"
    assert "Ã" not in text


def test_trickling_body_is_cut_at_the_total_deadline(connect) -> None:
    """A body arriving a few bytes at a time never stalls a read; the deadline still ends it,
    the error is typed, and the company is free again for the next request."""
    faults = FaultConfig(trickle_rate=1.0, trickle_bytes_per_second=100)
    with SimulatorServer(generate_company(seed=1, size="tiny"), CREDS, faults=faults) as sim:
        client = connect(sim, max_attempts=1, timeout=1.0, timeout_cooldown=0.0)
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="within 1 s") as info:
            client.fetch(CUSTOMER_ENDPOINT)
        elapsed = time.monotonic() - started
        assert info.value.resource == "customerlist.nv"
        assert 1.0 <= elapsed < 1.8
        assert client.requests_made == 1


def test_response_over_the_size_cap_is_refused_once(connect) -> None:
    with SimulatorServer(generate_company(seed=1, size="tiny"), CREDS) as sim:
        client = connect(sim, max_attempts=5, max_response_bytes=2_000)
        with pytest.raises(ResponseTooLarge, match="MB cap") as info:
            client.fetch(CUSTOMER_ENDPOINT)
        assert info.value.resource == "customerlist.nv" and not info.value.retryable
        assert client.requests_made == 1


@pytest.mark.slow
def test_retries_recover_from_a_stalled_response(connect, caplog) -> None:
    """A stalled response runs into the client's deadline. The server is still working on it,
    so the next request to the company waits out the cool-down instead of colliding with it
    (a "simultaneous requests" refusal), and every record still arrives."""
    latency = LatencyConfig(stall_rate=0.25, stall_seconds=0.8)
    caplog.set_level(logging.WARNING, logger="netvisor_assets.netvisor.client")
    with SimulatorServer(generate_company(seed=1, size="tiny"), CREDS, latency=latency) as sim:
        client = connect(
            sim,
            timeout=0.3,
            timeout_cooldown=0.9,
            backoff_initial=0.05,
            backoff_max=0.2,
            max_attempts=15,
        )
        assert workload(client) == workload_truth(sim)
        outcomes = sim.stats()["per_outcome"]
    timeouts = sum("ReadTimeout" in r.getMessage() for r in caplog.records)
    assert timeouts >= 1
    # A stalled request is answered (into a closed connection) once its stall is over.
    assert outcomes["OK"] == WORKLOAD_REQUESTS + timeouts
    assert set(outcomes) == {"OK"}
    assert client.requests_made == sum(outcomes.values()) > WORKLOAD_REQUESTS


# ------------------------------------------------------------------------- errors


def assert_no_secrets(*texts: object, records: Sequence[logging.LogRecord] = ()) -> None:
    blobs = [str(t) for t in texts]
    for record in records:
        blobs.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            blobs.append(str(record.exc_info[1]))
    for blob in blobs:
        for secret in SECRETS:
            assert secret not in blob


WRONG_CREDENTIALS = [
    pytest.param({"customer_key": WRONG_KEY}, id="customer-key"),
    pytest.param({"partner_key": WRONG_KEY}, id="partner-key"),
    pytest.param({"customer_id": "SOMEONE_ELSE"}, id="customer-id"),
    pytest.param({"partner_id": "OTHER_PARTNER"}, id="partner-id"),
    pytest.param({"organisation_id": "1572860-0"}, id="organisation-id"),
]


@pytest.mark.parametrize("wrong", WRONG_CREDENTIALS)
def test_wrong_credentials_fail_authentication(
    wrong: dict, tiny: SimulatorServer, connect, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    client = connect(tiny, **wrong)
    with pytest.raises(AuthenticationFailed) as failure:
        client.list_rows(CUSTOMER_ENDPOINT)
    assert client.requests_made == 1  # a configuration error is not retried
    check = client.check_connection()
    assert not check.ok and check.problem == "authentication_failed"
    assert "NETVISOR_CUSTOMER_ID" in check.hint
    assert_no_secrets(
        failure.value, failure.value.message, check, repr(client), records=caplog.records
    )


def test_missing_rights_are_a_service_access_error(connect, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    company = generate_company(seed=1, size="tiny")
    denied = {"customerlist.nv", "GetSalesInvoice"}
    with SimulatorServer(company, CREDS, denied_resources=denied) as sim:
        client = connect(sim)
        check = client.check_connection()
        assert not check.ok and check.problem == "service_access"
        assert "customerlist" in check.message
        with pytest.raises(ServiceAccessError) as failure:
            client.list_rows(CUSTOMER_ENDPOINT)
        with pytest.raises(ServiceAccessError):
            client.fetch(SALES_INVOICE_ENDPOINT)  # the list is granted, the details are not
        assert client.requests_made == 4  # check, list, invoice list, invoice details: once each
        assert client.fetch(VENDOR_ENDPOINT) == sim.ground_truth(
            "getvendor", {"changedsince": "2000-01-01"}
        )
        assert sim.stats()["per_outcome"]["SERVICE_ACCESS_ERROR"] == 3
        # Rights are checked after authentication: wrong keys still say so.
        impostor = connect(sim, customer_key=WRONG_KEY)
        assert impostor.check_connection().problem == "authentication_failed"
    assert_no_secrets(failure.value, check, records=caplog.records)


def test_denied_resource_names_are_validated() -> None:
    assert denied_resource_names(["CustomerList.nv", " getvendor ", ""]) == {
        "customerlist",
        "getvendor",
    }
    with pytest.raises(ValueError, match="unknown Netvisor resource"):
        denied_resource_names(["customerlists.nv"])


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_host_is_unavailable(connect, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://127.0.0.1:{closed_port()}"
    client = connect(url, max_attempts=3)
    with pytest.raises(NetvisorUnavailable) as failure:
        client.list_rows(CUSTOMER_ENDPOINT)
    assert client.requests_made == 3  # retried: the host may come back
    assert "127.0.0.1" in failure.value.message
    check = client.check_connection()
    assert not check.ok and check.problem == "unavailable"
    assert url in check.message
    assert_no_secrets(failure.value, check, records=caplog.records)


def test_check_connection_succeeds_with_the_right_credentials(tiny, connect) -> None:
    check = connect(tiny).check_connection()
    assert check.ok and check.problem == "none"
    assert CREDS.organisation_id in check.message


@pytest.mark.slow
def test_cli_denies_resources_and_pages_vendors(connect) -> None:
    """`python -m netvisor_assets.simulator --deny ... --vendor-page-size ...` end to end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVISOR_")}
    command = [
        sys.executable,
        "-m",
        "netvisor_assets.simulator",
        "--port",
        "0",
        "--size",
        "tiny",
        "--deny",
        "customerlist.nv,productlist",
        "--vendor-page-size",
        "2",
    ]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            match = re.search(r"ready at (http://\S+)", line)
            url = match.group(1) if match else None
        assert url, "the simulator CLI did not start"
        demo = Credentials.demo()
        client = connect(
            url,
            customer_id=demo.customer_id,
            customer_key=demo.customer_key,
            partner_id=demo.partner_id,
            partner_key=demo.partner_key,
            organisation_id=demo.organisation_id,
        )
        assert client.check_connection().problem == "service_access"
        with pytest.raises(ServiceAccessError):
            client.list_rows(PRODUCT_ENDPOINT)
        before = client.requests_made
        vendors = client.fetch(VENDOR_ENDPOINT)
        assert len(vendors) == 5
        assert client.requests_made - before == 3  # pages of 2, 2 and 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ------------------------------------------------------------------------- serialisation


def _hammer(clients: Sequence[NetvisorClient], rounds: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(clients))

    def run(client: NetvisorClient) -> None:
        try:
            barrier.wait()
            for _ in range(rounds):
                client.list_rows(CUSTOMER_ENDPOINT)
                client.fetch(PAYMENT_TERM_ENDPOINT)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_two_threads_two_clients_never_overlap(connect) -> None:
    """With one attempt per request, an overlap would surface as the simulator's
    "simultaneous requests" TECHNICAL_ERROR; latency widens every request's window."""
    company = generate_company(seed=1, size="tiny")
    with SimulatorServer(company, CREDS, latency=LatencyConfig(mean_ms=3)) as sim:
        clients = [connect(sim, max_attempts=1) for _ in range(2)]
        errors = _hammer(clients, rounds=15)
        assert errors == []
        stats = sim.stats()
        assert stats["per_outcome"] == {"OK": 60}
        assert [c.requests_made for c in clients] == [30, 30]


def test_overlap_detection_is_real_without_the_shared_gate(connect) -> None:
    """Control for the test above: two clients that do not share the per-company gate do
    overlap, and the simulator reports it."""
    company = generate_company(seed=1, size="tiny")
    with SimulatorServer(company, CREDS, latency=LatencyConfig(mean_ms=3)) as sim:
        clients = [connect(sim, max_attempts=1) for _ in range(2)]
        # White-box: a gate of its own (another lock file), as if it were another company.
        clients[1]._gate = Gate(f"{CREDS.organisation_id}-unshared")
        errors = _hammer(clients, rounds=15)
        assert sim.stats()["per_outcome"].get("SIMULTANEOUS", 0) >= 1
        assert errors and all(isinstance(e, TechnicalError) for e in errors)
        assert all("Simultaneous" in str(e) for e in errors)
        assert all(isinstance(e, NetvisorError) for e in errors)


@pytest.mark.parametrize(
    ("kind", "endpoint", "key_of"),
    [
        ("customers", CUSTOMER_ENDPOINT, lambda r: r["customerbaseinformation"]["netvisorkey"]),
        ("vendors", VENDOR_ENDPOINT, lambda r: r["netvisorkey"]),
    ],
    ids=["customers", "vendors"],
)
def test_a_vanished_key_costs_one_request_not_the_batch(
    tiny, connect, caplog, kind, endpoint, key_of
) -> None:
    """getcustomer/getvendor fail a whole key list for one unknown key (a record deleted
    between the list call and the detail call): the client drops that key and gets the rest."""
    keys = tiny.company.keys(kind)
    client = connect(tiny)
    asked = [*keys[:2], 987654, *keys[2:]]
    # A direct call for a key that does not exist is an error, as in Netvisor.
    with pytest.raises(InvalidData, match="987654"):
        client.details(endpoint, asked)
    with caplog.at_level(logging.WARNING, logger="netvisor_assets.netvisor.client"):
        records = client.details(endpoint, asked, skip_vanished=True)
    assert sorted(key_of(r) for r in records) == sorted(keys)
    assert client.requests_made == 3
    assert "987654 vanished" in caplog.text


@pytest.mark.parametrize("endpoint", [PURCHASE_INVOICE_ENDPOINT, SALES_INVOICE_ENDPOINT])
def test_stream_fills_detail_batches_across_windows(
    small: SimulatorServer, connect, endpoint
) -> None:
    first, last = D(2025, 1, 1), D(2025, 12, 31)
    client = connect(small)
    batches = list(stream(client, endpoint, first, last))
    streamed = client.requests_made
    whole = client.fetch(endpoint, window=(first, last))
    records = [r for batch in batches for r in batch]
    assert sorted(records, key=str) == sorted(whole, key=str)
    # Every detail batch but the last holds a full key list, whatever the list windows were.
    sizes = [len(batch) for batch in batches]
    assert len(records) > endpoint.detail.batch_size
    assert all(size == endpoint.detail.batch_size for size in sizes[:-1])
    least = minimum_requests(endpoint, len(records))
    assert least <= streamed <= least + 1


def test_stream_parses_while_the_next_request_waits_one_request_in_flight(
    connect, monkeypatch
) -> None:
    """A detail batch is fetched and parsed in a thread of its own while the list walk goes
    on; every parse happens after the company's gate was released (so the other thread's
    request can wait on Netvisor meanwhile), and the simulator never sees two requests of the
    company at once."""
    from netvisor_assets.netvisor import client as client_module

    company = generate_company(seed=1, size="small")
    with SimulatorServer(company, CREDS, latency=LatencyConfig(fixed_ms=20)) as sim:
        client = connect(sim, max_attempts=1)
        parses: list[tuple[str, bool]] = []
        original = client_module.iter_records

        holder: dict[str, threading.Thread] = {}

        def watched(body, paths, **kwargs):
            held = threading.current_thread() is holder.get("thread")
            parses.append((threading.current_thread().name, held))
            return original(body, paths, **kwargs)

        turn = client._gate.turn

        @contextlib.contextmanager
        def held_turn(*args, **kwargs):
            with turn(*args, **kwargs) as gate:
                holder["thread"] = threading.current_thread()
                try:
                    yield gate
                finally:
                    holder.pop("thread", None)

        monkeypatch.setattr(client_module, "iter_records", watched)
        monkeypatch.setattr(client._gate, "turn", held_turn)
        batches = list(stream(client, SALES_INVOICE_ENDPOINT, D(2000, 1, 1), D(2100, 1, 1)))
        stats, made = sim.stats(), client.requests_made
        monkeypatch.undo()
        expected = client.fetch(SALES_INVOICE_ENDPOINT, window=(D(2000, 1, 1), D(2100, 1, 1)))
    records = [r for batch in batches for r in batch]
    assert len(batches) > 2
    assert sorted(records, key=str) == sorted(expected, key=str)
    assert stats["per_outcome"] == {"OK": made}
    threads = {name for name, _ in parses}
    assert any(name.startswith("netvisor-details") for name in threads), threads
    assert len(threads) == 2
    assert not any(held for _, held in parses), "a response was parsed holding the gate"
