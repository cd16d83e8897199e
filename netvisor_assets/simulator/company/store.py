"""The company's storage and constants: column tables, key bases, sizes, money helpers.

Documents are stored compactly as columns of `array` values (date, party, status, amounts in
integer cents, version, change time, ...). A document's lines are never stored: they are a pure
function of (seed, kind, key, version) and are regenerated from a dedicated `random.Random`
stream whenever a record is built, which is also how the books are posted while simulating.
Money is integer cents inside (exact and fast) and `Decimal` with two decimals in every record.
"""

from __future__ import annotations

import bisect
import calendar
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from netvisor_assets.settings import y_tunnus_check_digit
from netvisor_assets.simulator import names as N
from netvisor_assets.timezone import HELSINKI

DELETED_HISTORY_DAYS = 7
# The first months of the books answer in older shapes (lines without keys or VAT codes).
OLDER_PERIOD_DAYS = 92
_DAY = 86400
_NO = -1


@dataclass(frozen=True)
class SizeSpec:
    """Volumes of one company size; rates are per business day (weekends get a tenth).

    Money is not here: what the company spends is sized from what its seeded catalogue earns
    (see `Plan`), because the catalogue's prices move revenue by half between seeds.
    """

    months: int
    customers: int
    vendors: int
    products: int
    sales_per_day: float
    goods_purchases_per_day: float  # invoices buying back goods and subcontracting
    sales_orders_per_day: float
    purchase_orders_per_day: float
    new_customers_per_month: float
    share_capital_cents: int


SIZES: dict[str, SizeSpec] = {
    # A handful per table: fast unit tests (one month, ~20 invoices).
    "tiny": SizeSpec(1, 8, 5, 8, 0.75, 0.3, 0.5, 0.4, 0.0, 250_000),
    # One year, a few thousand vouchers.
    "small": SizeSpec(12, 150, 40, 40, 5.5, 1.4, 1.0, 0.5, 2.0, 250_000),
    # Two years.
    "medium": SizeSpec(24, 600, 120, 120, 17.0, 4.0, 3.0, 1.5, 6.0, 1_000_000),
    # Five years, ~200k invoices and >1M voucher lines: the performance case.
    "large": SizeSpec(60, 3000, 400, 300, 115.0, 22.0, 10.0, 4.0, 25.0, 10_000_000),
}


@dataclass(frozen=True)
class Plan:
    """The company's fixed costs and opening balance sheet, in cents.

    A Finnish SME staffs and houses itself for the business it has: everything here is a share
    of the expected monthly gross margin (net sales less what the goods and subcontracting
    cost), computed from the catalogue and the sales rate. What varies with the business
    follows the actual sales instead: goods and subcontracting are bought back as they are sold
    (`Company._replenish`) and overheads are spent from a budget the sales fund. Only payroll,
    rent and depreciation are fixed, which keeps the operating margin within about 3-12 % of
    revenue however the seeded sales turn out (`_PLAN_SHARES` aim at 7 %).
    """

    gross_margin: int  # expected per month
    employees: int
    salary_range: tuple[int, int]  # one employee's monthly gross
    rent: int  # monthly, net of VAT
    overhead_per_day: float  # expected invoices for IT, office, telecom, marketing, ...
    opening_bank: int
    machinery: int  # 1160, depreciated 25 % a year reducing balance
    intangible: int  # 1040, straight line over five years
    loan: int  # 2400, seven-year equal instalments, 5 % interest


KINDS = (
    "customers",
    "vendors",
    "products",
    "sales_invoices",
    "sales_orders",
    "purchase_invoices",
    "purchase_orders",
    "vouchers",
    "sales_payments",
    "purchase_payments",
)
_K = {k: i for i, k in enumerate(KINDS)}
K_CUST, K_VEND, K_PROD, K_SI, K_SO, K_PI, K_PO, K_VO, K_SP, K_PP = range(10)
_K_DAY, _K_CHANGE = 20, 21

# Each kind has its own key sequence; distinct bases make a key mixed up between kinds obvious.
KEY_BASE = (10_000, 20_000, 30_000, 100_000, 5_000_000, 1_000_000, 6_000_000, 2_000_000,
            3_000_000, 4_000_000)  # fmt: skip

