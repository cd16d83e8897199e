"""What the simulated company holds for each warehouse source, as the client would parse it.

The one hook tests use for ground truth (`source_records`): computed from the company's own
records, never through the HTTP app or the client, so a sync is compared with what Netvisor
holds rather than with itself. A source the simulator serves registers here by name (the
registry's source names); a table added to the registry without an entry here fails the
registry's completeness test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from netvisor_assets.simulator import handlers
from netvisor_assets.simulator.render import expected_record

if TYPE_CHECKING:
    from netvisor_assets.simulator.server import SimulatorServer

Truth = Callable[["SimulatorServer", dt.date, dt.date], list[dict[str, Any]]]

# source -> (company collection, element of one record in its detail response, dated)
_DOCUMENTS = {
    "vouchers": ("vouchers", "voucher", True),
    "sales_invoices": ("sales_invoices", "salesinvoice", True),
    "sales_orders": ("sales_orders", "salesinvoice", True),
    "purchase_invoices": ("purchase_invoices", "purchaseinvoice", True),
    "purchase_orders": ("purchase_orders", "purchaseorder", True),
    "sales_payments": ("sales_payments", "salespayment", True),
    "purchase_payments": ("purchase_payments", "payment", True),
    "customers": ("customers", "customer", False),
    "vendors": ("vendors", "vendor", False),
    "products": ("products", "product", False),
}
# Sources whose records carry their list row under `list` (open amount, sub-status).
_LIST_ROWS = {
    "sales_invoices": (
        "salesinvoice",
        lambda r: handlers.sales_list_item(r, handlers.Params({}), "getsalesinvoice.nv"),
    ),
    "purchase_invoices": (
        "purchaseinvoice",
        lambda r: handlers.purchase_list_item(r, handlers.Params({})),
    ),
}
# source -> (company attribute, element of one record)
_REFERENCE = {
    "accounts": ("accounts", "account"),
    "dimensions": ("dimensions", "dimensionname"),
    "accounting_periods": ("periods", "period"),
    "voucher_types": ("voucher_types", "vouchertype"),
    "payment_terms": ("payment_terms", "paymentterm"),
    "sales_personnel": ("sales_personnel", "salesperson"),
}


def _documents(source: str) -> Truth:
    kind, element, dated = _DOCUMENTS[source]

    def truth(sim: SimulatorServer, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        company = sim.company
        raws = company.by_date(kind, first, last) if dated else company.records(kind)
        out = []
        for raw in raws:
            record = expected_record(element, raw)
            if source in _LIST_ROWS:
                item, build = _LIST_ROWS[source]
                record["list"] = expected_record(item, build(raw))
            out.append(record)
        return out

    return truth


def _reference(source: str) -> Truth:
    attribute, element = _REFERENCE[source]

    def truth(sim: SimulatorServer, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        return [expected_record(element, r) for r in getattr(sim.company, attribute)]

    return truth


def _periods(sim: SimulatorServer, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    locks = sim.company.period_lock_information
    return [{**r, "locks": locks} for r in _reference("accounting_periods")(sim, first, last)]


def _default_accounts(sim: SimulatorServer, first: dt.date, last: dt.date) -> list[dict]:
    return [
        {"role": role, "accountnumber": number}
        for role, number in sorted(sim.company.company_default_accounts.items())
    ]


def _balances(sim: SimulatorServer, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    # The simulator's ground truth is already one record per account and day, and like the
    # API it answers at most handlers.MAX_BALANCE_DATES dates per call.
    records: list[dict[str, Any]] = []
    start = first
    while start <= last:
        end = min(last, start + dt.timedelta(days=handlers.MAX_BALANCE_DATES - 1))
        records += sim.ground_truth(
            "accountbalance",
            {"balancedates": f"{start.isoformat()},{end.isoformat()}", "intervaltype": "1"},
        )
        start = end + dt.timedelta(days=1)
    return records


SOURCES: dict[str, Truth] = {
    **{name: _documents(name) for name in _DOCUMENTS},
    **{name: _reference(name) for name in _REFERENCE},
    "accounting_periods": _periods,
    "default_accounts": _default_accounts,
    "account_balances": _balances,
}


def source_records(
    sim: SimulatorServer, source: str, first: dt.date, last: dt.date
) -> list[dict[str, Any]]:
    """Every record of `source` dated in [first, last] (all of an undated source)."""
    try:
        truth = SOURCES[source]
    except KeyError:
        raise KeyError(f"the simulator has no ground truth for source {source!r}") from None
    return truth(sim, first, last)
