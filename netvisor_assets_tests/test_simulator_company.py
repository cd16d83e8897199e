"""The simulated company is the ground truth of every sync test, so its invariants are tested
here: determinism, balanced books, balances equal to the ledger, valid business ids, only
Finnish VAT rates, typed records in the shared record format, and the change feed of advance()
(created, edited with a moved `_modified`, deleted within the 7-day history)."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

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
    ids = [c["customerbaseinformation"]["externalidentifier"] for c in small.records("customers")]
    ids += [v["vendorbaseinformation"]["organizationid"] for v in small.records("vendors")]
    real = [i for i in ids if i is not None]
    assert len(real) > 100
    assert [i for i in real if validate_y_tunnus(i)] == []
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
    payments: dict[int, Decimal] = defaultdict(Decimal)
    for p in small.records("sales_payments"):
        payments[p["_invoicenetvisorkey"]] += p["sum"]
        assert small.get("vouchers", p["voucherid"]) is not None
    credit_notes = 0
    for inv in small.records("sales_invoices"):
        lines = inv["invoicelines"]["invoiceline"]["salesinvoiceproductline"]
        assert inv["salesinvoiceamount"] == sum(ln["salesinvoiceproductlinesum"] for ln in lines)
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
        purchase_paid[p["invoicekey"]] += p["homecurrencysum"]
    for inv in small.records("purchase_invoices"):
        key = inv["purchaseinvoicenetvisorkey"]
        assert inv["purchaseinvoicepaidamount"] == purchase_paid.get(key, Decimal(0))
        lines = inv["invoicelines"]["purchaseinvoiceline"]
        assert inv["purchaseinvoiceamount"] == sum(ln["linesum"] for ln in lines)


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
        assert account["number"] is None or account["number"][0] in "12345678"
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
