"""The warehouse contract, run unchanged against both backends.

Contract under test (netvisor_assets/warehouse/base.py): tables are created from registry
types; `replace_window` atomically replaces exactly [start, end) and is idempotent; a failure
after the DELETE leaves the previous content; `merge` keeps one row per key; schema evolution
adds new columns and keeps history, while `replace_all` makes the table exactly the frame;
NUMERIC is exact to 9 dp and 29 integer digits and refuses what it cannot store; values never
reach SQL text. DuckDB runs on a temporary file; BigQuery runs the real client against
local-bigquery (marked `bigquery`, emulator started once per session).
"""

import datetime as dt
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
import pytest

from netvisor_assets.tables.schema import Column, SyncMode, Table
from netvisor_assets.warehouse import (
    BigQueryWarehouseIOManager,
    DuckDBWarehouseIOManager,
    FrameError,
    SchemaConflictError,
    Warehouse,
    WarehouseError,
    WarehouseSettingsError,
    warehouse_from_env,
)
from netvisor_assets.warehouse.base import ROWS_COLUMN, STAGING_PREFIX, Target

UTC = dt.UTC
D1, D2, D3, D4 = (dt.date(2025, 3, d) for d in (1, 2, 3, 4))
SYNCED_AT = dt.datetime(2025, 3, 5, 6, 0, tzinfo=UTC)

LEDGER = Table(
    name="ledger",
    description="Voucher lines (test table).",
    primary_key=("voucher_key", "line_no"),
    mode=SyncMode.PARTITIONED,
    partition_column="voucher_date",
    columns=(
        Column("voucher_key", "INT64", "Voucher key."),
        Column("line_no", "INT64", "Line number."),
        Column("voucher_date", "DATE", "Voucher date."),
        Column("amount", "NUMERIC", "Line amount."),
        Column("account", "STRING", "Account number."),
        Column("description", "STRING", "Free text.", personal=True),
        Column("approved", "BOOL", "Approved."),
        Column("modified_at", "TIMESTAMP", "Last change."),
    ),
)
CUSTOMERS = Table(
    name="customers",
    description="Customers (test table).",
    primary_key=("netvisorkey",),
    mode=SyncMode.MERGE,
    columns=(
        Column("netvisorkey", "INT64", "Key."),
        Column("name", "STRING", "Name.", personal=True),
        Column("credit_limit", "NUMERIC", "Credit limit."),
        Column("email", "STRING", "Email.", personal=True),
    ),
)
ACCOUNTS = Table(
    name="accounts",
    description="Chart of accounts (test table).",
    primary_key=("number",),
    mode=SyncMode.FULL_REFRESH,
    columns=(
        Column("number", "STRING", "Account number."),
        Column("name", "STRING", "Account name."),
        Column("opening_balance", "NUMERIC", "Opening balance."),
    ),
)
HEADS = Table(
    name="heads",
    description="Voucher headers (test table).",
    primary_key=("voucher_key",),
    mode=SyncMode.PARTITIONED,
    partition_column="voucher_date",
    columns=(
        Column("voucher_key", "INT64", "Voucher key."),
        Column("voucher_date", "DATE", "Voucher date."),
        Column("status", "STRING", "Status."),
    ),
)
TEST_TABLES = {t.name: t for t in (LEDGER, CUSTOMERS, ACCOUNTS, HEADS)}


def get_test_table(name: str) -> Table:
    """The IO managers' `table_registry` for these tests."""
    return TEST_TABLES[name]


def frame(table: Table, rows: Sequence[dict[str, Any]], run_id: str = "run-1") -> pd.DataFrame:
    """Rows as the assets hand them over: data columns plus `_synced_at` and `_run_id`."""
    data = pd.DataFrame(list(rows), columns=list(table.column_names), dtype=object)
    data["_synced_at"] = pd.Series([SYNCED_AT] * len(data), dtype="datetime64[ns, UTC]")
    data["_run_id"] = run_id
    return data


def line(key: int, day: dt.date, amount: str, line_no: int = 1, **extra: Any) -> dict[str, Any]:
    row = {
        "voucher_key": key,
        "line_no": line_no,
        "voucher_date": day,
        "amount": Decimal(amount),
        "account": "3000",
        "description": f"voucher {key}",
        "approved": True,
        "modified_at": dt.datetime(2025, 3, 4, 12, 30, tzinfo=ZoneInfo("Europe/Helsinki")),
    }
    row.update(extra)
    return row


def narrow(table: Table, rows: list[dict[str, Any]]) -> tuple[Table, pd.DataFrame]:
    narrowed = table.with_columns(rows[0].keys())
    return narrowed, frame(narrowed, rows)


def content(warehouse: Warehouse, table: str, order: Sequence[str]) -> list[dict[str, Any]]:
    """Stored rows without the system columns, sorted, as plain Python values."""
    data = warehouse.read(table).drop(columns=["_synced_at", "_run_id"])
    data = data.sort_values(list(order)).reset_index(drop=True)
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in data.to_dict("records")]