_DATE_FIELD = {
    "sales_invoices": "salesinvoicedate",
    "sales_orders": "salesinvoicedate",
    "purchase_invoices": "purchaseinvoicedate",
    "purchase_orders": "orderdate",
    "vouchers": "voucherdate",
    "sales_payments": "date",
    "purchase_payments": "date",
}

# Sales invoice statuses (machine value, English text).
SI_UNSENT, SI_OPEN, SI_OVERDUE, SI_REMINDED, SI_PAID = range(5)
_SI_STATUS = (("unsent", "Unsent"), ("open", "Open"), ("overdue", "Overdue"),
              ("reminded", "Reminded"), ("paid", "Paid"))  # fmt: skip
_SO_STATUS = (("open", "Open"), ("delivered", "Delivered"), ("invoiced", "Invoiced"))
_PI_APPROVAL = ("open", "approved", "accepted")
_PO_STATUS = ("proposal", "approved", "senttovendor", "waitinginvoice", "archived")
F_CREDIT_NOTE, F_CREDITED = 1, 2
V_VALID, V_INVALIDATED = 0, 1

# Voucher sources (the `party` column of the voucher table).
(SRC_SI, SRC_PI, SRC_SP, SRC_PP, SRC_OPENING, SRC_SALARY, SRC_PAYROLL_TAX, SRC_VAT, SRC_VAT_PAY,
 SRC_DEPRECIATION, SRC_LOAN, SRC_INCOME_TAX, SRC_CLOSING, SRC_TAX_PAY) = range(14)  # fmt: skip

# Events scheduled by day.
(E_SEND, E_DUE, E_REMIND, E_SPAY, E_CREDIT, E_PAPPROVE, E_PACCEPT, E_PPAY, E_PREPOST, E_SO,
 E_PO, E_PAYROLL_TAX, E_VAT_PAY, E_TAX_PAY) = range(14)  # fmt: skip
# E_SPAY arguments: pay the open sum, half of it, or within the discount days less the discount.
PAY_FULL, PAY_HALF, PAY_DISCOUNT = range(3)

# Kinds of sales payments (their `status` column): matched to an invoice, matched and taking the
# cash discount, matched in a foreign currency, or matching no invoice (an advance).
SP_PLAIN, SP_DISCOUNT, SP_FX, SP_UNMATCHED = range(4)
# Kinds of purchase payments: in euros, or in the vendor's foreign currency.
PP_PLAIN, PP_FX = range(2)

# Currencies by index (customers' and vendors' currency) and their mean rate to the euro in
# units per EUR x 10^4; each month's rate is the mean moved up to 2.5 % (seeded).
CURRENCIES = ("EUR", "SEK", "USD")
_FX_MEAN = (10_000, 112_000, 10_800)
# Customers' countries by index (the customer table's `ref2` column): domestic, EU, export.
_CUSTOMER_COUNTRIES = ("FI", "SE", "US")
_COUNTRY_NAMES = {"FI": "Finland"} | {cc: c[0] for cc, c in N.FOREIGN_COUNTRIES.items()}
_CLOSING_TEXT = ("Tulostilin nollaus", "Tilikauden tulos")
_CASH_DISCOUNT_TAKERS = 0.6  # share of invoices on a discount term paid within its days
_INCOME_TAX_PERCENT = 20
_LOAN_INTEREST_PERCENT = 5
_LOAN_MONTHS = 84
_LOAN_DAY = 15  # instalment and interest are debited on this day of each month
# Employer's side costs in ten-thousandths of gross salary (2025 rates): TyEL pension, the
# employee's TyEL share withheld, the health insurance contribution, unemployment and accident
# insurance together.
_PENSION, _EMPLOYEE_PENSION, _HEALTH, _OTHER_SOCIAL = 1740, 715, 187, 100

VAT_RATES = (Decimal("25.5"), Decimal("14"), Decimal("10"), Decimal("0"))
_VAT_DEC = {255: Decimal("25.5"), 140: Decimal("14"), 100: Decimal("10"), 0: Decimal("0")}

