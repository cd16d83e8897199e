"""End to end: every table of the simulated `tiny` company lands in the warehouse through Dagster.

Contract: with the simulator over real HTTP, the real client, the real Dagster runs (one ranged
run for all partitioned tables, like a backfill chunk) and the real warehouse, each table equals
the simulator's ground truth row by row; a re-run leaves every table identical; nothing dated
before the ledger start date lands. The DuckDB path always runs; the BigQuery path runs the
same code against the local BigQuery emulator.
"""

from __future__ import annotations

import datetime as dt
import re

import dagster as dg
import pytest

from netvisor_assets.selection import load_selection
from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.tables import TABLES
from netvisor_assets.warehouse import warehouse_from_env
from netvisor_assets_tests.harness import (
    definitions,
    expected_rows,
    run_full_sync,
    sync_check_keys,
    sync_env,
    warehouse_rows,
)

# The tiny company's books cover January 2025; starting the ledger mid-month proves that
# nothing older is fetched, and running into February covers empty days.
LEDGER_START = dt.date(2025, 1, 8)
LAST_DAY = dt.date(2025, 2, 10)


@pytest.fixture(scope="module")
def simulator():
    company = generate_company(seed=7, size="tiny", start_date=dt.date(2025, 1, 1))
    with SimulatorServer(company=company, credentials=Credentials.demo()) as sim:
        yield sim


def _sync_and_check(simulator, tmp_path, **env) -> None:
    with sync_env(simulator, tmp_path, LEDGER_START.isoformat(), **env):
        selection = load_selection()
        defs = definitions(selection)
        instance = dg.DagsterInstance.ephemeral()
        before = simulator.requests_served
        results = run_full_sync(defs, LEDGER_START, LAST_DAY, instance)
        requests = simulator.requests_served - before
        # The registry reads every field the simulator returns: no new-field warnings.
        evaluations = [e for r in results for e in r.get_asset_check_evaluations()]
        evaluated = {(e.asset_key, e.check_name) for e in evaluations}
        assert evaluated == sync_check_keys(defs)
        assert all(e.passed for e in evaluations), [
            (e.asset_key.to_user_string(), e.metadata) for e in evaluations if not e.passed
        ]
        warehouse = warehouse_from_env()
        expected = expected_rows(simulator, selection, LEDGER_START, LAST_DAY)
        assert set(expected) == set(TABLES)
        first = {name: warehouse_rows(warehouse, name) for name in TABLES}
        for name in TABLES:
            assert first[name] == expected[name], name
        # Tiny company: every transactional table has rows in the window.
        for name in (
            "vouchers",
            "voucher_lines",
            "sales_invoices",
            "sales_invoice_lines",
            "account_balances",
            "customers",
            "accounts",
        ):
            assert first[name], name
        for name, table in TABLES.items():
            if table.partition_column:
                assert all(r[table.partition_column] >= LEDGER_START for r in first[name])

        synced_at = {n: warehouse_rows(warehouse, n, with_system=True) for n in TABLES}
        run_full_sync(defs, LEDGER_START, LAST_DAY, instance)
        assert simulator.requests_served - before == 2 * requests
        for name in TABLES:
            again = warehouse_rows(warehouse, name, with_system=True)
            assert [_data(r) for r in again] == [_data(r) for r in synced_at[name]], name
            # The re-run replaced the rows: no duplicates, fresh run ids.
            assert len(again) == len(synced_at[name])
            if again:
                assert {r["_run_id"] for r in again}.isdisjoint(
                    {r["_run_id"] for r in synced_at[name]}
                ), name


def _data(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


@pytest.mark.slow
def test_every_table_equals_ground_truth_in_duckdb(simulator, tmp_path) -> None:
    _sync_and_check(simulator, tmp_path)


@pytest.mark.slow
@pytest.mark.bigquery
def test_every_table_equals_ground_truth_in_bigquery(simulator, tmp_path, bigquery_emulator):
    import uuid

    _sync_and_check(
        simulator,
        tmp_path,
        NETVISOR_WAREHOUSE="bigquery",
        BIGQUERY_EMULATOR_HOST=bigquery_emulator.url,
        BIGQUERY_PROJECT=bigquery_emulator.project,
        BIGQUERY_DATASET=f"e2e_{uuid.uuid4().hex[:8]}",
    )


@pytest.mark.slow
def test_the_cli_sync_in_runs_equals_ground_truth_and_passes_every_check(
    tmp_path, monkeypatch, capsys
) -> None:
    """The command-line sync cuts a long history into runs (each on a new in-memory instance,
    so its memory is one run's); cut by two months here, the tables equal the ground truth and
    every check passes.

    The second run covers locked days never stored before (its tables exist: the first run
    created them): nothing there was synced, so nothing changed. Compared against nothing,
    every row would count as "added" and fail `locked_periods_unchanged` (and be held in
    memory as a fingerprint: a whole run's rows). And only the last run judges the open
    invoices' tie: open amounts are today's, older runs' balances are not."""
    from netvisor_assets import definitions as definitions_module
    from netvisor_assets import sync

    company = generate_company(seed=7, size="tiny", start_date=dt.date(2025, 1, 1))
    with SimulatorServer(company=company, credentials=Credentials.demo()) as sim:
        sim.advance(105)  # the books now run to mid-May: January to March are locked
        monkeypatch.setattr(sync, "RUN_MONTHS", 2)
        monkeypatch.setattr(definitions_module, "build_report_assets", lambda *a, **k: None)
        with sync_env(sim, tmp_path, LEDGER_START.isoformat()):
            # To the company's yesterday: the open amounts the last run reads are of its today.
            counts = sync.run_full_sync(until="2025-05-15")
            printed = capsys.readouterr().out
            assert "partitioned tables 2025-01-08..2025-02-28: " in printed
            assert "partitioned tables 2025-03-01..2025-04-30: " in printed
            checks = next(line for line in printed.splitlines() if line.startswith("checks: "))
            evaluated, passed = (int(n) for n in re.findall(r"\d+", checks))
            assert evaluated == passed > 0, printed[printed.index("checks: ") :]
            warehouse = warehouse_from_env()
            expected = expected_rows(sim, load_selection(), LEDGER_START, dt.date(2025, 5, 15))
            for name in TABLES:
                assert warehouse_rows(warehouse, name) == expected[name], name
            assert counts["vouchers"] == len(expected["vouchers"]) > 0


def test_runs_cut_a_history_into_whole_months_without_a_short_tail() -> None:
    from netvisor_assets.sync import run_chunks

    for first, last in [("2021-12-01", "2026-12-06"), ("2025-01-08", "2025-02-10")]:
        chunks = run_chunks(first, last, 12)
        days = [dt.date.fromisoformat(d) for c in chunks for d in c]
        assert days[0].isoformat() == first and days[-1].isoformat() == last
        for (_, end), (start, _) in zip(chunks, chunks[1:], strict=False):
            assert dt.date.fromisoformat(start) - dt.date.fromisoformat(end) == dt.timedelta(1)
            assert start.endswith("-01")
    five_years = run_chunks("2021-12-01", "2026-12-06", 24)
    assert len(five_years) == 3  # 61 calendar months: three runs of at most 21
    assert five_years == [
        ("2021-12-01", "2023-08-31"),
        ("2023-09-01", "2025-05-31"),
        ("2025-06-01", "2026-12-06"),
    ]
    assert run_chunks("2026-12-06", "2026-12-06", 12) == [("2026-12-06", "2026-12-06")]
