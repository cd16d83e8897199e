"""The simulated company is the ground truth of every sync test, so its invariants are tested
here: determinism, balanced books, balances equal to the ledger, valid business ids, only
Finnish VAT rates, typed records in the shared record format, and the change feed of advance()
(created, edited with a moved `_modified`, deleted within the 7-day history). Its books must
also carry financial reports: VAT settled and nothing changed once a month is locked, payroll
side costs, depreciation and the loan, the year-end closing, foreign currency, reverse charge,
cash discounts, unmatched payments and an SME's operating margin, all asserted from generated
data rather than fixed totals."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

from netvisor_assets.netvisor.fields import REPEATED, field_type
from netvisor_assets.settings import validate_y_tunnus
from netvisor_assets.simulator.company import KINDS, SIZES, Company, generate_company

VAT_SET = {Decimal("25.5"), Decimal("14"), Decimal("10"), Decimal("0")}
PY_TYPES = {"int": int, "decimal": Decimal, "date": date, "datetime": datetime, "bool": bool,
            "str": str}  # fmt: skip
ELEMENT = {
    "customers": "customer",
    "vendors": "vendor",
    "products": "product",
    "sales_invoices": "salesinvoice",
    "sales_orders": "salesinvoice",
    "purchase_invoices": "purchaseinvoice",
    "purchase_orders": "purchaseorder",
    "vouchers": "voucher",
    "sales_payments": "salespayment",
    "purchase_payments": "payment",
}
STATIC = ("accounts", "company_default_accounts", "periods", "period_lock_information",
          "voucher_types", "default_voucher_types", "dimensions", "payment_terms",
          "sales_personnel")  # fmt: skip
_REPEATED_BY_PARENT: dict[str, set[str]] = defaultdict(set)
for _parent, _child in REPEATED:
    _REPEATED_BY_PARENT[_parent].add(_child)


@pytest.fixture(scope="module")
def tiny() -> Company:
    return generate_company(seed=1, size="tiny")


@pytest.fixture(scope="module")
def small() -> Company:
    return generate_company(seed=7, size="small")


def snapshot(company: Company) -> dict:
    out = {kind: list(company.records(kind)) for kind in KINDS}
    for name in STATIC:
        out[name] = getattr(company, name)
    out["balances"] = company.balances(None, [company.start_date, company.today])
    return out


def ledger_sums(company: Company, day: date) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for voucher in company.by_date("vouchers", company.start_date, day):
        if voucher.get("status", "valid") == "valid":  # absent means valid
            for line in voucher["voucherline"]:
                sums[line["accountnumber"]] += line["linesum"]
    return sums


def walk(obj: object, parent: str, problems: list[str]) -> None:
    """Check the record format: typed leaves, no blank strings, REPEATED children as lists."""
    if isinstance(obj, list):
        for item in obj:
            walk(item, parent, problems)
        return
    assert isinstance(obj, dict)
    for child in _REPEATED_BY_PARENT.get(parent, ()):
        if not isinstance(obj.get(child), list):
            problems.append(f"{parent}/{child} must be a list")
    for key, value in obj.items():
        if key.startswith("_"):
            continue
        if isinstance(value, list):
            if key not in _REPEATED_BY_PARENT.get(parent, ()):
                problems.append(f"{parent}/{key} is a list but not REPEATED")
            walk(value, key, problems)
        elif isinstance(value, dict):
            walk(value, key, problems)
        elif value is not None:
            if key == "value" or key == "iso_3166":
                continue
            expected = PY_TYPES[field_type(key)]
            if type(value) is not expected:
                problems.append(f"{parent}/{key}: {type(value).__name__} not {expected.__name__}")
            if isinstance(value, str) and (not value or value != value.strip()):
                problems.append(f"{parent}/{key}: blank or unstripped {value!r}")


def test_tiny_is_small_and_fast() -> None:
    started = time.perf_counter()
    company = generate_company(seed=3, size="tiny")
    assert time.perf_counter() - started < 1.0
    counts = company.counts()
    assert 5 <= counts["customers"] <= 10
    assert 10 <= counts["sales_invoices"] + counts["purchase_invoices"] <= 45
    assert counts["vouchers"] < 100
    assert company.today == date(2025, 1, 31)
    assert company.start_date == date(2025, 1, 1)


def test_sizes_and_clock() -> None:
    assert set(SIZES) == {"tiny", "small", "medium", "large"}
    company = generate_company(seed=2, size="tiny", start_date=date(2024, 3, 1))
    assert company.today == date(2024, 3, 31)
    with pytest.raises(ValueError, match="size"):
        generate_company(size="huge")


def test_same_seed_same_company_different_seed_differs(tiny: Company) -> None:
    again = generate_company(seed=1, size="tiny")
    assert snapshot(again) == snapshot(tiny)
    assert again.name == tiny.name
    other = generate_company(seed=2, size="tiny")
    assert snapshot(other)["sales_invoices"] != snapshot(tiny)["sales_invoices"]
    assert snapshot(other)["customers"] != snapshot(tiny)["customers"]


def test_advance_is_deterministic() -> None:
    a, b = generate_company(seed=5, size="tiny"), generate_company(seed=5, size="tiny")
    assert a.advance(5) == b.advance(5)
    assert snapshot(a) == snapshot(b)


def test_records_follow_the_record_format(small: Company) -> None:
    problems: list[str] = []
    for kind in KINDS:
        for record in small.records(kind):
            walk(record, ELEMENT[kind], problems)
            assert isinstance(record["_modified"], datetime)
            assert record["_modified"].tzinfo is not None
    walk(small.accounts, "account", problems)
    walk(small.company_default_accounts, "companydefaultaccounts", problems)
    walk(small.periods, "period", problems)
    walk(small.period_lock_information, "periodlockinformation", problems)
    walk(small.voucher_types, "vouchertype", problems)
    walk(small.default_voucher_types, "defaultvouchertypes", problems)
    walk(small.dimensions, "dimensionname", problems)
    walk(small.payment_terms, "paymentterm", problems)
    walk(small.sales_personnel, "salesperson", problems)
    walk(small.balances(None, [small.today]), "accountbalance", problems)
    assert sorted(set(problems)) == []


def test_every_voucher_balances(small: Company) -> None:
    statuses = set()
    for voucher in small.records("vouchers"):
        # An absent status attribute (older responses) means valid.
        status = voucher.get("status", "valid")
        statuses.add(status)
        if not voucher["voucherline"]:
            # Only invalidated vouchers come without lines; they post nothing.
            assert status == "invalidated", voucher["netvisorkey"]
        assert sum(line["linesum"] for line in voucher["voucherline"]) == 0
        for line in voucher["voucherline"]:
            assert line["linesum"] == line["linesum"].quantize(Decimal("0.01"))
            assert line.get("status", "valid") == status
    assert statuses == {"valid", "invalidated"}


def test_the_ledger_answers_in_older_shapes_at_realistic_rates(small: Company) -> None:
    """As real responses do: early lines without NetvisorKey/VatCode, some vouchers without a
    status attribute, some invalidated vouchers without lines; recent lines complete."""
    from netvisor_assets.simulator.company import OLDER_PERIOD_DAYS

    vouchers = list(small.records("vouchers"))
    older = small.start_date + timedelta(days=OLDER_PERIOD_DAYS)
    early = [v for v in vouchers if v["voucherdate"] < older and v["voucherline"]]
    late = [v for v in vouchers if v["voucherdate"] >= older]
    keyless_early = sum(all("netvisorkey" not in ln for ln in v["voucherline"]) for v in early)
    assert 0.5 < keyless_early / len(early) < 0.9
    assert all("netvisorkey" in ln and "vatcode" in ln for v in late for ln in v["voucherline"])
    without_status = sum("status" not in v for v in vouchers)
    assert 0 < without_status < 0.1 * len(vouchers)
    invalidated = [v for v in vouchers if v.get("status") == "invalidated"]
    assert 0 < sum(not v["voucherline"] for v in invalidated) < len(invalidated)


def test_balances_equal_ledger_sums(small: Company) -> None:
    days = [small.start_date, date(2025, 3, 31), date(2025, 7, 15), small.today]
    balances = small.balances(None, days)
    by_key = {a["netvisorkey"]: a["number"] for a in small.accounts if a["number"]}
    assert {b["netvisorkey"] for b in balances} == set(by_key)
    for day in days:
        sums = ledger_sums(small, day)
        for b in (b for b in balances if b["date"] == day):
            assert b["balance"] == sums.get(by_key[b["netvisorkey"]], Decimal(0))
            assert b["balance"] == b["debet"] - b["kredit"]
    total = sum(b["balance"] for b in balances if b["date"] == small.today)
    assert total == 0
    one = small.balances([small.account_key("1910")], [small.today])
    assert len(one) == 1 and one[0]["balance"] > 0
    before = small.balances(None, [small.start_date - timedelta(days=1)])
    assert all(b["debet"] == b["kredit"] == 0 for b in before)


def test_balances_follow_advance() -> None:
    company = generate_company(seed=11, size="tiny")
    company.advance(20)
    sums = ledger_sums(company, company.today)
    for b in company.balances(None, [company.today]):
        number = next(a["number"] for a in company.accounts if a["netvisorkey"] == b["netvisorkey"])
        assert b["balance"] == sums.get(number, Decimal(0))


def test_business_ids_are_valid(small: Company) -> None:
    """Finnish parties carry a valid Y-tunnus; EU parties their VAT number; US parties none."""
    parties = [
        (
            c["customerbaseinformation"]["country"],
            c["customerbaseinformation"]["externalidentifier"],
        )
        for c in small.records("customers")
    ]
    parties += [
        (v["vendorbaseinformation"]["country"], v["vendorbaseinformation"]["organizationid"])
        for v in small.records("vendors")
    ]
    real = [i for country, i in parties if country == "FI" and i is not None]
    assert len(real) > 100
    assert [i for i in real if validate_y_tunnus(i)] == []
    foreign = [(country, i) for country, i in parties if country != "FI"]
    assert {country for country, _ in foreign} == {"SE", "US"}
    for country, i in foreign:
        assert i is None if country == "US" else re.fullmatch(r"SE\d{10}01|DE\d{9}", i), i
    assert validate_y_tunnus(small.organisation_id) is None


def test_only_finnish_vat_rates(small: Company) -> None:
    seen = set()
    for inv in small.records("sales_invoices"):
        for line in inv["invoicelines"]["invoiceline"]["salesinvoiceproductline"]:
            seen.add(line["productvatpercentage"])
            net = line["salesinvoiceproductlinesum"] - line["salesinvoiceproductlinevatsum"]
            expected = (net * line["productvatpercentage"] / 100).quantize(Decimal("0.01"))
            assert abs(expected - line["salesinvoiceproductlinevatsum"]) <= Decimal("0.01")
    for inv in small.records("purchase_invoices"):
        for line in inv["invoicelines"]["purchaseinvoiceline"]:
            seen.add(line["vatpercent"])
    for voucher in small.records("vouchers"):
        seen.update(line["vatpercent"] for line in voucher["voucherline"])
    for product in small.records("products"):
        seen.add(product["productbookkeepingdetails"]["defaultvatpercent"])
    assert seen == VAT_SET


def test_documents_and_their_postings_agree(small: Company) -> None:
    # What a payment clears is its voucher's 1700 line: the cash (`sum`) differs from it by a
    # cash discount or an exchange difference.
    payments: dict[int, Decimal] = defaultdict(Decimal)
    for p in small.records("sales_payments"):
        voucher = small.get("vouchers", p["voucherid"])
        assert voucher is not None
        if p["_invoicenetvisorkey"] is None:
            continue
        payments[p["_invoicenetvisorkey"]] -= sum(
            ln["linesum"] for ln in voucher["voucherline"] if ln["accountnumber"] == "1700"
        )
    credit_notes = 0
    for inv in small.records("sales_invoices"):
        lines = inv["invoicelines"]["invoiceline"]["salesinvoiceproductline"]
        # The lines are in the invoice's currency: they add up to its amount in that currency.
        in_currency = (
            inv["salesinvoiceamount"]
            if inv["salesinvoiceamount_iso4217currencycode"] == "EUR"
            else inv["foreigncurrencyamount"]
        )
        assert in_currency == sum(ln["salesinvoiceproductlinesum"] for ln in lines)
        voucher = small.get("vouchers", inv["invoicevoucher_netvisorkey"])
        assert voucher is not None and voucher.get("status", "valid") == "valid"
        assert voucher["linkedsourcenetvisorkey"] == inv["salesinvoicenetvisorkey"]
        receivable = [ln for ln in voucher["voucherline"] if ln["accountnumber"] == "1700"]
        assert [ln["linesum"] for ln in receivable] == [inv["salesinvoiceamount"]]
        if inv["creditedinvoicenetvisorkey"] is not None:
            credit_notes += 1
            original = small.get("sales_invoices", inv["creditedinvoicenetvisorkey"])
            assert original is not None
            assert original["salesinvoiceamount"] == -inv["salesinvoiceamount"]
        elif payments.get(inv["salesinvoicenetvisorkey"]):
            paid = payments[inv["salesinvoicenetvisorkey"]]
            assert inv["_opensum"] == inv["salesinvoiceamount"] - paid
        if inv["_opensum"] == 0:
            assert inv["invoicestatus_status"] == "paid"
    assert credit_notes > 0
    purchase_paid: dict[int, Decimal] = defaultdict(Decimal)
    for p in small.records("purchase_payments"):
        voucher = small.get("vouchers", p["voucherkey"])
        assert voucher is not None
        purchase_paid[p["invoicekey"]] += sum(
            ln["linesum"] for ln in voucher["voucherline"] if ln["accountnumber"] == "2871"
        )
    for inv in small.records("purchase_invoices"):
        key = inv["purchaseinvoicenetvisorkey"]
        assert inv["purchaseinvoicepaidamount"] == purchase_paid.get(key, Decimal(0))
        lines = inv["invoicelines"]["purchaseinvoiceline"]
        in_currency = (
            inv["purchaseinvoiceamount"]
            if inv["foreigncurrencynameid"] == "EUR"
            else inv["foreigncurrencyamount"]
        )
        assert in_currency == sum(ln["linesum"] for ln in lines)


def test_dates_within_the_span_and_lookups(small: Company) -> None:
    for kind in KINDS:
        keys = small.keys(kind)
        assert keys == sorted(keys) and keys
        first = small.get(kind, keys[0])
        assert first is not None
        assert small.get(kind, -5) is None
        for record in small.records(kind):
            day = small.document_date(kind, record)
            assert small.start_date <= day <= small.today
            assert record["_modified"] <= small.now
    march = list(small.by_date("sales_invoices", date(2025, 3, 1), date(2025, 3, 31)))
    assert march
    assert [r["salesinvoicenetvisorkey"] for r in march] == sorted(
        r["salesinvoicenetvisorkey"] for r in march
    )
    assert all(date(2025, 3, 1) <= r["salesinvoicedate"] <= date(2025, 3, 31) for r in march)
    expected = [
        r for r in small.records("sales_invoices") if r["salesinvoicedate"].month == 3
    ]  # fmt: skip
    assert march == expected


def test_modified_between_is_inclusive(small: Company) -> None:
    records = list(small.records("sales_invoices"))
    stamp = records[len(records) // 2]["_modified"]
    hits = list(small.modified_between("sales_invoices", stamp, stamp))
    assert hits and all(r["_modified"] == stamp for r in hits)
    everything = list(small.modified_between("sales_invoices", stamp - timedelta(days=9999), None))
    assert everything == records


def test_advance_creates_edits_deletes_and_moves_modified() -> None:
    company = generate_company(seed=4, size="small")
    before = snapshot(company)
    previous_now = company.now
    summary = company.advance(14)
    assert company.today == date(2026, 1, 14)
    for part in ("created", "edited", "deleted"):
        assert sum(summary[part].values()) > 0, part
    assert summary["created"]["sales_invoices"] > 0
    assert summary["edited"]["sales_invoices"] > 0
    assert summary["deleted"]["vouchers"] > 0
    after = snapshot(company)
    for kind in KINDS:
        old_by_key = {company_key(kind, r): r for r in before[kind]}
        changed = 0
        for record in after[kind]:
            key = company_key(kind, record)
            previous = old_by_key.get(key)
            if previous is None:
                assert record["_modified"] > previous_now, (kind, key)
            elif previous != record:
                changed += 1
                assert record["_modified"] > previous_now, (kind, key)
        moved = {company_key(kind, r) for r in company.modified_between(kind, previous_now, None)}
        new_or_changed = {
            company_key(kind, r) for r in after[kind] if old_by_key.get(company_key(kind, r)) != r
        }
        assert moved == new_or_changed, kind
        gone = set(old_by_key) - {company_key(kind, r) for r in after[kind]}
        deleted = {d["netvisorkey"] for d in company.deleted_since(kind, date(2026, 1, 1))}
        assert gone <= deleted, kind
    # vouchers of edited invoices stay balanced and the books still equal the ledger
    for voucher in company.records("vouchers"):
        assert sum(line["linesum"] for line in voucher["voucherline"]) == 0


def company_key(kind: str, record: dict) -> int:
    if kind == "customers":
        return record["customerbaseinformation"]["netvisorkey"]
    if kind == "products":
        return record["productbaseinformation"]["netvisorkey"]
    if kind in ("sales_invoices", "sales_orders"):
        return record["salesinvoicenetvisorkey"]
    if kind == "purchase_invoices":
        return record["purchaseinvoicenetvisorkey"]
    return record["netvisorkey"]


def test_deleted_since_keeps_seven_days() -> None:
    company = generate_company(seed=9, size="small")
    company.advance(3)
    recent = company.deleted_since("vouchers", company.start_date)
    assert recent
    for row in recent:
        assert set(row) == {"netvisorkey", "deletedate"}
        assert row["deletedate"].tzinfo is not None
        assert row["deletedate"].date() >= company.today - timedelta(days=7)
        assert company.get("vouchers", row["netvisorkey"]) is None
        assert row["netvisorkey"] not in company.keys("vouchers")
    since_today = company.deleted_since("vouchers", company.today)
    assert all(r["deletedate"].date() == company.today for r in since_today)
    old_keys = {r["netvisorkey"] for r in recent}
    company.advance(8)
    assert old_keys.isdisjoint(
        r["netvisorkey"] for r in company.deleted_since("vouchers", company.start_date)
    )


def test_chart_dimensions_and_static_lists(tiny: Company) -> None:
    numbers = {a["number"] for a in tiny.accounts if a["number"]}
    assert {"1700", "1763", "1910", "2871", "2939", "3000", "4000", "5000"} <= numbers
    keys = {a["netvisorkey"] for a in tiny.accounts}
    groups = {a["netvisorkey"] for a in tiny.accounts if a["accounttype"] == "accountgroup"}
    for account in tiny.accounts:
        assert account["fathernetvisorkey"] == 0 or account["fathernetvisorkey"] in groups
        assert account["fathernetvisorkey"] in keys | {0}
        assert account["number"] is None or account["number"][0] in "123456789"
    for value in tiny.company_default_accounts.values():
        assert value in numbers
    names = {d["name"] for d in tiny.dimensions}
    assert {"Kustannuspaikka", "Projekti"} <= names
    assert [p["name"] for p in tiny.periods] == ["2025"]
    assert sum(t["isdefault"] for t in tiny.payment_terms) == 1
    counts = tiny.counts()
    for key in ("voucher_lines", "sales_invoice_lines", "purchase_invoice_lines",
                "sales_order_lines", "purchase_order_lines", "accounts", "dimensions"):  # fmt: skip
        assert counts[key] > 0
    assert counts["voucher_lines"] == sum(len(v["voucherline"]) for v in tiny.records("vouchers"))


@pytest.mark.slow
def test_large_generates_within_a_minute() -> None:
    started = time.perf_counter()
    company = generate_company(seed=1, size="large")
    elapsed = time.perf_counter() - started
    counts = company.counts()
    assert elapsed < 60
    assert counts["voucher_lines"] > 1_000_000
    assert counts["sales_invoices"] + counts["purchase_invoices"] > 180_000
    assert company.today == date(2029, 12, 31)


# ------------------------------------------------------------------------- the books
#
# What financial reports need from the company, asserted from generated data: VAT settled as
# the lock passes each month, nothing locked changing, payroll side costs, depreciation and the
# loan, the year-end closing, foreign currency, reverse charge, cash discounts, unmatched
# payments, and an SME's operating margin. `closed` is the small company advanced past
# 1 February 2026, when the lock passes 2025 and the year is closed.


@pytest.fixture(scope="module")
def closed() -> Company:
    company = generate_company(seed=7, size="small")
    company.advance(45)
    return company


CENT = Decimal("0.01")
PAYROLL_LIABILITIES = ("2931", "2935", "2937", "2938")


def valid_vouchers(company: Company) -> list[dict]:
    return [v for v in company.records("vouchers") if v.get("status", "valid") == "valid"]


def lines_of(voucher: dict, number: str) -> list[Decimal]:
    return [ln["linesum"] for ln in voucher["voucherline"] if ln["accountnumber"] == number]


def month_ends(first: date, last: date) -> list[date]:
    out = []
    day = first
    while True:
        end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if end > last:
            return out
        out.append(end)
        day = end + timedelta(days=1)


def income_statement_numbers(company: Company) -> set[str]:
    by_key = {a["netvisorkey"]: a for a in company.accounts}

    def top(account: dict) -> dict:
        while account["fathernetvisorkey"]:
            account = by_key[account["fathernetvisorkey"]]
        return account

    return {
        a["number"] for a in company.accounts if a["number"] and top(a)["name"] == "Tuloslaskelma"
    }


def test_vat_is_settled_when_each_month_closes(closed: Company) -> None:
    """After the month's last change its VAT is settled for good: 2939 and 1763 are zero at
    every month end, also once the lock has passed it, and the VAT is paid on the 12th of the
    month after next."""
    ends = month_ends(closed.start_date, closed.today)
    assert len(ends) == 13
    assert closed.period_lock_information["vatperiodlockdate"] == ends[-2]
    keys = [closed.account_key("2939"), closed.account_key("1763")]
    assert all(b["balance"] == 0 for b in closed.balances(keys, ends))
    vouchers = valid_vouchers(closed)
    settlements = {
        v["voucherdate"]: v for v in vouchers if v["voucherdescription"].startswith("ALV-tilitys")
    }
    payments = {
        v["voucherdate"]: v for v in vouchers if v["voucherdescription"].startswith("ALV-maksu")
    }
    assert sorted(settlements) == ends
    for end, voucher in settlements.items():
        assert voucher["_modified"].date() == end
        due = (end.replace(day=1) + timedelta(days=62)).replace(day=12)
        if due <= closed.today:
            assert lines_of(payments[due], "2946") == [-sum(lines_of(voucher, "2946"))]
    assert len(payments) == 12  # January to December 2025, the last on 12 February 2026


def test_nothing_changes_after_its_month_closed(closed: Company) -> None:
    """Every voucher's last change falls in its own month (corrections, reposts and deletions
    stay within the month), so nothing dated on or before the lock changes after the lock
    passed it, and a month synced after its close is final."""
    for voucher in closed.records("vouchers"):
        changed, dated = voucher["_modified"].date(), voucher["voucherdate"]
        assert (changed.year, changed.month) == (dated.year, dated.month), voucher["netvisorkey"]
        assert changed >= dated
    invalidated = [v for v in closed.records("vouchers") if v.get("status") == "invalidated"]
    assert invalidated  # corrections do happen, within their month


def test_payroll_books_its_side_costs_and_pays_them_on_the_12th(closed: Company) -> None:
    vouchers = valid_vouchers(closed)
    salaries = {
        v["voucherdate"]: v for v in vouchers if v["voucherdescription"].startswith("Palkat")
    }
    paid = {
        v["voucherdate"]: v
        for v in vouchers
        if v["voucherdescription"].startswith("Työnantajasuoritukset")
    }
    assert len(salaries) == 13
    for end, salary in salaries.items():
        (gross,) = lines_of(salary, "5000")
        assert lines_of(salary, "6410") == [(gross * Decimal("0.0187")).quantize(CENT, ROUND_DOWN)]
        assert lines_of(salary, "6300") == [(gross * Decimal("0.01")).quantize(CENT, ROUND_DOWN)]
        assert lines_of(salary, "2937") == [-lines_of(salary, "6410")[0]]
        due = (end + timedelta(days=1)).replace(day=12)
        if due <= closed.today:
            for number in PAYROLL_LIABILITIES:
                assert lines_of(paid[due], number) == [-x for x in lines_of(salary, number)]
    # on 14 February 2026 January's taxes are paid and February's salary is not booked yet
    assert closed.today == date(2026, 2, 14)
    keys = [closed.account_key(n) for n in PAYROLL_LIABILITIES]
    assert all(b["balance"] == 0 for b in closed.balances(keys, [closed.today]))


def test_depreciation_and_the_loan_run_every_month(small: Company) -> None:
    vouchers = valid_vouchers(small)
    (opening,) = [v for v in vouchers if v["voucherdescription"] == "Avaava tase"]
    (machinery,) = lines_of(opening, "1160")
    (intangible,) = lines_of(opening, "1040")
    (loan,) = lines_of(opening, "2400")
    assert machinery > 0 and intangible > 0 and loan < 0
    assert sum(opening_line["linesum"] for opening_line in opening["voucherline"]) == 0
    depreciations = sorted(
        (v for v in vouchers if v["voucherdescription"].startswith("Poistot")),
        key=lambda v: v["voucherdate"],
    )
    assert [v["voucherdate"] for v in depreciations] == month_ends(small.start_date, small.today)
    book = machinery
    for v in depreciations:
        assert v["voucherclass"] == "ME Memo Voucher"
        (on_machinery,) = lines_of(v, "1160")
        assert -on_machinery == (book * Decimal(25) / 1200).quantize(CENT, ROUND_HALF_UP)
        book += on_machinery
        assert abs(lines_of(v, "1040")[0] + intangible / 60) <= CENT
        assert lines_of(v, "6800") == [-sum(lines_of(v, "1160") + lines_of(v, "1040"))]
    instalments = [v for v in vouchers if v["voucherdescription"].startswith("Lainan lyhennys")]
    assert [v["voucherdate"].day for v in instalments] == [15] * 12
    outstanding = -loan
    for v in sorted(instalments, key=lambda v: v["voucherdate"]):
        (interest,) = lines_of(v, "8400")
        assert interest == (outstanding * Decimal(5) / 1200).quantize(CENT, ROUND_HALF_UP)
        outstanding -= lines_of(v, "2400")[0]
        assert lines_of(v, "1910") == [-(interest + lines_of(v, "2400")[0])]
    balance = small.balances([small.account_key("2400")], [small.today])[0]["balance"]
    assert balance == -outstanding


def test_the_year_end_closing_zeroes_the_income_statement(closed: Company) -> None:
    tp_type = {"netvisorkey": 9, "abbreviation": "TP", "name": "Closing entries",
               "foreignname": [{"value": "Tilinpäätösviennit", "iso_3166": "fi"}]}  # fmt: skip
    assert tp_type in closed.voucher_types
    vouchers = valid_vouchers(closed)
    (tp,) = [v for v in vouchers if v["voucherclass"].startswith("TP ")]
    assert tp["voucherclass"] == "TP Closing entries"
    assert tp["voucherdate"] == date(2026, 1, 1)
    pl = income_statement_numbers(closed)
    assert {"3000", "4000", "5000", "6800", "8400", "9900"} <= pl and "2250" not in pl
    year: dict[str, Decimal] = defaultdict(Decimal)
    for v in vouchers:
        if v["voucherdate"].year == 2025:
            for line in v["voucherline"]:
                year[line["accountnumber"]] += line["linesum"]
    closing = {ln["accountnumber"]: ln["linesum"] for ln in tp["voucherline"]}
    assert set(closing) == {n for n in pl if year[n]} | {"2250"}
    assert all(year[n] + closing.get(n, Decimal(0)) == 0 for n in pl)
    profit_before_tax = -sum(year[n] for n in pl if n != "9900")
    assert profit_before_tax > 0
    (tax,) = [v for v in vouchers if v["voucherdescription"] == "Tuloverot 2025"]
    assert tax["voucherdate"] == date(2025, 12, 31) and tax["voucherclass"] == "ME Memo Voucher"
    assert lines_of(tax, "9900") == [(profit_before_tax / 5).quantize(CENT, ROUND_DOWN)]
    assert lines_of(tax, "2950") == [-year["9900"]]
    assert closing["2250"] == -(profit_before_tax - year["9900"])
    # Netvisor's balances start the new year from zero on every income-statement account.
    jan1 = closed.balances(None, [date(2026, 1, 1)])
    number_of = {a["netvisorkey"]: a["number"] for a in closed.accounts if a["number"]}
    new_year: dict[str, Decimal] = defaultdict(Decimal)
    for v in vouchers:
        if v["voucherdate"] == date(2026, 1, 1) and v is not tp:
            for line in v["voucherline"]:
                new_year[line["accountnumber"]] += line["linesum"]
    for b in jan1:
        if number_of[b["netvisorkey"]] in pl:
            assert b["balance"] == new_year[number_of[b["netvisorkey"]]]


def test_operating_margin_and_cash_are_an_smes(small: Company) -> None:
    revenue = expenses = Decimal(0)
    for v in valid_vouchers(small):
        for line in v["voucherline"]:
            first = line["accountnumber"][0]
            if first == "3":
                revenue -= line["linesum"]
            elif first in "4567":
                expenses += line["linesum"]
    assert 0 < (revenue - expenses) / revenue < Decimal("0.15")
    days = [
        small.start_date + timedelta(days=n)
        for n in range((small.today - small.start_date).days + 1)
    ]
    bank = small.balances([small.account_key("1910")], days)
    assert min(b["balance"] for b in bank) > 0


def test_foreign_customers_invoice_in_their_currency_and_pay_at_the_months_rate(
    small: Company,
) -> None:
    customers = list(small.records("customers"))
    countries = [c["customerbaseinformation"]["country"] for c in customers]
    foreign = sum(country != "FI" for country in countries)
    assert 0.02 <= foreign / len(countries) <= 0.06
    invoices = {
        inv["salesinvoicenetvisorkey"]: inv
        for inv in small.records("sales_invoices")
        if inv["salesinvoiceamount_iso4217currencycode"] != "EUR"
    }
    assert {inv["salesinvoiceamount_iso4217currencycode"] for inv in invoices.values()} == {
        "SEK",
        "USD",
    }
    expected = {
        "SEK": ("SE", "3360", "EUMY", 10.9, 11.5),
        "USD": ("US", "3380", "NONE", 1.05, 1.11),
    }
    for inv in invoices.values():
        country, account, code, low, high = expected[inv["salesinvoiceamount_iso4217currencycode"]]
        rate = inv["salesinvoiceamount_currencyrate"]
        assert low <= rate <= high and rate == rate.quantize(Decimal("0.0001"))
        assert inv["foreigncurrencyamount"] == (inv["salesinvoiceamount"] * rate).quantize(
            CENT, ROUND_HALF_UP
        )
        assert inv["invoicingcustomercountrycode_iso_3166"] == country
        for line in inv["invoicelines"]["invoiceline"]["salesinvoiceproductline"]:
            assert (line["productvatpercentage"], line["salesinvoiceproductlinevatsum"]) == (0, 0)
            assert (line["accountingaccountsuggestion"], line["productvatpercentage_vatcode"]) == (
                account,
                code,
            )
    differences = 0
    for payment in small.records("sales_payments"):
        inv = invoices.get(payment["_invoicenetvisorkey"])
        if inv is None:
            assert payment["foreigncurrencyamount"] is None
            continue
        voucher = small.get("vouchers", payment["voucherid"])
        (cleared,) = lines_of(voucher, "1700")
        assert lines_of(voucher, "1910") == [payment["sum"]]
        assert sum(lines_of(voucher, "3580")) == -cleared - payment["sum"]
        if -cleared == inv["salesinvoiceamount"]:
            assert payment["foreigncurrencyamount"] == inv["foreigncurrencyamount"]
        differences += bool(lines_of(voucher, "3580"))
    assert differences > 0


def test_foreign_vendors_are_paid_at_the_months_rate(small: Company) -> None:
    invoices = {
        inv["purchaseinvoicenetvisorkey"]: inv
        for inv in small.records("purchase_invoices")
        if inv["foreigncurrencynameid"] != "EUR"
    }
    assert {inv["foreigncurrencynameid"] for inv in invoices.values()} == {"SEK", "USD"}
    assert {inv["vendorcountry"] for inv in invoices.values()} == {"SE", "US"}
    differences = 0
    for payment in small.records("purchase_payments"):
        inv = invoices.get(payment["invoicekey"])
        if inv is None:
            assert payment["foreigncurrencysum"] == payment["homecurrencysum"]
            continue
        assert payment["foreigncurrencysum"] == inv["foreigncurrencyamount"]
        voucher = small.get("vouchers", payment["voucherkey"])
        assert lines_of(voucher, "2871") == [inv["purchaseinvoiceamount"]]
        assert lines_of(voucher, "1910") == [-payment["homecurrencysum"]]
        assert (
            sum(lines_of(voucher, "4370"))
            == payment["homecurrencysum"] - inv["purchaseinvoiceamount"]
        )
        differences += bool(lines_of(voucher, "4370"))
    assert differences > 0


def test_eu_purchases_are_reverse_charged(small: Company) -> None:
    reverse = [
        inv
        for inv in small.records("purchase_invoices")
        if inv["invoicelines"]["purchaseinvoiceline"][0]["vatcode"] in ("EUPO", "EUOS")
    ]
    assert reverse
    for inv in reverse:
        lines = inv["invoicelines"]["purchaseinvoiceline"]
        # The lines are in the invoice's currency; the amount is in EUR.
        eur = inv["foreigncurrencynameid"] == "EUR"
        in_currency = inv["purchaseinvoiceamount"] if eur else inv["foreigncurrencyamount"]
        assert in_currency == sum(ln["linenetsum"] for ln in lines)
        assert all(
            ln["linesum"] == ln["linenetsum"] and ln["vatpercent"] == Decimal("25.5")
            for ln in lines
        )
        voucher = small.get("vouchers", inv["voucherid"])
        expenses = [ln["linesum"] for ln in voucher["voucherline"] if ln["accountnumber"] >= "4000"]
        assert sum(expenses) == inv["purchaseinvoiceamount"]
        # The VAT the company computes itself, in EUR, both receivable and payable.
        vat = sum((e * Decimal("0.255")).quantize(CENT, ROUND_HALF_UP) for e in expenses)
        assert sum(lines_of(voucher, "1763")) == vat == -sum(lines_of(voucher, "2939"))
        assert lines_of(voucher, "2871") == [-inv["purchaseinvoiceamount"]]


def test_cash_discounts_are_taken_within_the_discount_days(small: Company) -> None:
    terms = {
        c["customerbaseinformation"]["netvisorkey"]: c["customeradditionalinformation"][
            "defaultpaymentterm"
        ]
        for c in small.records("customers")
    }
    discounted = 0
    for payment in small.records("sales_payments"):
        voucher = small.get("vouchers", payment["voucherid"])
        if not lines_of(voucher, "3500"):
            continue
        discounted += 1
        inv = small.get("sales_invoices", payment["_invoicenetvisorkey"])
        assert terms[inv["invoicingcustomernetvisorkey"]] == 3
        assert payment["date"] <= inv["salesinvoicedate"] + timedelta(days=14)
        rebate = (inv["salesinvoiceamount"] * Decimal("0.02")).quantize(CENT, ROUND_HALF_UP)
        assert payment["sum"] == inv["salesinvoiceamount"] - rebate
        assert lines_of(voucher, "1700") == [-inv["salesinvoiceamount"]]
        assert sum(lines_of(voucher, "3500") + lines_of(voucher, "2939")) == rebate
        assert inv["_opensum"] == 0 and inv["invoicestatus_status"] == "paid"
    assert discounted > 10


def test_a_few_payments_a_month_match_no_invoice(small: Company) -> None:
    per_month: dict[int, int] = defaultdict(int)
    for payment in small.records("sales_payments"):
        if payment["_invoicenetvisorkey"] is not None:
            continue
        assert payment["invoicenumber"] is None and payment["referencenumber"] is None
        voucher = small.get("vouchers", payment["voucherid"])
        assert (
            lines_of(voucher, "1910") == [payment["sum"]] == [-x for x in lines_of(voucher, "2861")]
        )
        per_month[payment["date"].month] += 1
    assert 10 <= sum(per_month.values()) <= 80 and max(per_month.values()) <= 10