PAYMENT_TERMS = (
    # key, description, net days, discount days, discount percent, default
    (1, "7 päivää netto", 7, 0, Decimal("0"), False),
    (2, "14 päivää netto", 14, 0, Decimal("0"), True),
    (3, "14 pv -2 %, 30 pv netto", 30, 14, Decimal("2"), False),
    (4, "21 päivää netto", 21, 0, Decimal("0"), False),
    (5, "30 päivää netto", 30, 0, Decimal("0"), False),
)
_TERM_WEIGHTS = (1, 5, 1, 2, 3)

_COST_CENTRES = ("Myynti", "Huolto", "Koulutus", "Hallinto", "Hankinta")
_PROJECTS = ("P100 Kahvilaketju", "P200 Toimistokahvi", "P300 Messut", "P400 Verkkokauppa")
# Cost centre by product category (index into names.PRODUCT_CATEGORIES).
_CAT_CC = (0, 0, 0, 1, 0, 2)
# What is sold is bought back: the replenishment pool of each product category (coffee, tea and
# periodicals from the coffee wholesaler, devices from the machine wholesaler, service hours and
# trainings from subcontractors) and the vendor category of each pool. Goods cost their
# purchase price (55 % of the list price, as the product records say), services 35 % of net.
_CAT_POOL = (0, 0, 1, 2, 0, 2)
_POOL_VENDOR_CAT = (0, 1, 2)
_SERVICE_COST_PERMILLE = 350
_MIN_REPLENISHMENT = 5_000
_RENT_CAT = 3
# Overheads: vendor categories and their weights (software vendors stand in for a category
# the company has no vendor of, as in the tiny company).
_OVERHEAD_CATS = (4, 5, 6, 7, 8, 9, 10)
_OVERHEAD_WEIGHTS = (3, 3, 2, 2, 1, 3, 1)

_NLINES = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4)
# Shares of the expected monthly gross margin, in per mille: payroll with its side costs and
# net rent a month; the opening bank balance, machinery, intangible rights and the bank loan.
_PLAN_SHARES = {"payroll": 495, "rent": 80, "bank": 1200, "machinery": 1600, "intangible": 500,
                "loan": 2000}  # fmt: skip
# Overheads (IT, office, telecom, marketing, catering, insurance) are spent as the business
# goes: each sale adds this share of its gross margin (per mille) to a budget that overhead
# invoices, arriving at three times the rate the plan expects, draw on while it lasts.
_OVERHEAD_PERMILLE = 255
_OVERHEAD_HEADROOM = 3.0
_MEAN_SALARY = 370_000
# Expected invoices a month per unit of the business-day rate, x 100 (21.75 business days and
# 8.7 weekend days at a tenth).
_MONTH_DAYS_100 = 2262
_CENT = Decimal("0.01")
_ONE = Decimal(1)


def _mix(seed: int, kind: int, key: int, version: int) -> int:
    """Seed of the stream of one document version: distinct per (seed, kind, key, version)."""
    return (seed << 64) ^ (kind << 56) ^ (key << 12) ^ version


def _money(cents: int) -> Decimal:
    """Integer cents as a two-decimal Decimal (exact, never through float)."""
    return Decimal(cents).scaleb(-2)


def _vat(net: int, vat10: int) -> int:
    """VAT in cents of a net amount at `vat10` tenths of a percent, half away from zero."""
    v = (abs(net) * vat10 + 500) // 1000
    return v if net >= 0 else -v


def _reference(base: str) -> str:
    """Finnish creditor reference: digits plus a 7-3-1 weighted check digit."""
    weights = (7, 3, 1)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(base)))
    return base + str((10 - total % 10) % 10)


def _iban(bban: str, country: str = "FI") -> str:
    """IBAN with valid check digits for a numeric BBAN (14 digits in Finland)."""
    letters = "".join(str(ord(ch) - 55) for ch in country)
    check = 98 - int(bban + letters + "00") % 97
    return f"{country}{check:02d}{bban}"