@pytest.fixture(params=["duckdb", pytest.param("bigquery", marks=pytest.mark.bigquery)])
def warehouse(request: pytest.FixtureRequest) -> Warehouse:
    return request.getfixturevalue(f"{request.param}_warehouse")


LEDGER_ORDER = ("voucher_date", "voucher_key", "line_no")
THREE_DAYS = [line(1, D1, "10.00"), line(2, D2, "20.00"), line(3, D3, "30.00")]


# -- creation and window replacement -------------------------------------------------------


def test_creates_table_with_registry_types(warehouse: Warehouse) -> None:
    assert warehouse.table_columns("ledger") is None
    result = warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    assert result.table_created and result.rows_written == 3
    assert warehouse.table_columns("ledger") == {c.name: c.type for c in LEDGER.all_columns}


def test_replace_window_touches_only_the_window(warehouse: Warehouse) -> None:
    warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    new_day_two = [line(4, D2, "40.00"), line(5, D2, "50.00")]
    result = warehouse.replace_window(LEDGER, frame(LEDGER, new_day_two, "run-2"), D2, D3)
    assert (result.window_start, result.window_end) == (D2, D3)
    rows = content(warehouse, "ledger", LEDGER_ORDER)
    assert [(r["voucher_key"], r["voucher_date"]) for r in rows] == [
        (1, D1),
        (4, D2),
        (5, D2),
        (3, D3),
    ]


def test_rerun_gives_identical_content(warehouse: Warehouse) -> None:
    data = frame(LEDGER, THREE_DAYS)
    warehouse.replace_window(LEDGER, data, D1, D4)
    first = warehouse.read("ledger")
    warehouse.replace_window(LEDGER, data, D1, D4)
    second = warehouse.read("ledger")
    order = list(LEDGER_ORDER)
    pd.testing.assert_frame_equal(
        first.sort_values(order).reset_index(drop=True),
        second.sort_values(order).reset_index(drop=True),
    )
    assert len(second) == 3


def test_empty_frame_empties_the_window(warehouse: Warehouse) -> None:
    warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    warehouse.replace_window(LEDGER, frame(LEDGER, []), D2, D3)
    assert [r["voucher_key"] for r in content(warehouse, "ledger", LEDGER_ORDER)] == [1, 3]


def test_rows_outside_the_window_are_refused(warehouse: Warehouse) -> None:
    with pytest.raises(FrameError, match="outside the window"):
        warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D3)
    assert warehouse.table_columns("ledger") is None


