"""Static reference data: the chart of accounts, voucher types, dimensions, sales people,
the product catalogue, and the `Plan` that sizes the fixed costs from the catalogue."""

from __future__ import annotations

import random

from netvisor_assets.simulator import names as N
from netvisor_assets.simulator.company.store import (
    _CAT_POOL,
    _COST_CENTRES,
    _HEALTH,
    _MEAN_SALARY,
    _MONTH_DAYS_100,
    _OTHER_SOCIAL,
    _OVERHEAD_CATS,
    _OVERHEAD_PERMILLE,
    _OVERHEAD_WEIGHTS,
    _PENSION,
    _PLAN_SHARES,
    _PROJECTS,
    _SERVICE_COST_PERMILLE,
    K_PROD,
    PAYMENT_TERMS,
    Plan,
    _mix,
    _purchase_price,
    _slug,
)

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


class StaticMixin:
    """Builds the static lists at construction (`Company.__init__` calls these first)."""

    def _init_chart(self) -> None:
        """Accounts (tree order, EndSort, defaults), voucher types and payment terms: one pass
        over the static tables, kept together because the lookups built here index each other."""
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
