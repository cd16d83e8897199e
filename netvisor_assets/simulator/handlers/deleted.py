"""The deleted-record resources (`deletedsalesinvoices.nv`, ...), one per deletable kind.

Assumption where the reference is silent (4.18): they keep 7 days of history counted back from
the simulated business date (`company.today`); an older `deletedsince` is accepted and answers
what is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from netvisor_assets.simulator.handlers.params import (
    CompanyLike,
    Params,
    Reply,
    invalid,
    listing,
)
from netvisor_assets.simulator.render import (
    HELSINKI,
)

DELETED_HISTORY_DAYS = 7
DELETED_KINDS = {
    "vouchers": ("vouchers", "voucher"),
    "salesinvoices": ("sales_invoices", "salesinvoice"),
    "salesorders": ("sales_orders", "salesorder"),
    "salespayments": ("sales_payments", "salespayment"),
    "purchaseinvoices": ("purchase_invoices", "purchaseinvoice"),
    "purchaseorders": ("purchase_orders", "purchaseorder"),
    "purchasepayments": ("purchase_payments", "purchasepayment"),
}


def deleted_handler(name: str) -> Callable[[CompanyLike, Params], Reply]:
    kind, singular = DELETED_KINDS[name]

    def handler(company: CompanyLike, p: Params) -> Reply:
        since = p.moment("deletedsince")
        if since is None:
            raise invalid("Required parameter deletedsince is missing")
        horizon = company.today - dt.timedelta(days=DELETED_HISTORY_DAYS)
        first = max(since.date(), horizon)
        rows = []
        for row in company.deleted_since(kind, first):
            moment = row.get("deletedate")
            if isinstance(moment, dt.datetime):
                aware = moment if moment.tzinfo else moment.replace(tzinfo=HELSINKI)
                if aware < since:
                    continue
            rows.append({"netvisorkey": row["netvisorkey"], "deletedate": moment})
        rows.sort(key=lambda r: (r["deletedate"] is None, r["deletedate"], r["netvisorkey"]))
        return listing(f"deleted{name}", f"deleted{singular}", rows)

    handler.__doc__ = f"deleted{name}.nv: `deletedsince` required, 7 days of history."
    return handler
