"""Registry contract: one consistent entry per table, parsers follow it, README in step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from netvisor_assets.netvisor.fields import field_type
from netvisor_assets.netvisor.paging import month_windows
from netvisor_assets.tables import SOURCES, TABLES, SyncMode
from netvisor_assets.tables.columns import c, record_path, snake
from netvisor_assets.tables.docs import README, render_table_reference
from netvisor_assets.tables.ledger import VOUCHER_SOURCE


def test_every_table_has_the_mode_of_its_source() -> None:
    """A source's tables sync together, so they share its mode; a partitioned table names its
    partition column and nothing else does (no table list to keep in step here)."""
    for source in SOURCES:
        for table in source.tables:
            assert table.mode is source.mode, table.name
            partitioned = table.mode is SyncMode.PARTITIONED
            assert (table.partition_column is not None) == partitioned, table.name


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_columns_are_lower_snake_case_and_described(table) -> None:
    for col in table.columns:
        assert col.name == snake(col.name), col.name
        assert col.description
    if table.partition_column:
        assert table.column(table.partition_column).type == "DATE"


def test_sources_fetch_what_their_mode_needs() -> None:
    """A partitioned source's list takes a date window, a merged one a change filter, and a
    detail resource takes a key list: the declarations can serve their sync mode."""
    for source in SOURCES:
        endpoint = source.endpoint
        if source.mode is SyncMode.PARTITIONED:
            assert endpoint.list.window is not None, source.name
        if source.mode is SyncMode.MERGE:
            assert source.has_change_filter, source.name
        if endpoint.detail is not None:
            assert endpoint.detail.keys is not None, source.name


def test_column_helper_derives_name_and_path_and_the_parser_reads_its_type() -> None:
    col = c("SalesInvoiceAmount@iso4217currencycode")
    assert (col.name, col.source, col.type) == (
        "sales_invoice_amount_iso4217currencycode",
        "salesinvoiceamount_iso4217currencycode",
        "STRING",
    )
    assert c("CustomerBaseInformation/NetvisorKey").source == "customerbaseinformation.netvisorkey"
    # A column's declared type is what the parser coerces its element to.
    assert c("LineSum", type="NUMERIC").type == "NUMERIC"
    assert (field_type("linesum"), field_type("voucherdate")) == ("decimal", "date")
    for table in TABLES.values():
        for col in table.columns:
            if col.source is not None and col.type not in ("STRING", "JSON"):
                assert field_type(col.source.rsplit(".", 1)[-1]) != "str", (table.name, col.name)
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