def test_failure_after_the_delete_keeps_previous_content(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    before = content(warehouse, "ledger", LEDGER_ORDER)
    original = type(warehouse)._insert_select  # type: ignore[attr-defined]

    def failing_insert(self: Warehouse, *args: Any) -> str:
        # Runs after the DELETE in the same transaction; ERROR() fails every row.
        return original(self, *args) + " WHERE ERROR('injected failure after delete') IS NULL"

    monkeypatch.setattr(type(warehouse), "_insert_select", failing_insert)
    with pytest.raises(Exception, match="injected failure after delete"):
        warehouse.replace_window(LEDGER, frame(LEDGER, [line(9, D2, "99.00")]), D1, D4)
    monkeypatch.undo()
    assert content(warehouse, "ledger", LEDGER_ORDER) == before
    # The warehouse stays usable (DuckDB: the aborted transaction was rolled back) and no
    # staging table is left behind.
    warehouse.replace_window(LEDGER, frame(LEDGER, [line(9, D2, "99.00")]), D2, D3)
    assert [r["voucher_key"] for r in content(warehouse, "ledger", LEDGER_ORDER)] == [1, 9, 3]
    assert not [n for n in warehouse.drop_all() if n.startswith(STAGING_PREFIX)]


def test_invalid_frame_writes_nothing(warehouse: Warehouse) -> None:
    warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    before = content(warehouse, "ledger", LEDGER_ORDER)
    bad = [line(7, D1, "1.00"), line(8, D2, "1.123456789012")]
    with pytest.raises(FrameError):
        warehouse.replace_window(LEDGER, frame(LEDGER, bad), D1, D4)
    assert content(warehouse, "ledger", LEDGER_ORDER) == before


# -- multi-table loads ---------------------------------------------------------------------


def head(key: int, day: dt.date, status: str = "valid") -> dict[str, Any]:
    return {"voucher_key": key, "voucher_date": day, "status": status}


def _targets() -> list[Target]:
    return [Target(HEADS, "window", (D1, D4)), Target(LEDGER, "window", (D1, D4))]


def test_load_commits_every_table_and_window_together(warehouse: Warehouse) -> None:
    warehouse.replace_window(HEADS, frame(HEADS, [head(1, D1, "old")]), D1, D4)
    with warehouse.load(_targets(), labels={"dagster_run_id": "run-2"}) as load:
        # Window by window, as a long range is streamed: nothing is visible until commit.
        for day, key in ((D1, 1), (D2, 2), (D3, 3)):
            load.append("heads", frame(HEADS, [head(key, day)], run_id="run-2"))
            load.append("ledger", frame(LEDGER, [line(key, day, "5.00")], run_id="run-2"))
        assert content(warehouse, "heads", ["voucher_key"]) == [head(1, D1, "old")]
        assert warehouse.table_columns("ledger") is None
        results = load.commit()
    assert {n: r.rows_written for n, r in results.items()} == {"heads": 3, "ledger": 3}
    assert [r["status"] for r in content(warehouse, "heads", ["voucher_key"])] == ["valid"] * 3
    assert len(content(warehouse, "ledger", LEDGER_ORDER)) == 3
    assert not [n for n in warehouse.drop_all() if n.startswith(STAGING_PREFIX)]


@pytest.mark.parametrize("failure", ["bad_lines", "error_mid_range", "failing_commit"])
def test_a_failed_load_leaves_every_table_as_it_was(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    warehouse.replace_window(HEADS, frame(HEADS, [head(1, D1, "old")]), D1, D4)
    warehouse.replace_window(LEDGER, frame(LEDGER, [line(1, D1, "1.00")]), D1, D4)
    before = (
        content(warehouse, "heads", ["voucher_key"]),
        content(warehouse, "ledger", LEDGER_ORDER),
    )
    if failure == "failing_commit":
        original = type(warehouse)._insert_select  # type: ignore[attr-defined]

        def failing_insert(self: Warehouse, *args: Any) -> str:
            sql = original(self, *args)
            # The lines' INSERT runs after the headers were replaced, in the same transaction.
            return sql + (" WHERE ERROR('injected failure') IS NULL" if "ledger" in sql else "")

        monkeypatch.setattr(type(warehouse), "_insert_select", failing_insert)
    with (
        pytest.raises(Exception, match="injected|decimal places|midway"),
        warehouse.load(_targets()) as load,
    ):
        load.append("heads", frame(HEADS, [head(2, D2)]))
        if failure == "bad_lines":
            load.append("ledger", frame(LEDGER, [line(2, D2, "1.123456789012")]))
        elif failure == "error_mid_range":
            load.append("ledger", frame(LEDGER, [line(2, D2, "2.00")]))
            raise RuntimeError("fetch failed midway through the range")
        else:
            load.append("ledger", frame(LEDGER, [line(2, D2, "2.00")]))
        load.commit()
    monkeypatch.undo()
    after = (
        content(warehouse, "heads", ["voucher_key"]),
        content(warehouse, "ledger", LEDGER_ORDER),
    )
    assert after == before
    assert not [n for n in warehouse.drop_all() if n.startswith(STAGING_PREFIX)]


def test_full_refresh_load_keeps_table_and_column_descriptions(warehouse: Warehouse) -> None:
    warehouse.replace_all(
        ACCOUNTS, frame(ACCOUNTS, [{"number": "1", "name": "a", "opening_balance": None}])
    )
    warehouse.replace_all(
        ACCOUNTS, frame(ACCOUNTS, [{"number": "2", "name": "b", "opening_balance": None}])
    )
    if warehouse.kind == "bigquery":
        with warehouse._client() as client:  # type: ignore[attr-defined]
            stored = client.get_table(warehouse._table_id(client, "accounts"))  # type: ignore[attr-defined]
        assert stored.description == ACCOUNTS.description
        assert {f.name: f.description for f in stored.schema}["name"] == "Account name."
    assert content(warehouse, "accounts", ["number"]) == [
        {"number": "2", "name": "b", "opening_balance": None}
    ]


# -- merge ---------------------------------------------------------------------------------


def customer(key: int, name: str, limit: str = "1000.00", email: str | None = None) -> dict:
    return {"netvisorkey": key, "name": name, "credit_limit": Decimal(limit), "email": email}


def test_merge_leaves_one_row_per_key(warehouse: Warehouse) -> None:
    warehouse.merge(CUSTOMERS, frame(CUSTOMERS, [customer(1, "Oy A"), customer(2, "Oy B")]))
    update = [customer(2, "Oy B Ab", "2500.50"), customer(3, "Oy C")]
    warehouse.merge(CUSTOMERS, frame(CUSTOMERS, update, "run-2"))
    warehouse.merge(CUSTOMERS, frame(CUSTOMERS, update, "run-2"))
    rows = content(warehouse, "customers", ["netvisorkey"])
    assert [(r["netvisorkey"], r["name"], r["credit_limit"]) for r in rows] == [
        (1, "Oy A", Decimal("1000.00")),
        (2, "Oy B Ab", Decimal("2500.50")),
        (3, "Oy C", Decimal("1000.00")),
    ]


def test_duplicate_keys_identical_collapse_conflicting_fail(warehouse: Warehouse) -> None:
    same = [customer(1, "Oy A"), customer(1, "Oy A")]
    warehouse.merge(CUSTOMERS, frame(CUSTOMERS, same))
    assert len(warehouse.read("customers")) == 1
    clash = [customer(2, "Oy B"), customer(2, "Oy B Ab")]
    with pytest.raises(FrameError, match="share a primary key"):
        warehouse.merge(CUSTOMERS, frame(CUSTOMERS, clash))
    assert len(warehouse.read("customers")) == 1


def test_group_counts_count_rows_per_value_in_the_warehouse(warehouse: Warehouse) -> None:
    rows = [line(1, D1, "1.00"), line(1, D1, "2.00", 2), line(2, D2, "3.00"), line(3, D2, "4.00")]
    warehouse.replace_window(LEDGER, frame(LEDGER, rows), D1, D4)
    days = warehouse.group_counts("ledger", ["voucher_date"])
    assert sorted(zip(days["voucher_date"], days[ROWS_COLUMN], strict=True)) == [(D1, 2), (D2, 2)]
    where = "voucher_date >= @first"
    keys = warehouse.group_counts("ledger", ["voucher_key"], where, {"first": D2})
    assert sorted(keys["voucher_key"]) == [2, 3]
    repeated = warehouse.group_counts("ledger", ["voucher_key"], more_than=1)
    assert repeated.to_dict("records") == [{"voucher_key": 1, ROWS_COLUMN: 2}]
    with pytest.raises(WarehouseError):
        warehouse.group_counts("ledger", ["no_such_column"])


def test_delete_keys(warehouse: Warehouse) -> None:
    warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    result = warehouse.delete_keys(LEDGER, [(2, 1), (3, 1), (404, 1)])
    assert result.rows_deleted in (2, None)
    assert [r["voucher_key"] for r in content(warehouse, "ledger", LEDGER_ORDER)] == [1]


def test_drop_table_drops_only_that_table(warehouse: Warehouse) -> None:
    warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    assert warehouse.drop_table("ledger") is True
    assert warehouse.table_columns("ledger") is None
    assert warehouse.drop_table("ledger") is False


# -- schema evolution ----------------------------------------------------------------------


def test_new_column_is_added_and_history_stays(warehouse: Warehouse) -> None:
    base_cols = ["voucher_key", "line_no", "voucher_date", "amount"]
    rows_day1 = [{k: v for k, v in line(1, D1, "10.00").items() if k in base_cols}]
    table, data = narrow(LEDGER, rows_day1)
    warehouse.replace_window(table, data, D1, D2)
    assert set(warehouse.table_columns("ledger") or {}) == {*base_cols, "_synced_at", "_run_id"}

    rows_day2 = [{**rows_day1[0], "voucher_key": 2, "voucher_date": D2, "account": "4000"}]
    table, data = narrow(LEDGER, rows_day2)
    result = warehouse.replace_window(table, data, D2, D3)
    assert result.columns_added == ("account",)

    # The column leaves the selection again: it stays, NULL in new rows.
    rows_day3 = [{**rows_day1[0], "voucher_key": 3, "voucher_date": D3}]
    table, data = narrow(LEDGER, rows_day3)
    warehouse.replace_window(table, data, D3, D4)
    assert "account" in (warehouse.table_columns("ledger") or {})
    rows = content(warehouse, "ledger", LEDGER_ORDER)
    assert [(r["voucher_key"], r["account"]) for r in rows] == [(1, None), (2, "4000"), (3, None)]


def test_merge_adds_columns_and_keeps_unselected_values(warehouse: Warehouse) -> None:
    table, data = narrow(CUSTOMERS, [customer(1, "Oy A", email="a@example.fi")])
    warehouse.merge(table, data)
    table, data = narrow(CUSTOMERS, [{"netvisorkey": 2, "name": "Oy B"}])
    warehouse.merge(table, data)
    rows = content(warehouse, "customers", ["netvisorkey"])
    assert [(r["netvisorkey"], r["email"]) for r in rows] == [(1, "a@example.fi"), (2, None)]


def test_full_refresh_drops_a_vanished_column(warehouse: Warehouse) -> None:
    rows = [{"number": "1000", "name": "Kassa", "opening_balance": Decimal("5.00")}]
    warehouse.replace_all(ACCOUNTS, frame(ACCOUNTS, rows))
    table, data = narrow(ACCOUNTS, [{"number": "1910", "name": "Pankki"}])
    result = warehouse.replace_all(table, data)
    assert not result.table_created
    assert warehouse.table_columns("accounts") == {
        "number": "STRING",
        "name": "STRING",
        "_synced_at": "TIMESTAMP",
        "_run_id": "STRING",
    }
    assert content(warehouse, "accounts", ["number"]) == [{"number": "1910", "name": "Pankki"}]


def test_type_conflict_is_refused(warehouse: Warehouse) -> None:
    warehouse.replace_all(ACCOUNTS, frame(ACCOUNTS, []))
    retyped = Table(
        name="accounts",
        description="",
        primary_key=("number",),
        mode=SyncMode.MERGE,
        columns=(Column("number", "INT64", ""), Column("name", "STRING", "")),
    )
    with pytest.raises(SchemaConflictError, match="column number"):
        warehouse.merge(retyped, frame(retyped, [{"number": 1, "name": "x"}]))


# -- exact values ----------------------------------------------------------------------------

EXACT_AMOUNTS = [
    "0.01",
    "-1234.56",
    "0.123456789",
    "-0.000000001",
    "12345678901234567890123456789.123456789",
    "-99999999999999999999999999999.999999999",
]


def test_decimals_round_trip_exactly(warehouse: Warehouse) -> None:
    rows = [line(i, D1, amount, line_no=i) for i, amount in enumerate(EXACT_AMOUNTS)]
    warehouse.replace_window(LEDGER, frame(LEDGER, rows), D1, D2)
    stored = warehouse.read("ledger", columns=["line_no", "amount"]).sort_values("line_no")
    assert stored["amount"].dtype == object
    assert all(type(v) is Decimal for v in stored["amount"])
    assert stored["amount"].tolist() == [Decimal(a) for a in EXACT_AMOUNTS]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0.123456789012"), "more than 9 decimal places"),
        (Decimal("123456789012345678901234567890"), "integer digits"),
        (0.1, "float"),
        (Decimal("NaN"), "not a finite amount"),
        ("12.50", "str"),
    ],
)
def test_unstorable_amounts_fail_loudly(warehouse: Warehouse, amount: Any, message: str) -> None:
    rows = [line(1, D1, "1.00"), {**line(2, D1, "1.00"), "amount": amount}]
    with pytest.raises(FrameError, match=message) as info:
        warehouse.replace_window(LEDGER, frame(LEDGER, rows), D1, D2)
    assert "table ledger, column amount" in str(info.value)
    assert warehouse.table_columns("ledger") is None


