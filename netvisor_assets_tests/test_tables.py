"""Registry contract: one consistent entry per table, parsers follow it, README in step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from netvisor_assets.tables import SOURCES, TABLES, SyncMode
from netvisor_assets.tables.columns import c, record_path, snake
from netvisor_assets.tables.docs import README, render_table_reference
from netvisor_assets.tables.ledger import VOUCHER_SOURCE
from netvisor_assets.tables.source import month_windows

EXPECTED_TABLES = {
    "vouchers": SyncMode.PARTITIONED,
    "voucher_lines": SyncMode.PARTITIONED,
    "sales_invoices": SyncMode.PARTITIONED,
    "sales_invoice_lines": SyncMode.PARTITIONED,
    "sales_orders": SyncMode.PARTITIONED,
    "sales_order_lines": SyncMode.PARTITIONED,
    "purchase_invoices": SyncMode.PARTITIONED,
    "purchase_invoice_lines": SyncMode.PARTITIONED,
    "purchase_orders": SyncMode.PARTITIONED,
    "purchase_order_lines": SyncMode.PARTITIONED,
    "sales_payments": SyncMode.PARTITIONED,
    "purchase_payments": SyncMode.PARTITIONED,
    "account_balances": SyncMode.PARTITIONED,
    "customers": SyncMode.MERGE,
    "vendors": SyncMode.MERGE,
    "products": SyncMode.MERGE,
    "accounts": SyncMode.FULL_REFRESH,
    "default_accounts": SyncMode.FULL_REFRESH,
    "dimensions": SyncMode.FULL_REFRESH,
    "accounting_periods": SyncMode.FULL_REFRESH,
    "voucher_types": SyncMode.FULL_REFRESH,
    "payment_terms": SyncMode.FULL_REFRESH,
}


def test_every_table_with_its_mode() -> None:
    assert {name: t.mode for name, t in TABLES.items()} == EXPECTED_TABLES


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_columns_are_lower_snake_case_and_described(table) -> None:
    for col in table.columns:
        assert col.name == snake(col.name), col.name
        assert col.description
    if table.partition_column:
        assert table.column(table.partition_column).type == "DATE"


def test_sources_fetch_what_their_mode_needs() -> None:
    for source in SOURCES:
        if source.mode is SyncMode.PARTITIONED:
            assert source.fetch_window is not None, source.name
        else:
            assert source.fetch_all is not None, source.name


def test_column_helper_derives_name_path_and_type() -> None:
    col = c("SalesInvoiceAmount@iso4217currencycode")
    assert (col.name, col.source, col.type) == (
        "sales_invoice_amount_iso4217currencycode",
        "salesinvoiceamount_iso4217currencycode",
        "STRING",
    )
    assert c("CustomerBaseInformation/NetvisorKey").source == "customerbaseinformation.netvisorkey"
    assert c("LineSum").type == "NUMERIC"
    assert c("VoucherDate").type == "DATE"
    assert record_path("@status") == "status"


def test_voucher_rows_carry_header_key_and_date() -> None:
    record = {
        "status": "valid",
        "netvisorkey": 7,
        "voucherdate": dt.date(2025, 3, 1),
        "vouchernumber": 12,
        "voucherline": [
            {
                "netvisorkey": 70,
                "linesum": Decimal("10.00"),
                "accountnumber": "1910",
                "dimension": [{"dimensionname": "Projekti", "dimensionitem": "P1"}],
            },
            {"netvisorkey": 71, "linesum": Decimal("-10.00"), "accountnumber": "3000"},
        ],
    }
    rows = VOUCHER_SOURCE.to_rows([record])
    assert rows["vouchers"][0]["voucher_key"] == 7
    lines = rows["voucher_lines"]
    assert [(r["voucher_key"], r["voucher_date"], r["line_position"]) for r in lines] == [
        (7, dt.date(2025, 3, 1), 1),
        (7, dt.date(2025, 3, 1), 2),
    ]
    assert sum(r["line_sum"] for r in lines) == 0
    assert lines[0]["dimensions"] == '[{"dimensionitem": "P1", "dimensionname": "Projekti"}]'
    assert lines[1]["dimensions"] is None


def test_month_windows_cover_range_without_gaps() -> None:
    windows = month_windows(dt.date(2024, 1, 15), dt.date(2024, 4, 2), 31)
    assert windows == [
        (dt.date(2024, 1, 15), dt.date(2024, 1, 31)),
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        (dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
        (dt.date(2024, 4, 1), dt.date(2024, 4, 2)),
    ]
    assert month_windows(dt.date(2024, 1, 1), dt.date(2024, 1, 31), 7)[-1] == (
        dt.date(2024, 1, 29),
        dt.date(2024, 1, 31),
    )


def test_readme_table_reference_is_generated_from_registry() -> None:
    text = README.read_text(encoding="utf-8")
    assert render_table_reference() in text, (
        "README table reference is stale: run python -m netvisor_assets.tables.docs"
    )