def _purchase_price(list_price: int) -> int:
    """What a product costs the company: 55 % of its list price (the product records say so,
    and goods sold are bought back at it)."""
    return list_price * 55 // 100


def _convert(cents: int, rate: int) -> int:
    """EUR cents in a currency at `rate` (units per EUR x 10^4), half away from zero."""
    v = (abs(cents) * rate + 5_000) // 10_000
    return v if cents >= 0 else -v


def _lines_in_currency(sums: list[int], total: int, rate: int) -> list[int]:
    """Line sums of a foreign-currency document in its currency: each converted at the rate,
    the last absorbing the rounding so they add up to the document's foreign amount (Netvisor's
    lines are in the invoice's currency, and the invoice amount equals its lines)."""
    out = [_convert(c, rate) for c in sums]
    if out:
        out[-1] += total - sum(out)
    return out


def _to_eur(cents: int, rate: int) -> int:
    """Foreign cents in EUR at `rate` (units per EUR x 10^4), half away from zero."""
    v = (abs(cents) * 20_000 + rate) // (2 * rate)
    return v if cents >= 0 else -v


def y_tunnus(number: int) -> str:
    """A valid Y-tunnus derived from `number` (bumped past numbers that are never issued)."""
    n = number % 2_900_000 + 100_000
    while (check := y_tunnus_check_digit(f"{n:07d}")) is None:
        n += 1
    return f"{n:07d}-{check}"


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "a", "ö": "o", "å": "a", "ü": "u", "é": "e", " ": "", "-": "",
                           ".": "", "'": ""})  # fmt: skip
    return text.lower().translate(table)


def _business_day(d: date) -> bool:
    return d.weekday() < 5


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _count(r: random.Random, mean: float) -> int:
    """A non-negative count around `mean` (normal approximation of Poisson, cheap)."""
    if mean <= 0:
        return 0
    if mean < 8:
        n, acc = 0, r.random()
        threshold = pow(2.718281828459045, -mean)
        while acc > threshold:
            acc *= r.random()
            n += 1
        return n
    return max(0, round(r.gauss(mean, mean**0.5)))