def test_trailing_zeros_beyond_scale_are_not_a_loss(warehouse: Warehouse) -> None:
    rows = [line(1, D1, "1.500000000000")]
    warehouse.replace_window(LEDGER, frame(LEDGER, rows), D1, D2)
    assert warehouse.read("ledger", columns=["amount"])["amount"].tolist() == [Decimal("1.5")]


def test_types_round_trip(warehouse: Warehouse) -> None:
    helsinki_noon = dt.datetime(2025, 3, 4, 12, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
    rows = [
        line(1, D1, "1.00", approved=False, modified_at=helsinki_noon),
        line(2, D1, "2.00", approved=None, modified_at=None, description=None),
    ]
    warehouse.replace_window(LEDGER, frame(LEDGER, rows), D1, D2)
    data = warehouse.read("ledger").sort_values("voucher_key").reset_index(drop=True)
    assert data["voucher_key"].dtype == "Int64"
    assert data["approved"].dtype == "boolean"
    assert type(data["voucher_date"][0]) is dt.date
    assert str(data["modified_at"].dt.tz) == "UTC"
    assert data["modified_at"][0] == pd.Timestamp("2025-03-04 10:00", tz="UTC")
    assert pd.isna(data["modified_at"][1]) and pd.isna(data["approved"][1])
    assert data["_synced_at"][0] == pd.Timestamp(SYNCED_AT)
    assert data["_run_id"].tolist() == ["run-1", "run-1"]


def test_naive_timestamps_are_refused(warehouse: Warehouse) -> None:
    rows = [line(1, D1, "1.00", modified_at=dt.datetime(2025, 3, 4, 12, 0))]
    with pytest.raises(FrameError, match="naive timestamp"):
        warehouse.replace_window(LEDGER, frame(LEDGER, rows), D1, D2)


# -- injection and identifiers ---------------------------------------------------------------

HOSTILE = [
    "'); DROP TABLE ledger; --",
    'x" OR "1"="1',
    "`; DELETE FROM ledger WHERE TRUE; --",
    "@window_start $1 ? \\' ;",
    "Åke Öberg – €",
]


def test_values_never_become_sql(warehouse: Warehouse) -> None:
    rows = [line(i, D1, "1.00", line_no=i, description=text) for i, text in enumerate(HOSTILE)]
    warehouse.replace_window(LEDGER, frame(LEDGER, rows), D1, D2)
    warehouse.merge(CUSTOMERS, frame(CUSTOMERS, [customer(1, HOSTILE[0], email=HOSTILE[2])]))
    stored = warehouse.read("ledger").sort_values("line_no")
    assert stored["description"].tolist() == HOSTILE
    found = warehouse.read(
        "ledger", columns=["line_no"], where="description = @text", params={"text": HOSTILE[0]}
    )
    assert found["line_no"].tolist() == [0]
    assert content(warehouse, "customers", ["netvisorkey"])[0]["name"] == HOSTILE[0]


@pytest.mark.parametrize("name", ["Ledger", "ledger; DROP TABLE x", "a-b", "", "1abc", "l`x"])
def test_unsafe_identifiers_are_refused(warehouse: Warehouse, name: str) -> None:
    with pytest.raises(WarehouseError, match="invalid"):
        warehouse.read(name)


def test_missing_table_and_drop_all(warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="does not exist"):
        warehouse.read("ledger")
    warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    warehouse.merge(CUSTOMERS, frame(CUSTOMERS, [customer(1, "Oy A")]))
    assert warehouse.drop_all() == ["customers", "ledger"]
    assert warehouse.table_columns("ledger") is None
    assert warehouse.table_columns("customers") is None
    assert warehouse.drop_all() == []


def test_duckdb_waits_for_a_lock_held_by_another_process(duckdb_warehouse: Warehouse) -> None:
    path = duckdb_warehouse.path  # type: ignore[attr-defined]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(path)!r})\n"
            "print('locked', flush=True)\n"
            "time.sleep(1.5)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        # Another Dagster step holds the file: the write waits instead of failing the step.
        duckdb_warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    finally:
        holder.wait(timeout=30)
    assert len(duckdb_warehouse.read("ledger")) == 3


# -- IO managers ----------------------------------------------------------------------------

PARTITIONS = dg.DailyPartitionsDefinition(start_date="2025-03-01", timezone="Europe/Helsinki")


@pytest.fixture(params=["duckdb", pytest.param("bigquery", marks=pytest.mark.bigquery)])
def io_setup(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Iterator[tuple[dg.ConfigurableIOManager, Warehouse]]:
    registry = f"{__name__}:get_test_table"
    if request.param == "duckdb":
        manager: dg.ConfigurableIOManager = DuckDBWarehouseIOManager(
            path=str(tmp_path / "io.duckdb"), table_registry=registry
        )
    else:
        from dagster_gcp import BigQueryResource

        emulator = request.getfixturevalue("bigquery_emulator")
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", emulator.url)
        manager = BigQueryWarehouseIOManager(
            bigquery=BigQueryResource(project=emulator.project),
            dataset=f"io_{uuid.uuid4().hex[:12]}",
            table_registry=registry,
        )
    yield manager, manager.warehouse()  # type: ignore[attr-defined]
    manager.warehouse().drop_all()  # type: ignore[attr-defined]


def test_io_manager_replaces_ranged_partitions_and_loads_them(
    io_setup: tuple[dg.ConfigurableIOManager, Warehouse],
) -> None:
    manager, warehouse = io_setup

    @dg.asset(key=["netvisor", "ledger"], partitions_def=PARTITIONS)
    def ledger(context: dg.AssetExecutionContext) -> pd.DataFrame:
        start = context.partition_time_window.start.date()
        keys = range(start.day, context.partition_time_window.end.day)
        # Column selection: the asset returns a subset and no system columns.
        return pd.DataFrame(
            {
                "voucher_key": list(keys),
                "line_no": [1] * len(keys),
                "voucher_date": [dt.date(2025, 3, d) for d in keys],
                "amount": [Decimal(f"{d}.05") for d in keys],
            }
        )

    @dg.asset(
        key=["netvisor", "ledger_total"],
        deps=[],
        partitions_def=PARTITIONS,
        ins={"ledger": dg.AssetIn(key=["netvisor", "ledger"])},
        io_manager_key="mem",
    )
    def ledger_total(ledger: pd.DataFrame) -> Decimal:
        return sum(ledger["amount"], Decimal(0))

    resources = {"io_manager": manager, "mem": dg.InMemoryIOManager()}
    result = dg.materialize(
        [ledger, ledger_total],
        resources=resources,
        tags={
            "dagster/asset_partition_range_start": "2025-03-01",
            "dagster/asset_partition_range_end": "2025-03-03",
        },
        selection=[ledger],
    )
    assert result.success
    # One materialization per partition of the range, all from the one atomic write.
    materializations = result.asset_materializations_for_node("netvisor__ledger")
    assert [m.partition for m in materializations] == ["2025-03-01", "2025-03-02", "2025-03-03"]
    metadata = materializations[0].metadata
    assert metadata["warehouse/rows_written"].value == 3
    assert metadata["warehouse/window"].value == "[2025-03-01, 2025-03-04)"
    assert metadata["warehouse/table"].value == "ledger"
    stored = warehouse.read("ledger").sort_values("voucher_key")
    assert stored["amount"].tolist() == [Decimal("1.05"), Decimal("2.05"), Decimal("3.05")]
    assert stored["_run_id"].unique().tolist() == [result.run_id]

    # One partition of the range again: only that day is replaced; the input is the window.
    result = dg.materialize([ledger, ledger_total], resources=resources, partition_key="2025-03-02")
    assert result.success
    assert result.output_for_node("netvisor__ledger_total") == Decimal("2.05")
    assert len(warehouse.read("ledger")) == 3


def test_io_manager_merge_and_full_refresh(
    io_setup: tuple[dg.ConfigurableIOManager, Warehouse],
) -> None:
    manager, warehouse = io_setup

    @dg.asset(key=["netvisor", "customers"])
    def customers() -> pd.DataFrame:
        return frame(CUSTOMERS, [customer(1, "Oy A"), customer(2, "Oy B")])

    @dg.asset(key=["netvisor", "accounts"])
    def accounts() -> pd.DataFrame:
        return pd.DataFrame({"number": ["1000"], "name": ["Kassa"]})

    for _ in range(2):
        assert dg.materialize([customers, accounts], resources={"io_manager": manager}).success
    assert len(warehouse.read("customers")) == 2
    assert set(warehouse.table_columns("accounts") or {}) == {
        "number",
        "name",
        "_synced_at",
        "_run_id",
    }


def test_io_manager_refuses_unpartitioned_run_of_partitioned_table(tmp_path: Any) -> None:
    manager = DuckDBWarehouseIOManager(
        path=str(tmp_path / "x.duckdb"), table_registry=f"{__name__}:get_test_table"
    )

    @dg.asset(key=["netvisor", "ledger"])
    def ledger() -> pd.DataFrame:
        return frame(LEDGER, THREE_DAYS)

    with pytest.raises(WarehouseError, match="materialize it with a partition"):
        dg.materialize([ledger], resources={"io_manager": manager})


# -- settings --------------------------------------------------------------------------------


def test_warehouse_from_env(tmp_path: Any) -> None:
    local = warehouse_from_env({"NETVISOR_DUCKDB_PATH": str(tmp_path / "w.duckdb")})
    assert local.kind == "duckdb"
    assert warehouse_from_env({"DAGSTER_HOME": str(tmp_path)}).path == tmp_path / "warehouse.duckdb"  # type: ignore[attr-defined]
    remote = warehouse_from_env({"NETVISOR_WAREHOUSE": "BigQuery", "BIGQUERY_DATASET": "nv"})
    assert remote.kind == "bigquery" and remote.dataset == "nv"  # type: ignore[attr-defined]
    with pytest.raises(WarehouseSettingsError) as info:
        warehouse_from_env({"NETVISOR_WAREHOUSE": "snowflake"})
    assert str(info.value).splitlines()[1] == (
        "NETVISOR_WAREHOUSE: 'snowflake' must be duckdb or bigquery"
    )


# -- BigQuery with a least-privilege account ---------------------------------------------------


@pytest.mark.bigquery
def test_bigquery_least_privilege_account_never_creates_an_existing_dataset(
    bigquery_emulator: Any,
) -> None:
    """Data Editor on the dataset + Job User may not create datasets: a sync must not ask."""
    import contextlib

    from google.api_core import exceptions as gexc

    from netvisor_assets.warehouse.bigquery import BigQueryWarehouse, emulator_client

    dataset = f"lp_{uuid.uuid4().hex[:10]}"
    created: list[Any] = []
    labels: list[dict[str, str]] = []

    @contextlib.contextmanager
    def factory() -> Iterator[Any]:
        with emulator_client(bigquery_emulator.url, bigquery_emulator.project) as client:
            real_query = client.query

            def refuse(ds: Any, *a: Any, **k: Any) -> Any:
                created.append(ds)
                if allow_create:
                    return type(client).create_dataset(client, ds, *a, **k)
                raise gexc.Forbidden("Access Denied: bigquery.datasets.create")

            def query(sql: str, *a: Any, job_config: Any = None, **k: Any) -> Any:
                if job_config is not None:
                    labels.append(dict(job_config.labels or {}))
                return real_query(sql, *a, job_config=job_config, **k)

            client.create_dataset = refuse  # type: ignore[method-assign]
            client.query = query  # type: ignore[method-assign]
            yield client

    allow_create = True
    first = BigQueryWarehouse(factory, dataset=dataset)
    first.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    assert len(created) == 1 and created[0].location == "EU"

    allow_create = False
    warehouse = BigQueryWarehouse(factory, dataset=dataset)
    with warehouse.load(
        [Target(LEDGER, "window", (D1, D4))], labels={"dagster_run_id": "Run-ABC.1"}
    ) as load:
        load.append("ledger", frame(LEDGER, THREE_DAYS[:2]))
        load.commit()
    warehouse.merge(CUSTOMERS, frame(CUSTOMERS, [customer(1, "Oy A")]))
    assert len(created) == 1  # never asked again
    assert {"dagster_run_id": "run-abc_1", "netvisor_table": "ledger"} in labels
    assert len(content(warehouse, "ledger", LEDGER_ORDER)) == 2
    warehouse.drop_all()


def test_duckdb_reads_share_the_file_with_a_read_only_bi_tool(
    duckdb_warehouse: Warehouse,
) -> None:
    """A BI tool holding the file read-only does not stop our reads (they are read-only)."""
    duckdb_warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    path = duckdb_warehouse.path  # type: ignore[attr-defined]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, time\n"
            f"con = duckdb.connect({str(path)!r}, read_only=True)\n"
            "print(con.execute('select count(*) from netvisor.ledger').fetchone()[0], flush=True)\n"
            "time.sleep(3)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "3"
        started = dt.datetime.now()
        assert len(duckdb_warehouse.read("ledger")) == 3
        assert (dt.datetime.now() - started).total_seconds() < 2
    finally:
        holder.wait(timeout=30)


def test_duckdb_write_blocked_by_a_bi_tool_names_the_holder(
    duckdb_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    duckdb_warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS), D1, D4)
    path = duckdb_warehouse.path  # type: ignore[attr-defined]
    monkeypatch.setenv("NETVISOR_DUCKDB_LOCK_WAIT_SECONDS", "0.5")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, time\n"
            f"con = duckdb.connect({str(path)!r})  # a BI tool that opened it read-write\n"
            "print('locked', flush=True)\n"
            "time.sleep(4)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseError) as info:
            duckdb_warehouse.replace_window(LEDGER, frame(LEDGER, THREE_DAYS[:1]), D1, D4)
        message = str(info.value)
        assert f"process {holder.pid}" in message
        assert "read-only" in message and "NETVISOR_DUCKDB_LOCK_WAIT_SECONDS" in message
    finally:
        holder.wait(timeout=30)
    assert len(duckdb_warehouse.read("ledger")) == 3  # nothing was written


@pytest.mark.parametrize(
    ("env", "dataset"),
    [
        ({}, "netvisor"),
        ({"BIGQUERY_DATASET": "finance"}, "finance"),
        (
            {
                "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "1",
                "DAGSTER_CLOUD_DEPLOYMENT_NAME": "Feat/VAT-2",
            },
            "netvisor_branch_feat_vat_2",
        ),
        (
            {"DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT": "0", "DAGSTER_CLOUD_DEPLOYMENT_NAME": "prod"},
            "netvisor",
        ),
    ],
)
def test_branch_deployments_write_to_their_own_dataset(env: dict, dataset: str) -> None:
    from netvisor_assets.warehouse import WarehouseSettings

    settings = WarehouseSettings.from_env({"NETVISOR_WAREHOUSE": "bigquery", **env})
    assert settings.bigquery_dataset == dataset
    assert settings.bigquery_location == "EU"


def test_typed_and_object_frames_prepare_identically() -> None:
    """The canonical-column shortcut and the checked path give the same prepared frame."""
    from netvisor_assets.warehouse.base import prepare_frame

    helsinki = ZoneInfo("Europe/Helsinki")
    rows = [
        line(1, D1, "10.50", modified_at=dt.datetime(2025, 3, 1, 12, tzinfo=helsinki)),
        line(2, D2, "-0.000000001", approved=None, description=None),
    ]
    plain = frame(LEDGER, rows)
    typed = plain.astype({"voucher_key": "Int64", "line_no": "Int64", "approved": "boolean"})
    typed["_synced_at"] = typed["_synced_at"].astype(object)
    typed["amount"] = [Decimal(1050) / 100, Decimal("-1E-9")]
    a, b = prepare_frame(LEDGER, plain), prepare_frame(LEDGER, typed)
    pd.testing.assert_frame_equal(a, b)
    assert a["amount"].tolist() == [Decimal("10.500000000"), Decimal("-1E-9")]
    assert str(a["_synced_at"].dtype) == "datetime64[ns, UTC]"


def test_a_load_connects_once_to_commit(
    duckdb_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buffered staging writes and the commit share one connection (each costs ~25 ms)."""
    import duckdb

    from netvisor_assets.warehouse import duckdb_warehouse as module

    opened: list[str] = []
    real = duckdb.connect

    def counting(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        opened.append(str(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(module.duckdb, "connect", counting)
    assert duckdb_warehouse.table_columns("ledger") is None  # no file yet: no connection
    targets = [Target(LEDGER, "window", (D1, D4)), Target(CUSTOMERS, "merge")]
    with duckdb_warehouse.load(targets) as load:
        load.stage("ledger", frame(LEDGER, THREE_DAYS))
        load.stage("customers", frame(CUSTOMERS, [{"netvisorkey": 1, "name": "A"}]))
        load.commit()
    assert len(opened) == 1
    assert len(content(duckdb_warehouse, "ledger", LEDGER_ORDER)) == 3
