"""Deterministic generator of a simulated Finnish company: the simulator's ground truth.

The HTTP app renders what this module holds; the sync is tested against it. So the design goals
are: (1) deterministic from the seed alone, (2) internally consistent books (every valid voucher
balances, account balances are exactly the ledger's sums, invoice open sums match payments),
(3) big enough to stress a sync (the `large` size is five years, ~200k invoices and >1M voucher
lines) yet generated in well under a minute and with little memory.

How (3) is reached: documents are stored compactly as columns of `array` values (date, party,
status, amounts in integer cents, version, change time, ...). A document's lines are never
stored: they are a pure function of (seed, kind, key, version) and are regenerated from a
dedicated `random.Random` stream whenever a record is built, which is also how the books are
posted while simulating. Records (the dicts of `netvisor/fields.py`) are built lazily on access.
Money is integer cents inside (exact and fast) and `Decimal` with two decimals in every record.

The company is simulated day by day: each day sends yesterday's invoices, moves statuses (due,
reminded, approved), books payments scheduled by earlier invoices, creates the day's new
documents and, at month end, books payroll and depreciation and closes the month: corrections
never reach back into a closed month, so the VAT settlement posted after the month's last
change clears 2939 and 1763 for good, and nothing dated on or before the period lock (the end
of the month before last) ever changes. December's close books the income tax, and 1 January
the result transfer. `advance()` runs the same simulation for new days, plus random edits and
deletions, so the initial data and later changes look the same to a sync.

The books are meant to carry financial reports: the cost side is sized from what the seeded
catalogue earns (`Plan`), goods are bought back as they are sold, and the ledger has what an
SME's has: payroll side costs, depreciation, a bank loan, income tax and a TP result transfer,
foreign-currency customers and vendors with exchange differences, EU reverse charge, cash
discounts and unidentified payments.

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

# Chart of accounts in the Finnish standard ranges: (number or None for a group, Finnish name,
# English name, depth). Groups are followed by their members; depth gives the tree.
_CHART: tuple[tuple[str | None, str, str, int], ...] = (
    (None, "Vastaavaa", "Assets", 0),
    (None, "Pysyvät vastaavat", "Non-current assets", 1),
    ("1040", "Aineettomat oikeudet", "Intangible rights", 2),
    ("1160", "Koneet ja kalusto", "Machinery and equipment", 2),
    (None, "Vaihtuvat vastaavat", "Current assets", 1),
    ("1500", "Aineet ja tarvikkeet", "Materials and supplies", 2),
    ("1700", "Myyntisaamiset", "Trade receivables", 2),
    ("1763", "Arvonlisäverosaamiset", "VAT receivable", 2),
    ("1800", "Siirtosaamiset", "Accrued income", 2),
    ("1910", "Pankkitili", "Bank account", 2),
    (None, "Vastattavaa", "Equity and liabilities", 0),
    (None, "Oma pääoma", "Equity", 1),
    ("2000", "Osakepääoma", "Share capital", 2),
    ("2250", "Edellisten tilikausien voitto", "Retained earnings", 2),
    ("2370", "Tilikauden voitto", "Profit for the period", 2),
    (None, "Vieras pääoma", "Liabilities", 1),
    ("2400", "Lainat rahoituslaitoksilta", "Loans from credit institutions", 2),
    ("2861", "Saadut ennakot", "Advances received", 2),
    ("2871", "Ostovelat", "Trade payables", 2),
    ("2931", "Ennakonpidätysvelka", "Withholding tax payable", 2),
    ("2935", "Eläkevakuutusmaksuvelka", "Pension contributions payable", 2),
    ("2937", "Sosiaaliturvamaksuvelka", "Social security contributions payable", 2),
    ("2938", "Muut henkilösivukuluvelat", "Other social costs payable", 2),
    ("2939", "Arvonlisäverovelka", "VAT payable on sales", 2),
    ("2946", "Tilitettävä arvonlisävero", "VAT to be remitted", 2),
    ("2950", "Tuloverovelka", "Income tax payable", 2),
    ("2960", "Siirtovelat", "Accrued liabilities", 2),
    (None, "Tuloslaskelma", "Income statement", 0),
    (None, "Liikevaihto", "Revenue", 1),
    ("3000", "Myynti 25,5 %", "Sales 25.5 %", 2),
    ("3010", "Palvelumyynti 25,5 %", "Service sales 25.5 %", 2),
    ("3020", "Myynti 14 %", "Sales 14 %", 2),
    ("3030", "Myynti 10 %", "Sales 10 %", 2),
    ("3040", "Veroton myynti", "VAT-exempt sales", 2),
    ("3360", "EU-myynti", "EU sales", 2),
    ("3380", "Vientimyynti", "Export sales", 2),
    ("3500", "Myynnin alennukset", "Sales discounts", 2),
    ("3580", "Myynnin kurssierot", "Sales exchange differences", 2),
    ("3590", "Perintätuotot", "Collection income", 2),
    (None, "Materiaalit ja palvelut", "Materials and services", 1),
    ("4000", "Ostot", "Purchases", 2),
    ("4110", "EU-ostot", "EU purchases", 2),
    ("4130", "Tuontiostot", "Imports", 2),
    ("4230", "Ostojen alennukset", "Purchase discounts", 2),
    ("4370", "Ostojen kurssierot", "Purchase exchange differences", 2),
    ("4450", "Alihankinnat", "Subcontracting", 2),
    (None, "Henkilöstökulut", "Personnel expenses", 1),
    ("5000", "Palkat", "Salaries", 2),
    ("6130", "Eläkevakuutusmaksut", "Pension insurance", 2),
    ("6300", "Muut henkilösivukulut", "Other social costs", 2),
    ("6410", "Sosiaaliturvamaksut", "Social security contributions", 2),
    (None, "Poistot ja arvonalentumiset", "Depreciation", 1),
    ("6800", "Suunnitelman mukaiset poistot", "Planned depreciation", 2),
    (None, "Liiketoiminnan muut kulut", "Other operating expenses", 1),
    ("7010", "Toimitilavuokrat", "Premises rent", 2),
    ("7600", "ATK-kulut", "IT expenses", 2),
    ("7690", "Toimistotarvikkeet", "Office supplies", 2),
    ("7700", "Puhelin ja tietoliikenne", "Telecommunications", 2),
    ("7800", "Markkinointikulut", "Marketing", 2),
    ("7880", "Kirjallisuus ja lehdet", "Literature and periodicals", 2),
    ("7900", "Vakuutukset", "Insurance", 2),
    ("7960", "Kokous- ja ruokailukulut", "Meetings and catering", 2),
    (None, "Rahoitustuotot ja -kulut", "Financial items", 1),
    ("8400", "Korkokulut", "Interest expenses", 2),
    ("8570", "Pyöristyserot", "Rounding differences", 2),
    (None, "Tuloverot", "Income taxes", 1),
    ("9900", "Tuloverot", "Income taxes", 2),
)

_DEFAULT_ACCOUNTS = {
    "tradepayables": "2871",
    "purchasevatreceivable": "1763",
    "roundingoffdifference": "8570",
    "vatpayable": "2946",
    "taxaccount": "2946",
    "advancepayments": "2861",
    "salesreceivables": "1700",
    "salesvatdebt": "2939",
    "inventory": "1500",
    "salesdiscount": "3500",
    "salesexchangeratedifferences": "3580",
    "collection": "3590",
    "purchasesdiscounts": "4230",
    "purchasesexchangeratedifferences": "4370",
    "purchaseinvoiceaccrual": "2960",
    "salesinvoiceaccrual": "1800",
    "purchasedomesticdefault": "4000",
    "purchaseeudefault": "4110",
    "purchaseoutsideeudefault": "4130",
    "salesdomesticdefault": "3000",
    "saleseudefault": "3360",
    "salesoutsideeudefault": "3380",
}

# (key, abbreviation, English name, Finnish name); voucherclass renders "ABBR Name".
_VOUCHER_TYPES = (
    (1, "SA", "Sales Invoice", "Myyntilasku"),
    (2, "SP", "Sales Invoice Payment", "Myyntilaskun suoritus"),
    (3, "PI", "Purchase Invoice", "Ostolasku"),
    (4, "PP", "Purchase Invoice Payment", "Ostolaskun maksu"),
    (5, "OT", "Other System Generated", "Muu järjestelmän luoma"),
    (6, "BS", "Bank Statement", "Tiliote"),
    (7, "AC", "Accrual", "Jaksotus"),
    (8, "ME", "Memo Voucher", "Muistiotosite"),
    # Only the year-end result transfer uses it, so a report can leave closing entries out.
    (9, "TP", "Closing entries", "Tilinpäätösviennit"),
)
_SRC_VTYPE = {SRC_SI: 0, SRC_PI: 2, SRC_SP: 1, SRC_PP: 3, SRC_OPENING: 7, SRC_SALARY: 7,
              SRC_PAYROLL_TAX: 5, SRC_VAT: 4, SRC_VAT_PAY: 5, SRC_DEPRECIATION: 7,
              SRC_LOAN: 5, SRC_INCOME_TAX: 7, SRC_CLOSING: 8, SRC_TAX_PAY: 5}  # fmt: skip

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
    """Column store of one kind's documents; index i has netvisorkey `base + i + 1`."""

    __slots__ = (
        "base", "date", "party", "ref", "ref2", "ver", "status", "flags", "amount", "paid",
        "modified", "number", "nlines", "deleted", "by_day", "deletions",
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
        return i

    def key(self, i: int) -> int:
        return self.base + i + 1

    def index(self, key: int) -> int | None:
        i = key - self.base - 1
        if 0 <= i < len(self.date) and not self.deleted[i]:
            return i
        return None

    def live(self) -> Iterator[int]:
        deleted = self.deleted
        return (i for i in range(len(deleted)) if not deleted[i])


def _to_dt(sec: int) -> datetime:
    day, rest = divmod(sec, _DAY)
    return datetime.fromordinal(day).replace(tzinfo=HELSINKI) + timedelta(seconds=rest)


def _to_sec(value: datetime) -> int:
    local = value if value.tzinfo is None else value.astimezone(HELSINKI).replace(tzinfo=None)
    return (
        local.toordinal() * _DAY + local.hour * 3600 + local.minute * 60 + local.second
        + (1 if local.microsecond else 0)
    )  # fmt: skip


class Company:
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

    # ------------------------------------------------------------------ static data

    def _init_chart(self) -> None:
        self.accounts: list[dict] = []
        self._acc_numbers: list[str] = []
        self._acc_keys: list[int] = []
        self._acc_index: dict[str, int] = {}
        parents: list[int] = []
        for sort, (number, fi, en, depth) in enumerate(_CHART):
            key = sort + 1
            parents[depth:] = []
            father = parents[-1] if parents else 0
            top = _CHART[[i for i in range(sort + 1) if _CHART[i][3] == 0][-1]][1]
            record = {
                "netvisorkey": key,
                "number": number,
                "name": fi,
                "foreignname": [{"value": en, "iso_3166": "en"}],
                "accountbalance": [],  # REPEATED under "account" (shared with accountbalance.nv)
                "accounttype": "account" if number else "accountgroup",
                "fathernetvisorkey": father,
                "isactive": True,
                "iscumulative": top != "Tuloslaskelma",
                "sort": sort,
                "endsort": sort,
                "isnaturalnegative": top == "Vastattavaa"
                or (number is not None and number.startswith("3")),
            }
            self.accounts.append(record)
            if number is None:
                parents.append(key)
            else:
                self._acc_index[number] = len(self._acc_numbers)
                self._acc_numbers.append(number)
                self._acc_keys.append(key)
        # The income-statement accounts, which the year-end closing zeroes.
        self._pl_accounts = [
            self._acc_index[a["number"]]
            for a in self.accounts
            if a["number"] and not a["iscumulative"]
        ]  # fmt: skip
        by_key = {a["netvisorkey"]: a for a in self.accounts}
        for a in reversed(self.accounts):  # children come after parents: extend EndSort upwards
            father = by_key.get(a["fathernetvisorkey"])
            if father is not None:
                father["endsort"] = max(father["endsort"], a["endsort"])
        self.company_default_accounts = dict(_DEFAULT_ACCOUNTS)
        self._acc_name = {a["number"]: a["name"] for a in self.accounts if a["number"]}
        self._acc_key_of = {a["number"]: a["netvisorkey"] for a in self.accounts if a["number"]}
        self.voucher_types = [
            {"netvisorkey": k, "abbreviation": ab, "name": en,
             "foreignname": [{"value": fi, "iso_3166": "fi"}]}
            for k, ab, en, fi in _VOUCHER_TYPES
        ]  # fmt: skip
        self.default_voucher_types = {
            role: {"netvisorkey": k}
            for role, k in (("salesinvoices", 1), ("salesinvoicepayments", 2),
                            ("purchaseinvoices", 3), ("purchaseinvoicepayments", 4),
                            ("othersystemgeneratedvouchers", 5),
                            ("bankstatementviewvouchers", 6), ("accruals", 7))
        }  # fmt: skip
        # REPEATED is keyed by element name only, so a parsed <SalesInvoices> here also holds an
        # empty "salesinvoice" list (the salesinvoices -> salesinvoice rule of getsalesinvoice).
        self.default_voucher_types["salesinvoices"]["salesinvoice"] = []
        self.default_voucher_types["purchaseinvoices"]["purchaseinvoice"] = []
        self.payment_terms = [
            {"netvisorkey": k, "description": d, "netdays": n, "discountdays": dd,
             "discountpercent": dp, "isdefault": df}
            for k, d, n, dd, dp, df in PAYMENT_TERMS
        ]  # fmt: skip

    def _init_dimensions(self) -> None:
        self.dimensions: list[dict] = []
        key = 100
        for header_key, name, items in ((1, "Kustannuspaikka", _COST_CENTRES),
                                        (2, "Projekti", _PROJECTS)):  # fmt: skip
            details = []
            for sort, item in enumerate(items):
                key += 1
                details.append(
                    {"netvisorkey": key, "name": item, "ishidden": False, "level": 1,
                     "sort": sort, "endsort": sort, "fatherid": 0}
                )  # fmt: skip
            self.dimensions.append({"netvisorkey": header_key, "name": name, "ishidden": False,
                                    "linktype": 0,
                                    "dimensiondetails": {"dimensiondetail": details}})  # fmt: skip
        self._dim_keys = {
            (h["name"], d["name"]): (h["netvisorkey"], d["netvisorkey"])
            for h in self.dimensions
            for d in h["dimensiondetails"]["dimensiondetail"]
        }

    def _init_people(self, rc: random.Random) -> None:
        self.sales_personnel = []
        for i in range(3 + rc.randrange(3)):
            first, last = rc.choice(N.FIRST_NAMES), rc.choice(N.SURNAMES)
            self.sales_personnel.append({
                "netvisorkey": i + 1, "firstname": first, "lastname": last,
                "email": f"{_slug(first)}.{_slug(last)}@{_slug(self.name.split()[0])}.fi",
            })  # fmt: skip

    def _init_products(self) -> None:
        """Products' prices and categories are needed on every invoice line, so they are kept."""
        self._prod_cat: list[int] = []
        self._prod_price: list[int] = []
        self._prod_name: list[str] = []
        cats = N.PRODUCT_CATEGORIES
        for i in range(self.spec.products):
            r = random.Random(_mix(self.seed, K_PROD, i, 0))
            cat = i % len(cats) if i < len(cats) else r.randrange(len(cats))
            stems = cats[cat][5]
            stem = stems[r.randrange(len(stems))]
            n = sum(1 for c in self._prod_cat if c == cat)
            self._prod_cat.append(cat)
            lo, hi = cats[cat][6]
            self._prod_price.append(r.randrange(lo // 10, hi // 10) * 10)
            self._prod_name.append(stem if n < len(stems) else f"{stem} {n // len(stems) + 1}")

    def _plan(self) -> Plan:
        """Size the fixed costs and the opening balance sheet from the expected gross margin.

        An average invoice has two lines of a uniformly drawn product (favourites are spread
        evenly over the catalogue), 4.5 units of kg/h/pkt products and 2 of the others, at
        98.5 % of list (the occasional 10 % off); about 5 % of the invoices are credited or
        deleted as drafts, taking their cost with them.
        """
        cats = N.PRODUCT_CATEGORIES
        n = self.spec.products
        sales = cost = 0  # over the catalogue, per line x 10 (quantities in tenths)
        for p in range(n):
            cat = self._prod_cat[p]
            qty10 = 45 if cats[cat][2] in ("kg", "h", "pkt") else 20
            net = qty10 * self._prod_price[p] * 985 // 1000
            sales += net
            if _CAT_POOL[cat] == 2:
                cost += net * _SERVICE_COST_PERMILLE // 1000
            else:
                cost += qty10 * _purchase_price(self._prod_price[p])
        invoices100 = round(self.spec.sales_per_day * _MONTH_DAYS_100)
        margin = (sales - cost) * 95 * 2 * invoices100 // (10 * n * 100 * 100)
        share = {k: margin * v // 1000 for k, v in _PLAN_SHARES.items()}
        side = 10_000 + _PENSION + _HEALTH + _OTHER_SOCIAL
        gross = share["payroll"] * 10_000 // side
        employees = max(1, (gross + _MEAN_SALARY // 2) // _MEAN_SALARY)
        mean = gross // employees
        # Overhead invoices average 1.36 lines of their category's mean; their expected rate
        # spends the budget the expected margin funds.
        invoice = sum(
            w * sum(N.VENDOR_CATEGORIES[c][4]) * 1.3635 / 2
            for c, w in zip(_OVERHEAD_CATS, _OVERHEAD_WEIGHTS, strict=True)
        ) / sum(_OVERHEAD_WEIGHTS)
        overhead_per_day = margin * _OVERHEAD_PERMILLE / 1000 / invoice / (_MONTH_DAYS_100 / 100)
        return Plan(
            gross_margin=margin,
            employees=employees,
            salary_range=(mean * 85 // 100, mean * 115 // 100),
            rent=share["rent"] // 1000 * 1000,
            overhead_per_day=overhead_per_day,
            opening_bank=share["bank"] // 100_000 * 100_000,
            machinery=share["machinery"] // 100_000 * 100_000,
            intangible=share["intangible"] // 100_000 * 100_000,
            loan=share["loan"] // 100_000 * 100_000,
        )

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

    def keys(self, kind: str) -> list[int]:
        """Keys of the current records, ascending."""
        t = self._table(kind)
        b = t.base + 1
        return [b + i for i in t.live()]

    def by_date(self, kind: str, first: date, last: date) -> Iterator[dict]:
        """Records whose document date is within [first, last], in key order."""
        t = self._table(kind)
        idx: list[int] = []
        for day in range(max(first.toordinal(), self._start), last.toordinal() + 1):
            bucket = t.by_day.get(day)
            if bucket is not None:
                idx.extend(bucket)
        idx.sort()
        build = self._builder(kind)
        deleted = t.deleted
        return (build(i) for i in idx if not deleted[i])

    def modified_between(self, kind: str, start: datetime, end: datetime | None) -> Iterator[dict]:
        """Records whose `_modified` is within [start, end] (end None = open), key order."""
        t = self._table(kind)
        lo = _to_sec(start)
        hi = _to_sec(end) if end is not None else 1 << 62
        modified, deleted = t.modified, t.deleted
        build = self._builder(kind)
        return (
            build(i)
            for i in range(len(modified))
            if lo <= modified[i] <= hi and not deleted[i]
        )  # fmt: skip

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

    # ------------------------------------------------------------------ simulation

    def _run_days(self, days: int, *, changes: bool) -> dict:
        summary: dict[str, dict[str, int]] = {
            "created": dict.fromkeys(KINDS, 0),
            "edited": dict.fromkeys(KINDS, 0),
            "deleted": dict.fromkeys(KINDS, 0),
        }
        before = [len(t) for t in self._t]
        if days:
            grow = array("q", bytes(8 * days))
            for col in (*self._deb, *self._kre):
                col.extend(grow)
        for _ in range(days):
            self.today += timedelta(days=1)
            day = self.today.toordinal()
            self._simulate_day(day, summary)
            if changes:
                self._random_changes(day, summary)
            self._close_day(day)
        for kind, t, n in zip(KINDS, self._t, before, strict=True):
            summary["created"][kind] = len(t) - n
        self._cache.clear()
        self._balance_cache = None
        return summary

    def _schedule(self, day: int, event: int, idx: int, arg: int = 0) -> None:
        bucket = self._events.get(day)
        if bucket is None:
            self._events[day] = [(event, idx, arg)]
        else:
            bucket.append((event, idx, arg))

    def _edit(self, kind: int, i: int, sec: int, summary: dict) -> None:
        t = self._t[kind]
        if t.modified[i] < sec:
            t.modified[i] = sec
        summary["edited"][KINDS[kind]] += 1

    def _simulate_day(self, day: int, summary: dict) -> None:
        r = random.Random(_mix(self.seed, _K_DAY, day, 0))
        d = date.fromordinal(day)
        base = day * _DAY
        spec = self.spec
        si, pi, so, po = self._t[K_SI], self._t[K_PI], self._t[K_SO], self._t[K_PO]
        if day == self._start:
            self._post_manual(day, SRC_OPENING, self.plan.opening_bank, 0, base + 7 * 3600)
        # 0. a new year begins with the result transfer of the year closed last night
        if d.month == 1 and d.day == 1 and d.year - 1 in self._year_result:
            self._transfer_result(d.year - 1, base + 6 * 3600)
        # 1. events due today, in the order they were scheduled
        for event, i, arg in self._events.pop(day, ()):
            sec = base + r.randrange(8 * 3600, 18 * 3600)
            if event in (E_SEND, E_DUE, E_REMIND, E_SPAY, E_CREDIT):
                if si.deleted[i] or si.flags[i] & F_CREDITED:
                    continue
                st = si.status[i]
                if event == E_SEND:
                    if st == SI_UNSENT:
                        si.status[i] = SI_OPEN
                        self._edit(K_SI, i, sec, summary)
                elif event == E_DUE:
                    if st == SI_OPEN and si.paid[i] < si.amount[i]:
                        si.status[i] = SI_OVERDUE
                        self._edit(K_SI, i, sec, summary)
                elif event == E_REMIND:
                    if st == SI_OVERDUE:
                        si.status[i] = SI_REMINDED
                        self._edit(K_SI, i, sec, summary)
                elif event == E_SPAY:
                    open_ = si.amount[i] - si.paid[i]
                    if open_ > 0 and st != SI_UNSENT:
                        cleared = max(1, open_ // 2) if arg == PAY_HALF else open_
                        self._sales_payment(day, i, cleared, arg == PAY_DISCOUNT, sec, summary)
                elif event == E_CREDIT and si.paid[i] == 0 and st != SI_UNSENT:
                    self._credit_note(day, i, sec, summary)
            elif event in (E_PAPPROVE, E_PACCEPT, E_PPAY, E_PREPOST):
                if pi.deleted[i]:
                    continue
                if event == E_PAPPROVE and pi.status[i] == 0:
                    pi.status[i] = 1
                    self._edit(K_PI, i, sec, summary)
                elif event == E_PACCEPT and pi.status[i] == 1:
                    pi.status[i] = 2
                    self._edit(K_PI, i, sec, summary)
                elif event == E_PPAY and pi.paid[i] < pi.amount[i]:
                    self._purchase_payment(day, i, pi.amount[i] - pi.paid[i], sec, summary)
                elif event == E_PREPOST and pi.paid[i] == 0:
                    self._repost(K_PI, i, sec, summary)
            elif event == E_SO:
                if not so.deleted[i] and so.status[i] < arg:
                    so.status[i] = arg
                    self._edit(K_SO, i, sec, summary)
            elif event == E_PO:
                if not po.deleted[i] and po.status[i] < arg:
                    po.status[i] = arg
                    self._edit(K_PO, i, sec, summary)
            elif event == E_PAYROLL_TAX:
                self._post_manual(day, SRC_PAYROLL_TAX, arg, 0, sec)
            elif event == E_VAT_PAY and arg:
                self._post_manual(day, SRC_VAT_PAY, arg, 0, sec)
            elif event == E_TAX_PAY and arg:
                self._post_manual(day, SRC_TAX_PAY, arg, 0, sec)
        # 2. new documents
        factor = 1.0 if _business_day(d) else 0.1
        month_share = 1 / 30
        for _ in range(_count(r, spec.new_customers_per_month * month_share)):
            self._new_customer(day, base + r.randrange(8 * 3600, 18 * 3600))
        n_cust, n_prod = len(self._t[K_CUST]), spec.products
        for _ in range(_count(r, spec.sales_per_day * factor)):
            self._new_sales_invoice(day, r, r.randrange(n_cust), n_prod)
        landlords = self._vend_by_cat[_RENT_CAT]
        if d.day == 1 and landlords:
            self._new_purchase_invoice(day, r, landlords[0], self.plan.rent)
        for _ in range(_count(r, spec.goods_purchases_per_day * factor)):
            self._replenish(day, r)
        for _ in range(_count(r, self.plan.overhead_per_day * _OVERHEAD_HEADROOM * factor)):
            if self._overhead_budget <= 0:
                break
            cat = r.choices(_OVERHEAD_CATS, _OVERHEAD_WEIGHTS)[0]
            vendors = self._vend_by_cat[cat] or self._vend_by_cat[_OVERHEAD_CATS[0]]
            if vendors:
                vend = vendors[r.randrange(len(vendors))]
                self._overhead_budget -= self._new_purchase_invoice(day, r, vend)
        for _ in range(_count(r, spec.sales_orders_per_day * factor)):
            sec = base + r.randrange(8 * 3600, 18 * 3600)
            cust = r.randrange(n_cust)
            i = len(so)
            self._so_number += 1
            amount, nl = self._totals(self._sales_lines(K_SO, so.key(i), 1, cust, n_prod))
            so.append(day, cust, _NO, _NO, 1, 0, amount, 0, sec, self._so_number, nl)
            so.ref2[i] = n_prod
            self._schedule(day + r.randint(1, 5), E_SO, i, 1)
            self._schedule(day + r.randint(6, 15), E_SO, i, 2)
        n_vend = len(self._t[K_VEND])
        for _ in range(_count(r, spec.purchase_orders_per_day * factor)):
            sec = base + r.randrange(8 * 3600, 18 * 3600)
            vend = r.randrange(n_vend)
            i = len(po)
            self._po_number += 1
            amount, nl = self._purchase_total(vend, self._purchase_lines(K_PO, po.key(i), 1, vend))
            po.append(day, vend, _NO, _NO, 1, 0, amount, 0, sec, self._po_number, nl)
            step = day
            for status in range(1, 5):
                step += r.randint(1, 7)
                self._schedule(step, E_PO, i, status)
        # A few payments a month match no invoice (no reference, a wrong one): advances.
        for _ in range(_count(r, 0.1 * min(spec.sales_per_day / 5.5, 3.0) * factor)):
            self._unmatched_payment(day, r, base + r.randrange(8 * 3600, 18 * 3600))
        # 3. the loan's monthly instalment and interest
        if d.day == _LOAN_DAY and self._loan > 0:
            interest = (self._loan * _LOAN_INTEREST_PERCENT + 600) // 1200
            instalment = min(self._loan, self.plan.loan // _LOAN_MONTHS)
            self._loan -= instalment
            self._post_manual(day, SRC_LOAN, instalment, interest, base + 9 * 3600)
        # 4. month end: suppliers' collective invoices for what is left, payroll, depreciation
        if (d + timedelta(days=1)).day == 1:
            for pool in range(len(self._pool)):
                self._replenish(day, r, pool)
            sec = base + 16 * 3600
            lo, hi = self.plan.salary_range
            gross = sum(r.randrange(lo, hi) for _ in range(self.plan.employees))
            self._post_manual(day, SRC_SALARY, gross, 0, sec)
            self._schedule((_add_months(d, 1).replace(day=12)).toordinal(), E_PAYROLL_TAX, 0,
                           gross)  # fmt: skip
            self._depreciate(day, sec + 60)

    def _close_day(self, day: int) -> None:
        """After the last change of a month's last day, close the month: settle its VAT from
        the final sums (payable on the 12th of the month after next) and, in December, book the
        year's income tax.

        A closed month never changes again (`_random_changes` and reposts stay within the
        current month), so the settlement clears 2939 and 1763 for good, and a month synced
        after its close is what the warehouse finds once the lock passes it. Settling later,
        when the lock passes the month, would add a voucher to a locked period after the fact:
        every re-sync of that month would report it as a locked change.
        """
        d = date.fromordinal(day)
        if (d + timedelta(days=1)).day != 1:
            return
        sec = day * _DAY + 19 * 3600 + 1800  # after the day's changes, before the 20:00 clock
        pos = day - self._start + 1
        a_vat, a_rec = self._acc_index["2939"], self._acc_index["1763"]
        sales_vat = sum(self._kre[a_vat][:pos]) - sum(self._deb[a_vat][:pos])
        purchase_vat = sum(self._deb[a_rec][:pos]) - sum(self._kre[a_rec][:pos])
        if sales_vat or purchase_vat:
            self._post_manual(day, SRC_VAT, sales_vat, purchase_vat, sec)
            due = _add_months(d, 2).replace(day=12).toordinal()
            self._schedule(due, E_VAT_PAY, 0, sales_vat - purchase_vat)
        if d.month == 12:
            self._income_tax(d.year, sec + 60)

    def _income_tax(self, year: int, sec: int) -> None:
        """Income tax on the year's profit before taxes, dated 31 December (memo voucher); the
        year's income-statement balances, tax included, are kept for the result transfer.

        The year's balances come from the daily sums of its days, less last year's TP voucher
        (dated 1 January of this year, it belongs to last year's result).
        """
        first = max(date(year, 1, 1).toordinal(), self._start) - self._start
        last = date(year, 12, 31).toordinal() - self._start + 1
        deb, kre = self._deb, self._kre
        result = {a: sum(deb[a][first:last]) - sum(kre[a][first:last]) for a in self._pl_accounts}
        previous = self._closing_of_year.get(year - 1)
        if previous is not None:
            for a, cents in self._closing_lines[previous]:
                if a in result:
                    result[a] -= cents
        profit = -sum(result.values())
        tax = profit * _INCOME_TAX_PERCENT // 100 if profit > 0 else 0
        if tax:
            self._post_manual(date(year, 12, 31).toordinal(), SRC_INCOME_TAX, tax, 0, sec)
            result[self._acc_index["9900"]] += tax
            # The year's tax is paid in one go (no prepayments are simulated).
            self._schedule(date(year + 1, 2, 23).toordinal(), E_TAX_PAY, 0, tax)
        self._year_result[year] = result

    def _transfer_result(self, year: int, sec: int) -> None:
        """One TP voucher dated 1 January that reverses every income-statement account's
        balance of the closed year and books the result to 2250 (retained earnings)."""
        result = self._year_result.pop(year)
        lines = [(a, -b) for a, b in result.items() if b]
        lines.append((self._acc_index["2250"], sum(result.values())))
        vo = self._t[K_VO]
        day = date(year + 1, 1, 1).toordinal()
        v = vo.append(day, SRC_CLOSING, _NO, year, 0, V_VALID, -sum(result.values()), 0, sec,
                      self._voucher_number(day), 0)  # fmt: skip
        self._closing_lines[v] = lines
        vo.nlines[v] = self._post(v, 1)
        self._closing_of_year[year] = v

    def _depreciate(self, day: int, sec: int) -> None:
        """Planned depreciation of the month: machinery 25 % a year of its book value (a twelfth
        a month), intangible rights straight line over five years of their opening value."""
        opening = self.plan.intangible
        machinery = (self._machinery * 25 + 600) // 1200
        self._machinery -= machinery
        self._depreciation_months += 1
        k = self._depreciation_months
        intangible = 0
        if k <= 60:
            intangible = opening * k // 60 - opening * (k - 1) // 60
        if machinery or intangible:
            self._post_manual(day, SRC_DEPRECIATION, machinery, intangible, sec)

    def _fx_rate(self, currency: int, day: int) -> int:
        """Units of `currency` per EUR x 10^4 in the month of `day`: the mean moved up to 2.5 %
        by a seeded draw per month, so invoice and payment months usually differ a little."""
        if not currency:
            return 10_000
        d = date.fromordinal(day)
        key = (currency, d.year * 12 + d.month)
        rate = self._fx_cache.get(key)
        if rate is None:
            r = random.Random(_mix(self.seed, 32, currency, key[1]))
            rate = _FX_MEAN[currency] * (1000 + r.randint(-25, 25)) // 1000
            self._fx_cache[key] = rate
        return rate

    def _new_customer(self, day: int, sec: int) -> None:
        """About one customer in 25 is foreign (Swedish in EU sales or American in export, each
        invoicing in its own currency). The first ten are domestic, so the tiny company (eight
        customers, the checks' end-to-end subject) stays all-domestic."""
        t = self._t[K_CUST]
        i = len(t)
        r = random.Random(_mix(self.seed, K_CUST, i, 0))
        term = r.choices(range(len(PAYMENT_TERMS)), _TERM_WEIGHTS)[0]
        country = (1, 1, 2)[(i // 25) % 3] if i % 25 == 10 + self.seed % 15 else 0
        t.append(day, term, _NO, country, 1, 1, 0, 0, sec, 0, 0)

    def _new_vendor(self, day: int, sec: int) -> None:
        """One vendor in 20 past the first eleven (one per category) is foreign, with a profile
        of names.FOREIGN_VENDORS in turn: its country, currency, account and VAT treatment."""
        t = self._t[K_VEND]
        i = len(t)
        r = random.Random(_mix(self.seed, K_VEND, i, 0))
        cat = i % len(N.VENDOR_CATEGORIES) if i < 11 else r.randrange(11)
        profile = 0
        if i >= 11 and i % 20 == 11 + self.seed % 9:
            profile = 1 + (i // 20) % len(N.FOREIGN_VENDORS)
            cat = N.FOREIGN_VENDORS[profile - 1][1]
        t.append(day, cat, _NO, profile, 1, 1, 0, 0, sec, 0, 0)
        self._vend_by_cat[cat].append(i)
        self._vend_facts.append(self._vendor_profile(i))

    def _vendor_facts(self, vend: int) -> tuple[tuple, str, int, str, bool, int, str]:
        """(category, expense account, VAT tenths, VAT code, reverse charge, currency index,
        country) of a vendor: its category's for a domestic one, its profile's for a foreign."""
        return self._vend_facts[vend]

    def _vendor_profile(self, vend: int) -> tuple[tuple, str, int, str, bool, int, str]:
        """The facts of `_vendor_facts`, worked out once when the vendor is created."""
        t = self._t[K_VEND]
        cat = N.VENDOR_CATEGORIES[t.party[vend]]
        profile = t.ref2[vend]
        if not profile:
            return cat, cat[1], cat[2], "KOOS" if cat[2] else "NONE", False, 0, "FI"
        country, _c, account, vat10, code, _stems = N.FOREIGN_VENDORS[profile - 1]
        currency = CURRENCIES.index(N.FOREIGN_COUNTRIES[country][1])
        return cat, account, vat10, code, code in ("EUPO", "EUOS"), currency, country

    @staticmethod
    def _sales_account(currency: int, cat: int, vat10: int) -> tuple[str, str]:
        """(revenue account, VAT code) of a sales line: EU sales and exports are VAT 0 % on
        their own accounts (a customer's currency index doubles as its country index)."""
        if currency == 1:
            return "3360", "EUMY"
        if currency == 2:
            return "3380", "NONE"
        return N.PRODUCT_CATEGORIES[cat][4], "KOMY" if vat10 else "NONE"

    def _sales_lines(self, kind: int, key: int, ver: int, cust: int, n_prod: int) -> list[tuple]:
        """Lines of a sales invoice/order version: (product, qty, unit cents, vat10, net, vat,
        cost centre, project or -1). A pure function of its arguments and the seed."""
        r = random.Random(_mix(self.seed, kind, key, ver))
        cats = N.PRODUCT_CATEGORIES
        lines = []
        favourite = cust % n_prod
        domestic = not self._t[K_CUST].ref2[cust]
        for _ in range(_NLINES[int(r.random() * 10)]):
            p = favourite if r.random() < 0.3 else int(r.random() * n_prod)
            cat = self._prod_cat[p]
            unit = cats[cat][2]
            qty = 1 + int(r.random() * (8 if unit in ("kg", "h", "pkt") else 3))
            price = self._prod_price[p]
            if r.random() < 0.15:  # occasional negotiated price
                price = price * 9 // 10
            vat10 = cats[cat][3] if domestic else 0
            net = qty * price
            project = int(r.random() * len(_PROJECTS)) if r.random() < 0.25 else -1
            lines.append((p, qty, price, vat10, net, _vat(net, vat10), _CAT_CC[cat], project))
        return lines

    def _purchase_lines(self, kind: int, key: int, ver: int, vend: int,
                        target: int = -1) -> list[tuple]:  # fmt: skip
        """Lines of a purchase invoice/order version: (description index, qty, unit cents,
        vat10, net, vat, cost centre, project or -1). With a `target` (net cents: rent, or the
        cost of sales to buy back) the lines split it; a corrected version moves it up to 3 %."""
        r = random.Random(_mix(self.seed, kind, key, ver))
        cat, _account, vat10, _code, _reverse, _cur, _country = self._vendor_facts(vend)
        lo, hi = cat[4]
        lines = []
        n = 1 + int(r.random() * r.random() * 3)
        left = target
        if target > 0 and ver > 1:
            left = target * (970 + int(r.random() * 61)) // 1000
        for k in range(n):
            if target > 0:
                share = left if k == n - 1 else left * (30 + int(r.random() * 50)) // 100
                left -= share
                qty = 1 if cat[1] == "7010" or r.random() < 0.6 else 2 + int(r.random() * 5)
                price = max(1, share // qty)
            else:
                qty = 1 if r.random() < 0.7 else 2 + int(r.random() * 5)
                price = (lo + int(r.random() * (hi - lo))) // qty
            net = qty * price
            cc = 4 if cat[1].startswith("4") else 3
            project = int(r.random() * len(_PROJECTS)) if r.random() < 0.2 else -1
            lines.append((int(r.random() * len(cat[3])), qty, price, vat10, net,
                          _vat(net, vat10), cc, project))  # fmt: skip
        return lines

    @staticmethod
    def _totals(lines: list[tuple]) -> tuple[int, int]:
        return sum(ln[4] + ln[5] for ln in lines), len(lines)

    def _purchase_total(self, vend: int, lines: list[tuple]) -> tuple[int, int]:
        """(amount, line count): a reverse-charged invoice carries no VAT, its amount is net."""
        if self._vendor_facts(vend)[4]:
            return sum(ln[4] for ln in lines), len(lines)
        return self._totals(lines)

    def _si_lines(self, i: int, ver: int | None = None) -> list[tuple]:
        """Lines of sales invoice i at `ver` (default: current); a credit note negates its
        original's lines at the version it credited."""
        si = self._t[K_SI]
        ver = si.ver[i] if ver is None else ver
        n_prod = self.spec.products  # only the initial catalogue is ever sold
        if si.flags[i] & F_CREDIT_NOTE:
            o = si.ref2[i]
            lines = self._sales_lines(K_SI, si.key(o), ver, si.party[o], n_prod)
            return [(p, -q, pr, v, -n, -vt, cc, pj) for p, q, pr, v, n, vt, cc, pj in lines]
        return self._sales_lines(K_SI, si.key(i), ver, si.party[i], n_prod)

    def _new_sales_invoice(self, day: int, r: random.Random, cust: int, n_prod: int) -> None:
        si = self._t[K_SI]
        sec = day * _DAY + r.randrange(8 * 3600, 18 * 3600)
        i = len(si)
        lines = self._sales_lines(K_SI, si.key(i), 1, cust, n_prod)
        amount, nl = self._totals(lines)
        self._si_number += 1
        si.append(day, cust, _NO, _NO, 1, SI_UNSENT, amount, 0, sec, self._si_number, nl)
        si.ref[i] = self._post_document(day, SRC_SI, i, 1, sec)
        self._cost_of_sales(lines, 1)
        self._schedule(day + 1 + (r.random() < 0.2), E_SEND, i)
        term = PAYMENT_TERMS[self._t[K_CUST].party[cust]]
        due = day + term[2]
        self._schedule(due + 1, E_DUE, i)
        self._schedule(due + 14, E_REMIND, i)
        u = r.random()
        if u < 0.03:
            self._schedule(day + r.randint(3, 20), E_CREDIT, i)
        elif u < 0.07:
            pass  # never paid: ends overdue / reminded
        elif u < 0.10:
            self._schedule(due + r.randint(-3, 5), E_SPAY, i, PAY_HALF)
            self._schedule(due + r.randint(10, 40), E_SPAY, i, PAY_FULL)
        elif term[3] and r.random() < _CASH_DISCOUNT_TAKERS:
            self._schedule(day + r.randint(4, term[3]), E_SPAY, i, PAY_DISCOUNT)
        else:
            delay = round(r.gauss(1, 6))
            self._schedule(max(day + 2, due + delay), E_SPAY, i, PAY_FULL)

    def _cost_of_sales(self, lines: list[tuple], sign: int) -> None:
        """Add (1: sold) or take back (-1: credited, deleted) the lines' cost to the pools, and
        their share of the overhead budget."""
        pool = self._pool
        margin = 0
        for p, qty, _price, _vat10, net, *_ in lines:
            cat = self._prod_cat[p]
            if _CAT_POOL[cat] == 2:
                cost = abs(net) * _SERVICE_COST_PERMILLE // 1000
            else:
                cost = abs(qty) * _purchase_price(self._prod_price[p])
            pool[_CAT_POOL[cat]] += sign * cost
            margin += abs(net) - cost
        self._overhead_budget += sign * (margin * _OVERHEAD_PERMILLE // 1000)

    def _replenish(self, day: int, r: random.Random, pool: int | None = None) -> None:
        """Buy back a pool of cost of sales (default: the largest) from a vendor of its
        category."""
        if pool is None:
            pool = max(range(len(self._pool)), key=self._pool.__getitem__)
        target = self._pool[pool]
        vendors = self._vend_by_cat[_POOL_VENDOR_CAT[pool]]
        if target < _MIN_REPLENISHMENT or not vendors:
            return
        self._pool[pool] = 0
        self._new_purchase_invoice(day, r, vendors[r.randrange(len(vendors))], target)

    def _new_purchase_invoice(self, day: int, r: random.Random, vend: int,
                              target: int = -1) -> int:  # fmt: skip
        """Create and post a purchase invoice; returns its net cents."""
        pi = self._t[K_PI]
        sec = day * _DAY + r.randrange(8 * 3600, 18 * 3600)
        i = len(pi)
        lines = self._purchase_lines(K_PI, pi.key(i), 1, vend, target)
        amount, nl = self._purchase_total(vend, lines)
        number = r.randrange(10_000, 99_999_999)
        pi.append(day, vend, _NO, target, 1, 0, amount, 0, sec, number, nl)
        pi.ref[i] = self._post_document(day, SRC_PI, i, 1, sec)
        self._schedule(day + r.randint(1, 3), E_PAPPROVE, i)
        self._schedule(day + r.randint(4, 8), E_PACCEPT, i)
        if r.random() < 0.05:
            repost = day + r.randint(1, 3)
            if date.fromordinal(repost).month == date.fromordinal(day).month:  # month closes
                self._schedule(repost, E_PREPOST, i)
        self._schedule(day + self._vendor_term(vend), E_PPAY, i)
        return sum(ln[4] for ln in lines)

    def _vendor_term(self, vend: int) -> int:
        return (14, 21, 30, 14)[vend % 4]

    def _credit_note(self, day: int, o: int, sec: int, summary: dict) -> None:
        si = self._t[K_SI]
        i = len(si)
        self._si_number += 1
        amount = -si.amount[o]
        si.append(day, si.party[o], _NO, o, si.ver[o], SI_PAID, amount, amount, sec,
                  self._si_number, si.nlines[o], F_CREDIT_NOTE)  # fmt: skip
        si.ref[i] = self._post_document(day, SRC_SI, i, si.ver[o], sec)
        self._cost_of_sales(self._si_lines(o), -1)  # the goods come back
        si.flags[o] |= F_CREDITED
        si.paid[o] = si.amount[o]
        si.status[o] = SI_PAID
        self._edit(K_SI, o, sec, summary)

    def _sales_payment(self, day: int, inv: int, cleared: int, discount: bool, sec: int,
                       summary: dict) -> None:  # fmt: skip
        """Book a payment that clears `cleared` cents of the invoice's receivable.

        A payment's `amount` is the cash received, its `paid` the receivable it clears. A
        foreign customer pays the invoice's foreign amount, which buys fewer or more euros at
        the payment month's rate (the difference is 3580's). A customer on a discount term
        paying within its days deducts the discount; its VAT share (the invoice's VAT ratio)
        goes back to 2939. The extra figure (foreign amount, discount VAT) is `number`.
        """
        sp, si = self._t[K_SP], self._t[K_SI]
        cust = si.party[inv]
        currency = self._t[K_CUST].ref2[cust]
        kind, cash, extra = SP_PLAIN, cleared, 0
        if currency:
            kind = SP_FX
            extra = _convert(cleared, self._fx_rate(currency, si.date[inv]))
            cash = _to_eur(extra, self._fx_rate(currency, day))
        elif discount and si.paid[inv] == 0:
            term = PAYMENT_TERMS[self._t[K_CUST].party[cust]]
            if day <= si.date[inv] + term[3]:
                kind = SP_DISCOUNT
                rebate = (cleared * int(term[4] * 10) + 500) // 1000
                vat = sum(ln[5] for ln in self._si_lines(inv))
                extra = (2 * rebate * vat + si.amount[inv]) // (2 * si.amount[inv])
                cash = cleared - rebate
        i = sp.append(day, cust, inv, _NO, 1, kind, cash, cleared, sec, extra, 0)
        sp.ref2[i] = self._post_document(day, SRC_SP, i, 1, sec)
        si.paid[inv] += cleared
        if si.paid[inv] >= si.amount[inv]:
            si.status[inv] = SI_PAID
        self._edit(K_SI, inv, sec, summary)

    def _unmatched_payment(self, day: int, r: random.Random, sec: int) -> None:
        """Money from a customer that matches no invoice: an advance on 2861, left unallocated
        (allocating advances is bookkeeping the simulation does not do)."""
        sp = self._t[K_SP]
        amount = r.randrange(50, 2500) * 100  # advances come in round euros
        i = sp.append(day, r.randrange(len(self._t[K_CUST])), _NO, _NO, 1, SP_UNMATCHED, amount,
                      0, sec, 0, 0)  # fmt: skip
        sp.ref2[i] = self._post_document(day, SRC_SP, i, 1, sec)

    def _purchase_payment(self, day: int, inv: int, cleared: int, sec: int,
                          summary: dict) -> None:  # fmt: skip
        """Pay `cleared` cents of a purchase invoice; in the vendor's currency the euros paid
        follow the payment month's rate (the difference is 4370's), `number` keeps the
        foreign sum."""
        pp, pi = self._t[K_PP], self._t[K_PI]
        vend = pi.party[inv]
        currency = self._vendor_facts(vend)[5]
        kind, cash, foreign = PP_PLAIN, cleared, cleared
        if currency:
            kind = PP_FX
            foreign = _convert(cleared, self._fx_rate(currency, pi.date[inv]))
            cash = _to_eur(foreign, self._fx_rate(currency, day))
        i = pp.append(day, vend, inv, _NO, 1, kind, cash, cleared, sec, foreign, 0)
        pp.ref2[i] = self._post_document(day, SRC_PP, i, 1, sec)
        pi.paid[inv] += cleared
        self._edit(K_PI, inv, sec, summary)

    def _repost(self, kind: int, i: int, sec: int, summary: dict) -> None:
        """Change a document's amounts: new version, old voucher invalidated, new one posted."""
        t = self._t[kind]
        t.ver[i] += 1
        if kind == K_SI:
            amount, nl = self._totals(self._si_lines(i))
            src = SRC_SI
        else:
            lines = self._purchase_lines(K_PI, t.key(i), t.ver[i], t.party[i], t.ref2[i])
            amount, nl = self._purchase_total(t.party[i], lines)
            src = SRC_PI
        t.amount[i], t.nlines[i] = amount, nl
        old = t.ref[i]
        vo = self._t[K_VO]
        self._post(old, -1)
        vo.status[old] = V_INVALIDATED
        self._edit(K_VO, old, sec, summary)
        t.ref[i] = self._post_document(t.date[i], src, i, t.ver[i], sec)
        self._edit(kind, i, sec, summary)

    # ------------------------------------------------------------------ ledger

    def _voucher_number(self, day: int) -> int:
        year = date.fromordinal(day).year
        n = self._voucher_numbers.get(year, 0) + 1
        self._voucher_numbers[year] = n
        return n

    def _post_document(self, day: int, src: int, source: int, ver: int, sec: int) -> int:
        vo = self._t[K_VO]
        v = vo.append(day, src, source, ver, 0, V_VALID, 0, 0, sec, self._voucher_number(day), 0)
        vo.nlines[v] = self._post(v, 1)
        return v

    def _post_manual(self, day: int, src: int, amount: int, amount2: int, sec: int) -> int:
        vo = self._t[K_VO]
        v = vo.append(day, src, _NO, _NO, 0, V_VALID, amount, amount2, sec,
                      self._voucher_number(day), 0)  # fmt: skip
        vo.nlines[v] = self._post(v, 1)
        return v

    def _post(self, v: int, sign: int) -> int:
        """Add (sign 1) or remove (sign -1) voucher v's lines to the daily account sums."""
        pos = self._t[K_VO].date[v] - self._start
        deb, kre = self._deb, self._kre
        n = 0
        for acc, cents, *_ in self._voucher_lines(v):
            if cents >= 0:
                deb[acc][pos] += sign * cents
            else:
                kre[acc][pos] -= sign * cents
            n += 1
        self._balance_cache = None
        return n

    def _voucher_lines(self, v: int) -> list[tuple]:
        """Lines of voucher v: (account index, signed cents, vat10 or None, vat code,
        description, cost centre or -1, project or -1). Pure function of stored state."""
        vo = self._t[K_VO]
        src, s = vo.party[v], vo.ref[v]
        ai = self._acc_index
        out: list[tuple] = []
        if src == SRC_SI:
            si = self._t[K_SI]
            lines = self._si_lines(s, vo.ref2[v])  # the version this voucher was posted for
            currency = self._t[K_CUST].ref2[si.party[s]]
            gross = 0
            vat_by_rate: dict[int, int] = {}
            body = []
            for p, _q, _pr, vat10, net, vat, cc, pj in lines:
                gross += net + vat
                vat_by_rate[vat10] = vat_by_rate.get(vat10, 0) + vat
                account, code = self._sales_account(currency, self._prod_cat[p], vat10)
                body.append((ai[account], -net, vat10, code, self._prod_name[p], cc, pj))
            out.append((ai["1700"], gross, None, "-", "Myyntisaamiset", -1, -1))
            out.extend(body)
            for vat10, vat in vat_by_rate.items():
                if vat:
                    out.append((ai["2939"], -vat, vat10, "-", "Arvonlisävero", -1, -1))
        elif src == SRC_PI:
            pi = self._t[K_PI]
            vend = pi.party[s]
            lines = self._purchase_lines(K_PI, pi.key(s), vo.ref2[v], vend, pi.ref2[s])
            cat, account, _vat10, code, reverse, _cur, _country = self._vendor_facts(vend)
            total = 0
            vat_by_rate = {}
            for d_i, _q, _pr, vat10, net, vat, cc, pj in lines:
                total += net if reverse else net + vat
                vat_by_rate[vat10] = vat_by_rate.get(vat10, 0) + vat
                out.append((ai[account], net, vat10, code, cat[3][d_i], cc, pj))
            for vat10, vat in vat_by_rate.items():
                if vat:
                    out.append((ai["1763"], vat, vat10, "-", "Arvonlisävero", -1, -1))
                    if reverse:  # the buyer owes the VAT it deducts
                        out.append((ai["2939"], -vat, vat10, "-", "Käännetty verovelvollisuus",
                                    -1, -1))  # fmt: skip
            out.append((ai["2871"], -total, None, "-", "Ostovelat", -1, -1))
        elif src == SRC_SP:
            sp = self._t[K_SP]
            cash, cleared, kind, extra = sp.amount[s], sp.paid[s], sp.status[s], sp.number[s]
            if kind == SP_UNMATCHED:
                text = "Tunnistamaton suoritus"
                return [(ai["1910"], cash, None, "-", text, -1, -1),
                        (ai["2861"], -cash, None, "-", text, -1, -1)]  # fmt: skip
            out = [(ai["1910"], cash, None, "-", "Asiakassuoritus", -1, -1)]
            if kind == SP_DISCOUNT:
                out.append((ai["3500"], cleared - cash - extra, None, "-", "Käteisalennus", -1,
                            -1))  # fmt: skip
                if extra:
                    out.append((ai["2939"], extra, None, "-", "Käteisalennuksen ALV", -1, -1))
            elif cash != cleared:
                out.append((ai["3580"], cleared - cash, None, "-", "Kurssiero", -1, -1))
            out.append((ai["1700"], -cleared, None, "-", "Asiakassuoritus", -1, -1))
        elif src == SRC_PP:
            pp = self._t[K_PP]
            cash, cleared = pp.amount[s], pp.paid[s]
            out = [(ai["2871"], cleared, None, "-", "Ostolaskun maksu", -1, -1)]
            if cash != cleared:
                out.append((ai["4370"], cash - cleared, None, "-", "Kurssiero", -1, -1))
            out.append((ai["1910"], -cash, None, "-", "Ostolaskun maksu", -1, -1))
        elif src == SRC_OPENING:
            plan = self.plan
            bank = vo.amount[v]
            capital, loan = self.spec.share_capital_cents, plan.loan
            assets = bank + plan.machinery + plan.intangible
            opening = (("1910", bank), ("1160", plan.machinery), ("1040", plan.intangible),
                       ("2400", -loan), ("2000", -capital),
                       ("2250", capital + loan - assets))  # fmt: skip
            out = [(ai[n], c, None, "-", "Avaava tase", -1, -1) for n, c in opening if c]
        elif src in (SRC_SALARY, SRC_PAYROLL_TAX):
            g = vo.amount[v]
            pension = g * _PENSION // 10_000
            employee_pension = g * _EMPLOYEE_PENSION // 10_000
            health = g * _HEALTH // 10_000
            social = g * _OTHER_SOCIAL // 10_000
            withholding = g * 20 // 100
            if src == SRC_SALARY:
                out = [
                    (ai["5000"], g, None, "-", "Palkat", 3, -1),
                    (ai["6130"], pension, None, "-", "TyEL-maksut", 3, -1),
                    (ai["6410"], health, None, "-", "Sairausvakuutusmaksu", 3, -1),
                    (ai["6300"], social, None, "-", "Työttömyys- ja tapaturmavakuutus", 3, -1),
                    (ai["2931"], -withholding, None, "-", "Ennakonpidätys", -1, -1),
                    (ai["2935"], -(pension + employee_pension), None, "-", "TyEL", -1, -1),
                    (ai["2937"], -health, None, "-", "Sairausvakuutusmaksu", -1, -1),
                    (ai["2938"], -social, None, "-", "Työttömyys- ja tapaturmavakuutus", -1,
                     -1),
                    (ai["1910"], -(g - withholding - employee_pension), None, "-",
                     "Nettopalkat", -1, -1),
                ]  # fmt: skip
            else:
                out = [
                    (ai["2931"], withholding, None, "-", "Ennakonpidätykset", -1, -1),
                    (ai["2935"], pension + employee_pension, None, "-", "TyEL", -1, -1),
                    (ai["2937"], health, None, "-", "Sairausvakuutusmaksu", -1, -1),
                    (ai["2938"], social, None, "-", "Työttömyys- ja tapaturmavakuutus", -1,
                     -1),
                    (ai["1910"], -(withholding + pension + employee_pension + health + social),
                     None, "-", "Työnantajasuoritukset", -1, -1),
                ]  # fmt: skip
        elif src == SRC_VAT:
            sales_vat, purchase_vat = vo.amount[v], vo.paid[v]
            out = [(ai["2939"], sales_vat, None, "-", "ALV-tilitys", -1, -1),
                   (ai["1763"], -purchase_vat, None, "-", "ALV-tilitys", -1, -1),
                   (ai["2946"], purchase_vat - sales_vat, None, "-", "ALV-tilitys", -1,
                    -1)]  # fmt: skip
            out = [ln for ln in out if ln[1]]
        elif src == SRC_VAT_PAY:
            a = vo.amount[v]
            out = [(ai["2946"], a, None, "-", "ALV-maksu", -1, -1),
                   (ai["1910"], -a, None, "-", "ALV-maksu", -1, -1)]  # fmt: skip
        elif src == SRC_DEPRECIATION:
            machinery, intangible = vo.amount[v], vo.paid[v]
            out = [(ai["6800"], machinery + intangible, None, "-", "Suunnitelman mukaiset poistot",
                    3, -1),
                   (ai["1160"], -machinery, None, "-", "Koneiden ja kaluston poisto", -1, -1),
                   (ai["1040"], -intangible, None, "-", "Aineettomien oikeuksien poisto", -1,
                    -1)]  # fmt: skip
            out = [ln for ln in out if ln[1]]
        elif src == SRC_LOAN:
            instalment, interest = vo.amount[v], vo.paid[v]
            out = [(ai["2400"], instalment, None, "-", "Lainan lyhennys", -1, -1),
                   (ai["8400"], interest, None, "-", "Lainan korko", -1, -1),
                   (ai["1910"], -(instalment + interest), None, "-", "Lainan lyhennys ja korko",
                    -1, -1)]  # fmt: skip
            out = [ln for ln in out if ln[1]]
        elif src == SRC_INCOME_TAX:
            a = vo.amount[v]
            out = [(ai["9900"], a, None, "-", "Tilikauden tuloverot", -1, -1),
                   (ai["2950"], -a, None, "-", "Tuloverovelka", -1, -1)]  # fmt: skip
        elif src == SRC_CLOSING:
            result = ai["2250"]
            out = [(a, cents, None, "-", _CLOSING_TEXT[a == result], -1, -1)
                   for a, cents in self._closing_lines[v]]  # fmt: skip
        elif src == SRC_TAX_PAY:
            a = vo.amount[v]
            out = [(ai["2950"], a, None, "-", "Tuloveron maksu", -1, -1),
                   (ai["1910"], -a, None, "-", "Tuloveron maksu", -1, -1)]  # fmt: skip
        return out

    def _prefix_sums(self) -> list[tuple[list[int], list[int]]]:
        if self._balance_cache is None:
            from itertools import accumulate

            self._balance_cache = (
                0,
                [
                    (list(accumulate(d)), list(accumulate(k)))
                    for d, k in zip(self._deb, self._kre, strict=True)
                ],  # fmt: skip
            )
        return self._balance_cache[1]

    # ------------------------------------------------------------------ random changes

    def _random_changes(self, day: int, summary: dict) -> None:
        """Edits and deletions a real company makes: contact details, prices, invoice
        corrections, deleting unsent drafts and mistaken payments."""
        r = random.Random(_mix(self.seed, _K_CHANGE, day, 0))
        base = day * _DAY
        # A month is closed at its end (`_close_day`): corrections and deletions only touch
        # documents of the current month, so nothing is ever changed near or behind the lock.
        month_start = date.fromordinal(day).replace(day=1).toordinal()

        def when() -> int:
            return base + r.randrange(8 * 3600, 19 * 3600)

        def recent(kind: int, days: int) -> int | None:
            t = self._t[kind]
            if not len(t):
                return None
            lo_day = max(day - days, month_start)
            lo = bisect.bisect_left(t.date, lo_day)
            if lo >= len(t):
                return None
            return lo + r.randrange(len(t) - lo)

        spec = self.spec
        scale = max(spec.sales_per_day / 5.5, 0.2)
        # master data edits
        for kind, rate in ((K_CUST, 0.3), (K_VEND, 0.1), (K_PROD, 0.05)):
            t = self._t[kind]
            for _ in range(_count(r, rate * scale)):
                i = r.randrange(len(t))
                t.ver[i] += 1
                if kind == K_CUST and r.random() < 0.1:
                    t.status[i] = 1 - t.status[i]
                self._edit(kind, i, when(), summary)
        # invoice corrections (amounts): only unpaid, uncredited ones
        si = self._t[K_SI]
        for _ in range(_count(r, 0.15 * scale)):
            i = recent(K_SI, 20)
            if (i is not None and not si.deleted[i] and si.paid[i] == 0 and not si.flags[i]
                    and si.status[i] in (SI_UNSENT, SI_OPEN)):  # fmt: skip
                self._repost(K_SI, i, when(), summary)
        pi = self._t[K_PI]
        for _ in range(_count(r, 0.05 * scale)):
            i = recent(K_PI, 20)
            if i is not None and not pi.deleted[i] and pi.paid[i] == 0:
                self._repost(K_PI, i, when(), summary)
        # deletions
        for _ in range(_count(r, 0.1 * scale)):
            i = recent(K_SI, 3)
            if (i is not None and not si.deleted[i] and si.status[i] == SI_UNSENT
                    and not si.flags[i] and si.paid[i] == 0):  # fmt: skip
                sec = when()
                self._delete(K_SI, i, sec, summary)
                self._delete_voucher(si.ref[i], sec, summary)
                self._cost_of_sales(self._si_lines(i), -1)
        for _ in range(_count(r, 0.03 * scale)):
            i = recent(K_PI, 5)
            if i is not None and not pi.deleted[i] and pi.paid[i] == 0 and pi.status[i] == 0:
                sec = when()
                self._delete(K_PI, i, sec, summary)
                self._delete_voucher(pi.ref[i], sec, summary)
        for kind in (K_SO, K_PO):
            for _ in range(_count(r, 0.03 * scale)):
                i = recent(kind, 10)
                if i is not None and not self._t[kind].deleted[i] and self._t[kind].status[i] == 0:
                    self._delete(kind, i, when(), summary)
        for kind, inv_kind in ((K_SP, K_SI), (K_PP, K_PI)):
            for _ in range(_count(r, 0.03 * scale)):
                i = recent(kind, 5)
                t = self._t[kind]
                if i is None or t.deleted[i]:
                    continue
                sec = when()
                inv = t.ref[i]
                it = self._t[inv_kind]
                self._delete(kind, i, sec, summary)
                self._delete_voucher(t.ref2[i], sec, summary)
                if inv == _NO:  # an unmatched payment: no invoice to reopen
                    continue
                it.paid[inv] -= t.paid[i]
                if inv_kind == K_SI and it.status[inv] == SI_PAID:
                    due = it.date[inv] + PAYMENT_TERMS[self._t[K_CUST].party[it.party[inv]]][2]
                    it.status[inv] = SI_OPEN if day <= due else SI_OVERDUE
                    # the customer pays again a week later
                    self._schedule(day + 7, E_SPAY, inv, 0)
                elif inv_kind == K_PI:
                    self._schedule(day + 3, E_PPAY, inv, 0)
                self._edit(inv_kind, inv, sec, summary)

    def _delete(self, kind: int, i: int, sec: int, summary: dict) -> None:
        t = self._t[kind]
        t.deleted[i] = 1
        t.deletions.append((sec, i))
        summary["deleted"][KINDS[kind]] += 1

    def _delete_voucher(self, v: int, sec: int, summary: dict) -> None:
        vo = self._t[K_VO]
        if vo.deleted[v]:
            return
        if vo.status[v] == V_VALID:
            self._post(v, -1)
        self._delete(K_VO, v, sec, summary)

    # ------------------------------------------------------------------ record builders

    def _builder(self, kind: str):  # noqa: ANN202 - a bound method
        return getattr(self, "_build_" + kind)

    def _customer_base(self, i: int) -> dict:
        """Immutable facts of customer i (name, ids, address), cached: every invoice uses them."""
        cached = self._cache.get((K_CUST, i, 0))
        if cached is not None:
            return cached
        r = random.Random(_mix(self.seed, K_CUST, i, 0))
        r.random()  # the payment term was drawn from this stream first
        country = self._t[K_CUST].ref2[i]
        if country:
            out = self._foreign_base(r, _CUSTOMER_COUNTRIES[country], None)
            out.update(private=False, code=str(10_000 + i + 1),
                       group=r.randrange(len(N.CUSTOMER_GROUPS)),
                       seller=i % len(self.sales_personnel))  # fmt: skip
            self._cache[(K_CUST, i, 0)] = out
            return out
        private = r.random() < 0.1
        if private:
            first, last = r.choice(N.FIRST_NAMES), r.choice(N.SURNAMES)
            name = f"{first} {last}"
            ytunnus = None
        elif r.random() < 0.5:
            name = f"{r.choice(N.SURNAME_GENITIVES)} {r.choice(N.CUSTOMER_TRADES)} " + r.choice(
                N.COMPANY_FORMS
            )
            ytunnus = y_tunnus(i * 7_654_321 + self.seed * 31)
        else:
            name = f"{r.choice(N.CUSTOMER_TRADES)} {r.choice(N.BRAND_WORDS)} " + r.choice(
                N.COMPANY_FORMS
            )
            ytunnus = y_tunnus(i * 7_654_321 + self.seed * 31)
        city, prefix = r.choice(N.CITIES)
        out = {
            "private": private,
            "name": name,
            "code": str(10_000 + i + 1),
            "ytunnus": ytunnus,
            "street": f"{r.choice(N.STREETS)} {r.randint(1, 80)}",
            "city": city,
            "postnumber": f"{prefix}{r.randint(0, 9)}0",
            "group": r.randrange(len(N.CUSTOMER_GROUPS)),
            "domain": _slug(name.rsplit(" ", 1)[0]) + ".fi",
            "seller": i % len(self.sales_personnel),
            "country": "FI",
            "vatid": None,
        }
        self._cache[(K_CUST, i, 0)] = out
        return out

    def _vendor_base(self, i: int) -> dict:
        cached = self._cache.get((K_VEND, i, 0))
        if cached is not None:
            return cached
        r = random.Random(_mix(self.seed, K_VEND, i, 0))
        r.random()
        profile = self._t[K_VEND].ref2[i]
        if profile:
            country, *_rest, stems = N.FOREIGN_VENDORS[profile - 1]
            out = self._foreign_base(r, country, stems)
            out["code"] = f"T{100 + i + 1}"
            self._cache[(K_VEND, i, 0)] = out
            return out
        cat = N.VENDOR_CATEGORIES[self._t[K_VEND].party[i]]
        name = f"{r.choice(N.BRAND_WORDS)} {cat[0]} {r.choice(('Oy', 'Oy', 'Ab', 'Oyj'))}"
        city, prefix = r.choice(N.CITIES)
        bank = r.choice(N.BANKS)
        out = {
            "name": name,
            "code": f"T{100 + i + 1}",
            "ytunnus": y_tunnus(i * 7_654_321 + 1_450_000 + self.seed * 31),
            "street": f"{r.choice(N.STREETS)} {r.randint(1, 80)}",
            "city": city,
            "postnumber": f"{prefix}{r.randint(0, 9)}0",
            "iban": _iban(f"{bank[2]}{r.randrange(10**13):013d}"),
            "bank": bank[0],
            "domain": _slug(name.rsplit(" ", 1)[0]) + ".fi",
            "country": "FI",
        }
        self._cache[(K_VEND, i, 0)] = out
        return out

    @staticmethod
    def _foreign_base(r: random.Random, country: str, stems: tuple[str, ...] | None) -> dict:
        """Name, address, VAT number and bank of a foreign party. EU parties are identified by
        their VAT number (where a Finnish one has its Y-tunnus); US parties by none, and they
        have no IBAN."""
        facts = N.FOREIGN_COUNTRIES[country]
        _name, _cur, cities, streets, customer_stems, forms, banks, tld = facts
        city = r.choice(cities)
        stem = r.choice(stems or customer_stems)
        name = f"{stem} {r.choice(forms)}" if stems else f"{stem} {city} {r.choice(forms)}"
        if country == "SE":
            vatid = f"SE{r.randrange(10**9, 10**10)}01"
            postnumber = f"{r.randint(100, 999)} {r.randint(10, 99)}"
            iban: str | None = _iban(f"{r.randrange(10**20):020d}", "SE")
        elif country == "DE":
            vatid = f"DE{r.randrange(10**8, 10**9)}"
            postnumber = f"{r.randint(10_000, 99_999)}"
            iban = _iban(f"{r.randrange(10**18):018d}", "DE")
        else:
            vatid, postnumber, iban = None, f"{r.randint(10_000, 99_999)}", None
        return {
            "name": name,
            "ytunnus": None,
            "vatid": vatid,
            "street": f"{r.choice(streets)} {r.randint(1, 80)}",
            "city": city,
            "postnumber": postnumber,
            "iban": iban,
            "bank": r.choice(banks),
            "domain": f"{_slug(stem)}.{tld}",
            "country": country,
        }

    def _contact(self, kind: int, i: int, domain: str) -> tuple[str, str, str, str]:
        """Editable contact facts of version `ver`: (person, email, phone, comment)."""
        ver = self._t[kind].ver[i]
        r = random.Random(_mix(self.seed, kind, i, 1000 + ver))
        first, last = r.choice(N.FIRST_NAMES), r.choice(N.SURNAMES)
        phone = f"0{r.choice((40, 44, 45, 50))} {r.randrange(10**6, 10**7)}"
        comment = ("Hyvä asiakas", "Maksaa ajallaan", "Toimitus takaovelle", None)[ver % 4]
        return f"{first} {last}", f"{_slug(first)}.{_slug(last)}@{domain}", phone, comment

    def _build_customers(self, i: int) -> dict:
        t = self._t[K_CUST]
        b = self._customer_base(i)
        person, email, phone, comment = self._contact(K_CUST, i, b["domain"])
        term = PAYMENT_TERMS[t.party[i]]
        ovt = "0037" + b["ytunnus"].replace("-", "") if b["ytunnus"] else None
        return {
            "customerbaseinformation": {
                "netvisorkey": t.key(i),
                "internalidentifier": b["code"],
                "externalidentifier": b["ytunnus"] or b["vatid"],
                "organizationunitnumber": ovt,
                "customergroupnetvisorkey": b["group"] + 1,
                "customergroupname": N.CUSTOMER_GROUPS[b["group"]],
                "name": b["name"],
                "nameextension": None,
                "streetaddress": b["street"],
                "additionalstreetaddress": None,
                "city": b["city"],
                "postnumber": b["postnumber"],
                "country": b["country"],
                "country_type": "ISO-3166",
                "phonenumber": phone,
                "faxnumber": None,
                "email": email if b["private"] else f"info@{b['domain']}",
                "emailinvoicingaddress": None if ovt else email,
                "homepageuri": None if b["private"] else f"www.{b['domain']}",
                "isactive": bool(t.status[i]),
                "isprivatecustomer": b["private"],
            },
            "customerfinvoicedetails": {
                "finvoiceaddress": ovt,
                "finvoiceroutercode": N.FINVOICE_OPERATORS[i % 4] if ovt else None,
            },
            "customerdeliverydetails": {
                "deliveryname": b["name"],
                "deliverystreetaddress": b["street"],
                "deliverycity": b["city"],
                "deliverypostnumber": b["postnumber"],
            },
            "customercontactdetails": {
                "contactperson": person,
                "contactpersonemail": email,
                "contactpersonphone": phone,
            },
            "customeradditionalinformation": {
                "comment": comment,
                "referencenumber": _reference(b["code"]),
                "usecreditorreferencenumber": False,
                "yourdefaultreference": None,
                "defaultpaymentterm": term[0],
                "balancelimit": _money(500_000 if not b["private"] else 100_000),
            },
            "_modified": _to_dt(t.modified[i]),
        }

    def _build_vendors(self, i: int) -> dict:
        t = self._t[K_VEND]
        b = self._vendor_base(i)
        cat, account, vat10, *_rest = self._vendor_facts(i)
        person, email, phone, comment = self._contact(K_VEND, i, b["domain"])
        return {
            "netvisorkey": t.key(i),
            "vendorbaseinformation": {
                "code": b["code"],
                "name": b["name"],
                "address": b["street"],
                "postcode": b["postnumber"],
                "city": b["city"],
                "country": b["country"],
                "country_type": "ISO-3166",
                "organizationid": b["ytunnus"] or b["vatid"],
                "groupname": cat[0],
                "vendorbankaccounts": {
                    "vendordomesticbankaccounts": {
                        "vendordomesticbankaccount": [
                            {
                                "netvisorkey": t.key(i) * 10 + 1,
                                "iban": b["iban"],
                                "bankname": b["bank"],
                                "isdefault": True,
                            }
                        ],  # fmt: skip
                    },
                },
            },
            "vendorcontactdetails": {
                "phonenumber": phone,
                "email": f"laskutus@{b['domain']}",
                "faxnumber": None,
                "contactpersonname": person,
                "contactpersonphonenumber": phone,
                "contactpersonemail": email,
                "homepage": f"www.{b['domain']}",
                "comment": comment,
            },
            "vendoradditionalinformation": {
                "defaultvatpercent": _VAT_DEC[vat10],
                "ispartialvatreducedprivileged": False,
                "vendoraccountingaccounts": {
                    "vendoraccountingaccount": [
                        {
                            "accountnumber": account,
                            "accountname": self._acc_name[account],
                            "isdefault": True,
                        }
                    ],  # fmt: skip
                },
            },
            "_modified": _to_dt(t.modified[i]),
        }

    def _product_facts(self, i: int) -> tuple[str, str, int, int, int, str, str]:
        """(code, name, current unit price cents, purchase price, vat10, group, account)."""
        cats = N.PRODUCT_CATEGORIES
        if i < len(self._prod_cat):
            cat, price, name = self._prod_cat[i], self._prod_price[i], self._prod_name[i]
        else:  # added by advance(): never on invoices (see _si_lines)
            r = random.Random(_mix(self.seed, K_PROD, i, 0))
            cat = r.randrange(len(cats))
            lo, hi = cats[cat][6]
            price = r.randrange(lo // 10, hi // 10) * 10
            name = f"{cats[cat][5][r.randrange(len(cats[cat][5]))]} uutuus {i}"
        ver = self._t[K_PROD].ver[i]
        current = price * (100 + 3 * (ver - 1)) // 100
        return (f"{cats[cat][0]}{100 + i + 1}", name, current, _purchase_price(price), cats[cat][3],
                cats[cat][1], cats[cat][4])  # fmt: skip

    def _build_products(self, i: int) -> dict:
        t = self._t[K_PROD]
        code, name, price, purchase, vat10, group, account = self._product_facts(i)
        r = random.Random(_mix(self.seed, K_PROD, i, 2000 + t.ver[i]))
        stock = r.randrange(0, 200)
        return {
            "productbaseinformation": {
                "netvisorkey": t.key(i),
                "productcode": code,
                "productgroup": group,
                "name": name,
                "description": None,
                "unitprice": _money(price),
                "unitprice_type": "net",
                "unit": N.PRODUCT_CATEGORIES[self._cat_of(i)][2],
                "unitweight": Decimal("0.5"),
                "purchaseprice": _money(purchase),
                "tariffheading": None,
                "comissionpercentage": Decimal("0"),
                "isactive": True,
                "issalesproduct": True,
            },
            "productbookkeepingdetails": {
                "defaultvatpercent": _VAT_DEC[vat10],
                "defaultdomesticaccountnumber": account,
                "defaulteuaccountnumber": "3360",
                "defaultoutsideeuaccountnumber": "3380",
            },
            "productinventorydetails": {
                "inventoryamount": Decimal(stock),
                "inventorymidprice": _money(purchase),
                "inventoryvalue": _money(purchase * stock),
                "inventoryreservedamount": Decimal(0),
                "inventoryorderedamount": Decimal(0),
            },
            "_productgroupid": self._cat_of(i) + 1,
            "_unitgrossprice": _money(price + _vat(price, vat10)),
            "_modified": _to_dt(t.modified[i]),
        }

    def _cat_of(self, i: int) -> int:
        if i < len(self._prod_cat):
            return self._prod_cat[i]
        r = random.Random(_mix(self.seed, K_PROD, i, 0))
        return r.randrange(len(N.PRODUCT_CATEGORIES))

    def _dims(self, cc: int, pj: int) -> list[dict]:
        out = [{"dimensionname": "Kustannuspaikka", "dimensionitem": _COST_CENTRES[cc]}]
        if pj >= 0:
            out.append({"dimensionname": "Projekti", "dimensionitem": _PROJECTS[pj]})
        return out

    def _sales_document(self, kind: int, i: int, lines: list[tuple]) -> dict:
        """The SalesInvoice record shape shared by invoices and orders."""
        t = self._t[kind]
        cust = t.party[i]
        b = self._customer_base(cust)
        term = PAYMENT_TERMS[self._t[K_CUST].party[cust]]
        d = date.fromordinal(t.date[i])
        key = t.key(i)
        cats = N.PRODUCT_CATEGORIES
        currency = self._t[K_CUST].ref2[cust]
        # The amount stays in EUR, the books' currency; the foreign amount is the amount at the
        # rate of the document's month (a credit note: its original's), and the lines are in
        # the foreign currency, adding up to it.
        credit_note = kind == K_SI and t.flags[i] & F_CREDIT_NOTE
        rate = self._fx_rate(currency, t.date[t.ref2[i]] if credit_note else t.date[i])
        foreign_amount = _convert(t.amount[i], rate)
        # Lines in the invoice's currency (as Netvisor shows them); EUR for a domestic one.
        if currency:
            sums = _lines_in_currency([ln[4] + ln[5] for ln in lines], foreign_amount, rate)
        else:
            sums = [ln[4] + ln[5] for ln in lines]
        product_lines = []
        for n, (p, qty, price, vat10, _net, vat, cc, pj) in enumerate(lines):
            if currency:
                price, vat = _convert(price, rate), _convert(vat, rate)
            cat = cats[self._prod_cat[p]]
            account, vatcode = self._sales_account(currency, self._prod_cat[p], vat10)
            product_lines.append({
                "netvisorkey": key * 1000 + (t.ver[i] % 50) * 20 + n,
                "productidentifier": f"{cat[0]}{100 + p + 1}",
                "productidentifier_type": "customer",
                "productname": self._prod_name[p],
                "productnetvisorkey": self._t[K_PROD].key(p),
                "productunitprice": _money(price),
                "productpurchaseprice": _money(_purchase_price(self._prod_price[p])),
                "productvatpercentage": _VAT_DEC[vat10],
                "productvatpercentage_vatcode": vatcode,
                "salesinvoiceproductlinequantity": Decimal(qty),
                "salesinvoiceproductlineunit": cat[2],
                "salesinvoiceproductlinediscountpercentage": Decimal("0"),
                "salesinvoiceproductlinefreetext": None,
                "salesinvoiceproductlinevatsum": _money(vat),
                "salesinvoiceproductlinesum": _money(sums[n]),
                "accountingaccountsuggestion": account,
                "dimension": self._dims(cc, pj),
            })  # fmt: skip
        seller = self.sales_personnel[b["seller"]]
        return {
            "salesinvoicenetvisorkey": key,
            "salesinvoicenumber": str(t.number[i]),
            "salesinvoicedate": d,
            "salesinvoiceeventdate": d,
            "salesinvoicevaluedate": d,
            "salesinvoicedeliverydate": d,
            "salesinvoiceduedate": d + timedelta(days=term[2]),
            "salesinvoicereferencenumber": _reference(str(t.number[i])),
            "salesinvoiceamount": _money(t.amount[i]),
            "salesinvoiceamount_iso4217currencycode": CURRENCIES[currency],
            "salesinvoiceamount_currencyrate": Decimal(rate).scaleb(-4) if currency else _ONE,
            "foreigncurrencyamount": _money(foreign_amount),
            "selleridentifier": f"{seller['firstname']} {seller['lastname']}",
            "selleridentifier_type": "name",
            "salesinvoicefreetextbeforelines": None,
            "salesinvoicefreetextafterlines": None,
            "salesinvoiceourreference": None,
            "salesinvoiceyourreference": None,
            "salesinvoiceprivatecomment": None,
            "invoicingcustomernetvisorkey": self._t[K_CUST].key(cust),
            "invoicingcustomercode": b["code"],
            "invoicingcustomername": b["name"],
            "invoicingcustomernameextension": None,
            "invoicingcustomerorganizationidentifier": b["ytunnus"],
            "invoicingcustomeraddressline": b["street"],
            "invoicingcustomerpostnumber": b["postnumber"],
            "invoicingcustomertown": b["city"],
            "invoicingcustomercountrycode": _COUNTRY_NAMES[b["country"]],
            "invoicingcustomercountrycode_iso_3166": b["country"],
            "matchpartialpaymentsbydefault": False,
            "deliveryaddressname": b["name"],
            "deliveryaddressline": b["street"],
            "deliveryaddresspostnumber": b["postnumber"],
            "deliveryaddresstown": b["city"],
            "deliveryaddresscountrycode": b["country"],
            "deliverymethod": None,
            "deliveryterm": None,
            "paymenttermnetdays": term[2],
            "paymenttermcashdiscountdays": term[3],
            "paymenttermcashdiscount": term[4],
            "paymenttermcashdiscount_type": "percentage",
            # Empty lists: REPEATED children a parsed response always holds (fields.py).
            "invoicelines": {
                "invoiceline": {
                    "salesinvoiceproductline": product_lines,
                    "salesinvoicecommentline": [],
                },
                "purchaseinvoiceline": [],
            },
        }

    def _build_sales_invoices(self, i: int) -> dict:
        si = self._t[K_SI]
        rec = self._sales_document(K_SI, i, self._si_lines(i))
        machine, text = _SI_STATUS[si.status[i]]
        v = si.ref[i]
        rec["invoicestatus"] = text
        rec["invoicestatus_status"] = machine
        rec["invoicevoucher"] = str(self._t[K_VO].number[v])
        rec["invoicevoucher_netvisorkey"] = self._t[K_VO].key(v)
        rec["creditedinvoicenetvisorkey"] = (
            si.key(si.ref2[i]) if si.flags[i] & F_CREDIT_NOTE else None
        )
        rec["_opensum"] = _money(si.amount[i] - si.paid[i])
        rec["_modified"] = _to_dt(si.modified[i])
        return rec

    def _build_sales_orders(self, i: int) -> dict:
        so = self._t[K_SO]
        lines = self._sales_lines(K_SO, so.key(i), so.ver[i], so.party[i], so.ref2[i])
        rec = self._sales_document(K_SO, i, lines)
        machine, text = _SO_STATUS[so.status[i]]
        rec["invoicestatus"] = text
        rec["invoicestatus_status"] = machine
        rec["_opensum"] = _money(so.amount[i])
        rec["_modified"] = _to_dt(so.modified[i])
        return rec

    def _build_purchase_invoices(self, i: int) -> dict:
        pi = self._t[K_PI]
        vend = pi.party[i]
        b = self._vendor_base(vend)
        cat, acc, _vat10, vatcode, reverse, currency, country = self._vendor_facts(vend)
        d = date.fromordinal(pi.date[i])
        key = pi.key(i)
        lines = []
        source = self._purchase_lines(K_PI, key, pi.ver[i], vend, pi.ref2[i])
        rate = self._fx_rate(currency, pi.date[i])
        sums = [ln[4] if reverse else ln[4] + ln[5] for ln in source]
        nets = [ln[4] for ln in source]
        if currency:
            sums = _lines_in_currency(sums, _convert(pi.amount[i], rate), rate)
            # Reverse charge: the lines carry no VAT, so net and sum are one figure.
            nets = list(sums) if reverse else [_convert(c, rate) for c in nets]
        for n, (d_i, qty, price, vat10, _net, _vat, cc, pj) in enumerate(source):
            if currency:
                price = _convert(price, rate)
            dims = [{
                "dimensionname": name, "dimensionnamenetvisorkey": self._dim_keys[(name, item)][0],
                "dimensiondetailname": item,
                "dimensiondetailnetvisorkey": self._dim_keys[(name, item)][1],
            } for name, item in (
                (dim["dimensionname"], dim["dimensionitem"]) for dim in self._dims(cc, pj))
            ]  # fmt: skip
            lines.append({
                "netvisorkey": key * 1000 + (pi.ver[i] % 50) * 20 + n,
                "linesum": _money(sums[n]),
                "linenetsum": _money(nets[n]),
                "unitprice": _money(price),
                "vatpercent": _VAT_DEC[vat10],
                "vatcode": vatcode,
                "description": cat[3][d_i],
                "unit": "kpl",
                "orderedamount": Decimal(qty),
                "deliveredamount": Decimal(qty),
                "productcode": None,
                "discountpercentage": Decimal("0"),
                "productname": cat[3][d_i],
                "accountingsuggestionbookkeepingaccountnetvisorkey": self._acc_key_of[acc],
                "accountingsuggestionbookkeepingaccount": f"{acc} {self._acc_name[acc]}",
                "purchaseinvoicelinedimensions": [{"dimension": dims}],
            })  # fmt: skip
        paid = pi.paid[i]
        amount = pi.amount[i]
        return {
            "purchaseinvoicenetvisorkey": key,
            "purchaseinvoicenumber": str(pi.number[i]),
            "purchaseinvoicedate": d,
            "purchaseinvoiceeventdate": d,
            "purchaseinvoicedeliverydate": d,
            "purchaseinvoiceduedate": d + timedelta(days=self._vendor_term(vend)),
            "purchaseinvoicevaluedate": d,
            "purchaseinvoicereferencenumber": _reference(str(pi.number[i])),
            "purchaseinvoicevendorbankaccountnumber": b["iban"],
            "ispurchaseinvoicevendorbankaccountdeleted": False,
            "ispurchaseinvoicevendorbankaccountfromseparegion": b["iban"] is not None,
            "purchaseinvoiceamount": _money(amount),
            "purchaseinvoicepaidamount": _money(paid),
            # EUR amount; the foreign amount at the rate of the invoice's month, which the lines
            # (in the invoice's currency) add up to.
            "foreigncurrencyamount": _money(_convert(amount, rate)),
            "foreigncurrencynameid": CURRENCIES[currency],
            "invoicestatus": "Paid" if paid >= amount else "Open",
            "approvalstatus": _PI_APPROVAL[pi.status[i]],
            "purchaseinvoiceourreference": None,
            "purchaseinvoiceyourreference": None,
            "purchaseinvoicedescription": cat[0],
            "vendornetvisorkey": self._t[K_VEND].key(vend),
            "vendororganizationidentifier": b["ytunnus"],
            "vendorcode": b["code"],
            "vendorname": b["name"],
            "vendoraddressline": b["street"],
            "vendorpostnumber": b["postnumber"],
            "vendortown": b["city"],
            "vendorcountry": country,
            "vendorbankaccountnumber": b["iban"],
            "voucherid": self._t[K_VO].key(pi.ref[i]),
            "isaccounted": True,
            "invoicelines": {"purchaseinvoiceline": lines},
            "_opensum": _money(amount - paid),
            "_modified": _to_dt(pi.modified[i]),
        }

    def _build_purchase_orders(self, i: int) -> dict:
        po = self._t[K_PO]
        vend = po.party[i]
        b = self._vendor_base(vend)
        cat, account, _vat10, _code, reverse, _currency, country = self._vendor_facts(vend)
        d = date.fromordinal(po.date[i])
        key = po.key(i)
        lines = [{
            "netvisorkey": key * 1000 + n,
            "productcode": None,
            "productname": cat[3][d_i],
            "vendorproductcode": None,
            "orderedamount": Decimal(qty),
            "deliveredamount": Decimal(qty) if po.status[i] >= 3 else Decimal(0),
            "unitprice": _money(price),
            "vatpercent": _VAT_DEC[vat10],
            "linesum": _money(net if reverse else net + vat),
            "freightrate": Decimal("0"),
            "deliverydate": d + timedelta(days=14),
            "accountingsuggestion": account,
            "dimension": self._dims(cc, pj),
        } for n, (d_i, qty, price, vat10, net, vat, cc, pj) in enumerate(
            self._purchase_lines(K_PO, key, po.ver[i], vend))]  # fmt: skip
        return {
            "netvisorkey": key,
            "ordernumber": str(po.number[i]),
            "orderstatus": _PO_STATUS[po.status[i]],
            "orderdate": d,
            "vendornetvisorkey": self._t[K_VEND].key(vend),
            "vendorname": b["name"],
            "vendoraddressline": b["street"],
            "vendorpostnumber": b["postnumber"],
            "vendorcity": b["city"],
            "vendorcountry": country,
            "deliveryname": self.name,
            "privatecomment": None,
            "comment": None,
            "ourreference": None,
            "paymentterm": f"{self._vendor_term(vend)} päivää netto",
            "amount": _money(po.amount[i]),
            "purchaseorderlines": {
                "purchaseorderproductline": lines,
                "purchaseordercommentline": [],
            },
            "_modified": _to_dt(po.modified[i]),
        }

    def _build_vouchers(self, v: int) -> dict:
        vo = self._t[K_VO]
        src, s = vo.party[v], vo.ref[v]
        key = vo.key(v)
        vtype = _VOUCHER_TYPES[_SRC_VTYPE[src]]
        status = "valid" if vo.status[v] == V_VALID else "invalidated"
        if src == SRC_SI:
            si = self._t[K_SI]
            desc = f"Myyntilasku {si.number[s]} {self._customer_base(si.party[s])['name']}"
            link: tuple[int, str] | None = (si.key(s), "salesinvoice")
        elif src == SRC_PI:
            pi = self._t[K_PI]
            desc = f"Ostolasku {pi.number[s]} {self._vendor_base(pi.party[s])['name']}"
            link = (pi.key(s), "purchaseinvoice")
        elif src == SRC_SP and self._t[K_SP].ref[s] == _NO:
            desc = f"Tunnistamaton suoritus {self._customer_base(self._t[K_SP].party[s])['name']}"
            link = None
        elif src == SRC_SP:
            inv = self._t[K_SP].ref[s]
            desc = f"Suoritus myyntilaskuun {self._t[K_SI].number[inv]}"
            link = (self._t[K_SI].key(inv), "salesinvoice")
        elif src == SRC_PP:
            inv = self._t[K_PP].ref[s]
            desc = f"Maksu ostolaskuun {self._t[K_PI].number[inv]}"
            link = (self._t[K_PI].key(inv), "purchaseinvoice")
        else:
            d = date.fromordinal(vo.date[v])
            desc = {
                SRC_OPENING: "Avaava tase",
                SRC_SALARY: f"Palkat {d.month}/{d.year}",
                SRC_PAYROLL_TAX: f"Työnantajasuoritukset {d.month}/{d.year}",
                SRC_VAT: f"ALV-tilitys {d.month}/{d.year}",
                SRC_VAT_PAY: f"ALV-maksu {d.month}/{d.year}",
                SRC_DEPRECIATION: f"Poistot {d.month}/{d.year}",
                SRC_LOAN: f"Lainan lyhennys ja korko {d.month}/{d.year}",
                SRC_INCOME_TAX: f"Tuloverot {d.year}",
                SRC_CLOSING: f"Tilinpäätösviennit {d.year - 1}",
                SRC_TAX_PAY: f"Tuloveron maksu {d.year}",
            }[src]
            link = None
        rec: dict = {
            "status": status,
            "netvisorkey": key,
            "voucherdate": date.fromordinal(vo.date[v]),
            "vouchernumber": vo.number[v],
            "voucherdescription": desc,
            "voucherclass": f"{vtype[1]} {vtype[2]}",
        }
        if link is not None:
            rec["linkedsourcenetvisorkey"] = link[0]
            rec["linkedsourcenetvisorkey_type"] = link[1]
        rec["vouchernetvisoruri"] = f"https://netvisor.simulator/voucher/{key}"
        rec["voucherline"] = [
            {
                "status": status,
                "netvisorkey": key * 100 + n,
                "linesum": _money(cents),
                "description": line_desc,
                "accountnumber": self._acc_numbers[acc],
                "vatpercent": _VAT_DEC[vat10] if vat10 is not None else Decimal("0"),
                "vatcode": vatcode,
                "dimension": self._dims(cc, pj) if cc >= 0 else [],
            }
            for n, (acc, cents, vat10, vatcode, line_desc, cc, pj) in enumerate(
                self._voucher_lines(v)
            )
        ]
        rec["_modified"] = _to_dt(vo.modified[v])
        return self._older_voucher_shape(v, rec)

    def _older_voucher_shape(self, v: int, rec: dict) -> dict:
        """What real ledger responses look like, at realistic rates (seeded, by voucher).

        In the company's first months (older periods) most lines carry no NetvisorKey and no
        VatCode; a few valid vouchers have no status attribute (absent means valid); some
        invalidated vouchers come without lines. The record is what the API returns, so the
        ground truth carries the same gaps.
        """
        keyless, statusless, lineless = self._voucher_quirks(v)
        if keyless:
            for line in rec["voucherline"]:
                line.pop("netvisorkey", None)
                line.pop("vatcode", None)
        if statusless:
            del rec["status"]
            for line in rec["voucherline"]:
                line.pop("status", None)
        elif lineless:
            rec["voucherline"] = []
        return rec

    def _voucher_quirks(self, v: int) -> tuple[bool, bool, bool]:
        """(lines without keys and VAT codes, no status attribute, no lines) of voucher v: one
        seeded stream per voucher, so `counts` sees the same gaps as the records."""
        vo = self._t[K_VO]
        r = random.Random(_mix(self.seed, K_VO, v, 7))
        keyless = vo.date[v] < self._start + OLDER_PERIOD_DAYS and r.random() < 0.7
        if vo.status[v] == V_VALID:
            return keyless, r.random() < 0.03, False
        return keyless, False, r.random() < 0.3

    def _build_sales_payments(self, i: int) -> dict:
        sp, si = self._t[K_SP], self._t[K_SI]
        inv = sp.ref[i]
        b = self._customer_base(sp.party[i])
        modified = _to_dt(sp.modified[i])
        matched = inv != _NO
        # `sum` is the cash received in EUR (less a cash discount, after the exchange rate).
        return {
            "netvisorkey": sp.key(i),
            "name": b["name"],
            "date": date.fromordinal(sp.date[i]),
            "sum": _money(sp.amount[i]),
            "referencenumber": _reference(str(si.number[inv])) if matched else None,
            "foreigncurrencyamount": _money(sp.number[i]) if sp.status[i] == SP_FX else None,
            "invoicenumber": str(si.number[inv]) if matched else None,
            "paymentaccountname": "Pankkitili",
            "voucherid": self._t[K_VO].key(sp.ref2[i]),
            "lastmodifiedtimestamp": modified,
            "paymentaccountnumber": self.iban,
            "paymentsource": 1,
            "bankstatus": "OK",
            "_invoicenetvisorkey": si.key(inv) if matched else None,
            "_modified": modified,
        }

    def _build_purchase_payments(self, i: int) -> dict:
        pp, pi, vo = self._t[K_PP], self._t[K_PI], self._t[K_VO]
        inv = pp.ref[i]
        b = self._vendor_base(pp.party[i])
        inv_key = pi.key(inv)
        return {
            "netvisorkey": pp.key(i),
            "payername": b["name"],
            "date": date.fromordinal(pp.date[i]),
            "homecurrencysum": _money(pp.amount[i]),
            "foreigncurrencysum": _money(pp.number[i]),
            "reference": _reference(str(pi.number[inv])),
            "invoicekey": inv_key,
            "invoicenumber": str(pi.number[inv]),
            "invoiceuri": f"/getpurchaseinvoice.nv?netvisorkey={inv_key}",
            "voucherkey": vo.key(pp.ref2[i]),
            "vouchernumber": vo.number[pp.ref2[i]],
            "_modified": _to_dt(pp.modified[i]),
        }


def generate_company(
    seed: int = 1,
    size: str = "small",
    start_date: date = date(2025, 1, 1),
    organisation_id: str = "1967543-8",
) -> Company:
    """Generate a company deterministically from `seed`; its clock ends on the last data day."""
    return Company(seed, size, start_date, organisation_id)