class _Table:
    """Column store of one kind's documents; index i has netvisorkey `base + i + 1`.

    Two indexes let a list call touch only the documents it answers with, not the whole
    table (`large` holds ~400k vouchers): `by_day` buckets the indices by document date (dates
    never change), and the change index (`index_changes`) sorts them by change time.
    """

    __slots__ = (
        "base", "date", "party", "ref", "ref2", "ver", "status", "flags", "amount", "paid",
        "modified", "number", "nlines", "deleted", "by_day", "deletions",
        "_stamps", "_order", "_pending", "_stale",
    )  # fmt: skip

    def __init__(self, base: int) -> None:
        self.base = base
        self.date = array("i")  # ordinal of the document date
        self.party = array("i")  # customer / vendor index; voucher: source code
        self.ref = array("i")  # invoice: voucher index; payment: invoice index; voucher: source
        self.ref2 = array("i")  # credit note: original; voucher: source version
        self.ver = array("i")  # version: lines are regenerated from (seed, kind, key, version)
        self.status = array("b")
        self.flags = array("b")
        self.amount = array("q")  # cents, gross
        self.paid = array("q")  # cents settled (payments or credit)
        self.modified = array("q")  # local Helsinki seconds since 0001-01-01
        self.number = array("i")
        self.nlines = array("b")
        self.deleted = array("b")
        self.by_day: dict[int, array] = {}
        self.deletions: list[tuple[int, int]] = []  # (local seconds, index), chronological
        # The change index: `_order` holds indices sorted by the change time in `_stamps`.
        # None until `index_changes`, so generation does not pay for keeping it up to date.
        self._stamps: array | None = None
        self._order = array("i")
        self._pending: set[int] = set()  # appended or changed since the index was last merged
        self._stale = 0  # entries whose document has changed again since

    def __len__(self) -> int:
        return len(self.date)

    def append(self, day: int, party: int, ref: int, ref2: int, ver: int, status: int,
               amount: int, paid: int, modified: int, number: int, nlines: int,
               flags: int = 0) -> int:  # fmt: skip
        i = len(self.date)
        self.date.append(day)
        self.party.append(party)
        self.ref.append(ref)
        self.ref2.append(ref2)
        self.ver.append(ver)
        self.status.append(status)
        self.flags.append(flags)
        self.amount.append(amount)
        self.paid.append(paid)
        self.modified.append(modified)
        self.number.append(number)
        self.nlines.append(nlines)
        self.deleted.append(0)
        bucket = self.by_day.get(day)
        if bucket is None:
            self.by_day[day] = array("i", (i,))
        else:
            bucket.append(i)
        if self._stamps is not None:
            self._pending.add(i)
        return i

    def touch(self, i: int, sec: int) -> None:
        """Move document i's change time forward to `sec` (it never moves back)."""
        if self.modified[i] < sec:
            self.modified[i] = sec
            if self._stamps is not None:
                self._pending.add(i)

    def key(self, i: int) -> int:
        return self.base + i + 1

    def index(self, key: int) -> int | None:
        i = key - self.base - 1
        if 0 <= i < len(self.date) and not self.deleted[i]:
            return i
        return None

    def live(self, start: int = 0) -> Iterator[int]:
        deleted = self.deleted
        return (i for i in range(start, len(deleted)) if not deleted[i])

    def dated(self, first: int, last: int) -> list[int]:
        """Live indices dated within the ordinals [first, last], ascending."""
        if not self.by_day:
            return []
        # Clamped to the days that hold documents, so an open-ended window costs no more.
        first, last = max(first, min(self.by_day)), min(last, max(self.by_day))
        by_day, deleted = self.by_day, self.deleted
        out: list[int] = []
        for day in range(first, last + 1):
            bucket = by_day.get(day)
            if bucket is not None:
                out.extend(i for i in bucket if not deleted[i])
        out.sort()
        return out

    def index_changes(self) -> None:
        """(Re)build the change index; from then on `append` and `touch` keep it current."""
        modified = self.modified
        order = sorted(range(len(modified)), key=modified.__getitem__)
        self._order = array("i", order)
        self._stamps = array("q", [modified[i] for i in order])
        self._pending.clear()
        self._stale = 0

    def changed(self, lo: int, hi: int) -> list[int]:
        """Live indices whose change time is within [lo, hi] (local seconds), ascending."""
        if self._stamps is None:
            self.index_changes()
        self._merge_pending()
        stamps, order = self._stamps, self._order
        a, b = bisect.bisect_left(stamps, lo), bisect.bisect_right(stamps, hi)
        modified, deleted = self.modified, self.deleted
        # A document changed again after it was indexed keeps its old entry too: only the
        # entry carrying its current change time counts.
        out = [
            i
            for i, sec in zip(order[a:b], stamps[a:b], strict=True)
            if modified[i] == sec and not deleted[i]
        ]
        out.sort()
        return out

    def _merge_pending(self) -> None:
        """Add the documents appended or changed since the last merge.

        The clock only moves forward, so what changed since is normally later than everything
        indexed and is appended in order; anything else (or too many stale entries) rebuilds.
        """
        if not self._pending:
            return
        assert self._stamps is not None
        modified, stamps = self.modified, self._stamps
        new = sorted(self._pending, key=modified.__getitem__)
        indexed = len(self._order) - self._stale  # documents 0 .. indexed - 1 have an entry
        self._stale += sum(1 for i in new if i < indexed)
        if (stamps and modified[new[0]] < stamps[-1]) or self._stale > len(stamps) // 2:
            self.index_changes()
            return
        self._order.extend(new)
        stamps.extend(modified[i] for i in new)
        self._pending.clear()


def _to_dt(sec: int) -> datetime:
    day, rest = divmod(sec, _DAY)
    return datetime.fromordinal(day).replace(tzinfo=HELSINKI) + timedelta(seconds=rest)


def _to_sec(value: datetime) -> int:
    local = value if value.tzinfo is None else value.astimezone(HELSINKI).replace(tzinfo=None)
    return (
        local.toordinal() * _DAY + local.hour * 3600 + local.minute * 60 + local.second
        + (1 if local.microsecond else 0)
    )  # fmt: skip
