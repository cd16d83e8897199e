"""Deterministic generator of a simulated Finnish company: the simulator's ground truth.

The HTTP app renders what this module holds; the sync is tested against it. So the design goals
are: (1) deterministic from the seed alone, (2) internally consistent books (every valid voucher
balances, account balances are exactly the ledger's sums, invoice open sums match payments),
(3) big enough to stress a sync (the `large` size is five years, ~200k invoices and >1M voucher
lines) yet generated in well under a minute and with little memory.

How (3) is reached: compact column storage and lines regenerated from seeded streams
(`store`); records are built lazily on access. `Company` is the facade; its internals are mixins
by family: `chart` (static data), `simulation` (the day loop), `documents` (creating
documents), `ledger` (postings, balances, closing), `changes` (random edits and deletions) and
the record builders `records_partners`, `records_sales`, `records_purchases`,
`records_ledger`. Each module's docstring holds the design notes of its part.

Assumptions where the API reference is silent (recorded here so the HTTP app agrees):
- `_modified` moves whenever anything rendered in the record changes (status, open sum, amounts,
  contact details), so a `lastmodified` window always finds every changed record.
- Sales orders use the SalesInvoice record shape; their statuses are open / delivered / invoiced.
- Editing an invoice's amounts invalidates its voucher and posts a new one (new key) dated on the
  invoice date; the invalidated voucher stays in the ledger with status "invalidated".
- Deleting an invoice or payment also deletes its voucher; both show up in `deleted_since`.
- Purchase payments' PayerName is the vendor (the party the money went to).
- Foreign-currency invoices keep their amount and lines in EUR (the books' currency); the
  currency code and rate are SalesInvoiceAmount's attributes, ForeignCurrencyAmount the amount
  at the rate of the invoice's month. A payment's Sum (a purchase payment's HomeCurrencySum) is
  the EUR received or paid at the payment month's rate; the payment clears the whole EUR open
  amount and the difference goes to 3580 / 4370.
- A cash-discount payment's Sum is the cash received; it clears the whole invoice.
- The TP voucher (type 9, dated 1 January) reverses the closed year's income-statement balances
  into 2250, so accountbalance.nv starts every income-statement account from zero each year;
  a year's income statement is its vouchers without the TP one.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from netvisor_assets.simulator import names as N
from netvisor_assets.simulator.company.changes import ChangesMixin
from netvisor_assets.simulator.company.chart import (
    StaticMixin,
)
from netvisor_assets.simulator.company.documents import DocumentsMixin
from netvisor_assets.simulator.company.ledger import LedgerMixin
from netvisor_assets.simulator.company.records_ledger import LedgerRecordsMixin
from netvisor_assets.simulator.company.records_partners import PartnerRecordsMixin
from netvisor_assets.simulator.company.records_purchases import PurchaseRecordsMixin
from netvisor_assets.simulator.company.records_sales import SalesRecordsMixin
from netvisor_assets.simulator.company.simulation import SimulationMixin
from netvisor_assets.simulator.company.store import (
    _DATE_FIELD,
    _DAY,
    _K,
    _NO,
    CURRENCIES,
    DELETED_HISTORY_DAYS,
    K_PROD,
    K_VO,
    KEY_BASE,
    KINDS,
    OLDER_PERIOD_DAYS,
    PAYMENT_TERMS,
    SIZES,
    VAT_RATES,
    Plan,
    SizeSpec,
    _add_months,
    _iban,
    _mix,
    _money,
    _Table,
    _to_dt,
    _to_sec,
    y_tunnus,
)

__all__ = [
    "CURRENCIES",
    "DELETED_HISTORY_DAYS",
    "KEY_BASE",
    "KINDS",
    "OLDER_PERIOD_DAYS",
    "PAYMENT_TERMS",
    "SIZES",
    "VAT_RATES",
    "Company",
    "Plan",
    "SizeSpec",
    "generate_company",
    "y_tunnus",
]


class Company(
    StaticMixin,
    SimulationMixin,
    DocumentsMixin,
    LedgerMixin,
    ChangesMixin,
    PartnerRecordsMixin,
    SalesRecordsMixin,
    PurchaseRecordsMixin,
    LedgerRecordsMixin,
):
    """One simulated Netvisor company: master data, documents, ledger and a business clock."""

    KINDS = KINDS

    def __init__(self, seed: int, size: str, start_date: date, organisation_id: str) -> None:
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}; use one of {', '.join(SIZES)}")
        self.seed = seed
        self.size = size
        self.spec = SIZES[size]
        self.start_date = start_date
        self.organisation_id = organisation_id
        self._start = start_date.toordinal()
        end = _add_months(start_date, self.spec.months) - timedelta(days=1)
        self.today = start_date - timedelta(days=1)  # moved by the simulation
        self._t = [_Table(b) for b in KEY_BASE]
        self._events: dict[int, list[tuple[int, int, int]]] = {}
        self._cache: dict[tuple[int, int, int], dict] = {}
        self._si_number = 1000
        self._so_number = 5000
        self._po_number = 100
        self._voucher_numbers: dict[int, int] = {}
        # Running state of the books that later postings derive from.
        self._pool = [0, 0, 0]  # cost of sales not yet bought back, cents per pool
        self._overhead_budget = 0  # cents the sales have funded for overheads, not yet spent
        self._machinery = 0  # book value of 1160 (set from the plan below)
        self._depreciation_months = 0  # months of 1040's straight line done
        self._loan = 0  # outstanding on 2400
        self._closing_lines: dict[int, list[tuple[int, int]]] = {}  # TP voucher -> lines
        self._closing_of_year: dict[int, int] = {}  # closed year -> its TP voucher
        self._year_result: dict[int, dict[int, int]] = {}  # closed, not yet transferred
        self._fx_cache: dict[tuple[int, int], int] = {}
        self._vend_by_cat: list[list[int]] = [[] for _ in N.VENDOR_CATEGORIES]
        self._vend_facts: list[tuple[tuple, str, int, str, bool, int, str]] = []
        rc = random.Random(_mix(seed, 30, 0, 0))
        owner = rc.choice(N.SURNAME_GENITIVES)
        self.name = f"{owner} Kahvipaahtimo Oy"
        self.iban = _iban(f"{rc.choice(N.BANKS)[2]}{rc.randrange(10**13):013d}")
        self._init_chart()
        self._init_dimensions()
        self._init_people(rc)
        self._init_products()
        self.plan = self._plan()
        self._machinery = self.plan.machinery
        self._loan = self.plan.loan
        self._deb = [array("q") for _ in self._acc_numbers]
        self._kre = [array("q") for _ in self._acc_numbers]
        self._balance_cache: tuple[int, list[list[int]]] | None = None
        self._ledger_version = 0
        first = self._start * _DAY + 8 * 3600
        for i in range(self.spec.customers):
            self._new_customer(self._start, first + i)
        for i in range(self.spec.vendors):
            self._new_vendor(self._start, first + i)
        for i in range(self.spec.products):
            self._t[K_PROD].append(self._start, 0, _NO, _NO, 1, 1, 0, 0, first + i, 0, 0)
        self._run_days((end - self.today).days, changes=True)
        # Built once the history exists; `advance` keeps it current (`_Table.touch`).
        for t in self._t:
            t.index_changes()

    # ------------------------------------------------------------------ public API

    @property
    def now(self) -> datetime:
        """The simulated wall clock: 20:00 on `today`, after every change of the day."""
        return _to_dt(self.today.toordinal() * _DAY + 20 * 3600)

    def _table(self, kind: str) -> _Table:
        try:
            return self._t[_K[kind]]
        except KeyError:
            raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}") from None

    def records(self, kind: str) -> Iterator[dict]:
        """Current records of a kind in ascending netvisorkey (built on demand)."""
        t = self._table(kind)
        build = self._builder(kind)
        return (build(i) for i in t.live())

    def get(self, kind: str, key: int) -> dict | None:
        """The record with this netvisorkey, or None (unknown or deleted)."""
        t = self._table(kind)
        i = t.index(key)
        return None if i is None else self._builder(kind)(i)

    def keys(self, kind: str, above: int | None = None) -> list[int]:
        """Keys of the current records, ascending; only those above `above` if given."""
        t = self._table(kind)
        b = t.base + 1
        start = 0 if above is None else min(max(above - t.base, 0), len(t))
        return [b + i for i in t.live(start)]

    def by_date(self, kind: str, first: date, last: date) -> Iterator[dict]:
        """Records whose document date is within [first, last], in key order."""
        t = self._table(kind)
        idx = t.dated(max(first.toordinal(), self._start), last.toordinal())
        build = self._builder(kind)
        return (build(i) for i in idx)

    def modified_between(
        self, kind: str, start: datetime | None, end: datetime | None
    ) -> Iterator[dict]:
        """Records whose `_modified` is within [start, end] (None = open), key order."""
        t = self._table(kind)
        lo = _to_sec(start) if start is not None else 0
        hi = _to_sec(end) if end is not None else 1 << 62
        build = self._builder(kind)
        return (build(i) for i in t.changed(lo, hi))

    def deleted_since(self, kind: str, since: date) -> list[dict]:
        """Deletions on/after `since` that are still in the 7-day history, in key order."""
        t = self._table(kind)
        floor = max(since.toordinal(), self.today.toordinal() - DELETED_HISTORY_DAYS) * _DAY
        out = []
        for sec, i in reversed(t.deletions):
            if sec < floor:
                break
            out.append({"netvisorkey": t.key(i), "deletedate": _to_dt(sec)})
        out.sort(key=lambda d: d["netvisorkey"])
        return out

    def document_date(self, kind: str, record: dict) -> date:
        """The date a record is filed under (invoice date, voucher date, payment date, ...)."""
        field = _DATE_FIELD.get(kind)
        if field is None:
            self._table(kind)
            return record["_modified"].date()
        return record[field]

    @property
    def periods(self) -> list[dict]:
        """Accounting periods: calendar years from the first data year to the clock's year."""
        return [
            {"netvisorkey": i + 1, "name": str(y), "begindate": date(y, 1, 1),
             "enddate": date(y, 12, 31)}
            for i, y in enumerate(range(self.start_date.year, self.today.year + 1))
        ]  # fmt: skip

    def _lock_date(self, today: date) -> date:
        """Books are locked up to the end of the month before last (VAT filed monthly). The
        months up to it were closed at their end and never change (`_close_day`)."""
        lock = today.replace(day=1) - timedelta(days=1)
        lock = lock.replace(day=1) - timedelta(days=1)
        return max(lock, self.start_date - timedelta(days=1))

    @property
    def period_lock_information(self) -> dict:
        """Books are locked up to the end of the month before last (VAT filed monthly)."""
        lock = self._lock_date(self.today)
        return {
            "accountingperiodlockdate": lock,
            "vatperiodlockdate": lock,
            "purchaselockdate": lock,
            "period": [],  # REPEATED there: one client nests periods here (reference 4.12)
        }

    def balances(self, account_keys: list[int] | None, dates: list[date]) -> list[dict]:
        """Debet, kredit and balance (= debet - kredit) of valid vouchers up to each date."""
        prefix = self._prefix_sums()
        wanted = set(account_keys) if account_keys is not None else None
        out = []
        n_days = len(prefix[0][0]) if prefix else 0
        for a, key in enumerate(self._acc_keys):
            if wanted is not None and key not in wanted:
                continue
            deb, kre = prefix[a]
            for d in dates:
                pos = min(d.toordinal() - self._start, n_days - 1)
                dc = deb[pos] if pos >= 0 else 0
                kc = kre[pos] if pos >= 0 else 0
                out.append({"netvisorkey": key, "date": d, "debet": _money(dc),
                            "kredit": _money(kc), "balance": _money(dc - kc)})  # fmt: skip
        return out

    def account_key(self, number: str) -> int:
        """Account netvisorkey of an account number (e.g. "1910")."""
        return self._acc_key_of[number]

    def counts(self) -> dict[str, int]:
        """Current record counts per kind, plus line counts and static lists."""
        out: dict[str, int] = {}
        for kind, t in zip(KINDS, self._t, strict=True):
            n = lines = 0
            for dl, nl in zip(t.deleted, t.nlines, strict=True):
                if not dl:
                    n += 1
                    lines += nl
            out[kind] = n
            if kind in ("sales_invoices", "sales_orders", "purchase_invoices",
                        "purchase_orders"):  # fmt: skip
                out[kind[:-1] + "_lines"] = lines
            elif kind == "vouchers":
                # what the records hold: some invalidated vouchers come without lines
                out["voucher_lines"] = lines - sum(
                    t.nlines[v]
                    for v in range(len(t))
                    if t.status[v] and not t.deleted[v] and self._voucher_quirks(v)[2]
                )
        vt = self._t[K_VO]
        out["vouchers_invalidated"] = sum(
            1 for dl, st in zip(vt.deleted, vt.status, strict=True) if not dl and st
        )
        out["accounts"] = sum(1 for a in self.accounts if a["accounttype"] == "account")
        out["account_groups"] = len(self.accounts) - out["accounts"]
        out["dimensions"] = len(self.dimensions)
        out["dimension_items"] = sum(
            len(d["dimensiondetails"]["dimensiondetail"]) for d in self.dimensions
        )
        out["periods"] = len(self.periods)
        out["voucher_types"] = len(self.voucher_types)
        out["payment_terms"] = len(self.payment_terms)
        out["sales_personnel"] = len(self.sales_personnel)
        return out

    def advance(self, days: int) -> dict:
        """Move the clock `days` forward: new documents, status moves, edits and deletions."""
        if days < 0:
            raise ValueError("the clock only moves forward")
        return self._run_days(days, changes=True)

    def _builder(self, kind: str):  # noqa: ANN202 - a bound method
        return getattr(self, "_build_" + kind)


def generate_company(
    seed: int = 1,
    size: str = "small",
    start_date: date = date(2025, 1, 1),
    organisation_id: str = "1967543-8",
) -> Company:
    """Generate a company deterministically from `seed`; its clock ends on the last data day."""
    return Company(seed, size, start_date, organisation_id)
