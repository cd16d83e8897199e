"""Incremental sync: one tick of the changes sensor brings the warehouse up to date.

Contract: after a full sync, the simulator's clock moves N days (new, edited and deleted
documents); one `netvisor_changes` tick and the runs it requests make every warehouse table
equal, row by row, to a fresh full sync of the same simulator state. A quiet tick costs at
most 2 Netvisor requests per table. Runs are executed exactly as the sensor requested them
(job, partition range tags, asset selection, run config).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import dagster as dg
import pytest

from netvisor_assets.automation import SENSOR_NAME
from netvisor_assets.resources import netvisor_resource_from_env
from netvisor_assets.selection import load_selection
from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.tables import TABLES
from netvisor_assets.warehouse import warehouse_from_env
from netvisor_assets_tests.harness import definitions, run_full_sync, sync_env, warehouse_rows

LEDGER_START = dt.date(2025, 1, 1)
# The small company (2025) keeps a real company's rate of edits and deletions; starting the
# ledger a fortnight before its clock keeps the full syncs short. The busy days edit documents
# of the open month (the company closes each month at its end) and pay, credit and delete
# documents the first sync stored.
BUSY_LEDGER_START = dt.date(2025, 12, 15)


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None):
    """Evaluate the sensor once, like the daemon does."""
    sensor = defs.get_sensor_def(SENSOR_NAME)
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"netvisor": netvisor_resource_from_env()},
        definitions=defs,
    )
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


# This module's subject is the data an incremental sync leaves, so its runs skip the checks:
# test_checks and test_end_to_end prove those, on DuckDB and on the emulator, and here each of
# many runs would pay for them (measured: the busy-days test on BigQuery took 478 s with them,
# 202 s without).
WITH_CHECKS = False


def execute(defs: dg.Definitions, instance: dg.DagsterInstance, requests) -> None:
    for request in requests:
        job = defs.resolve_job_def(request.job_name)
        selection = request.asset_selection
        if not WITH_CHECKS:
            keys = selection or list(job.asset_layer.executable_asset_keys)
            # Subset once, here: a selection passed to the run again would bring them back.
            job, selection = (
                job.get_subset(asset_selection=set(keys), asset_check_selection=set()),
                None,
            )
        result = job.execute_in_process(
            instance=instance,
            run_config=request.run_config,
            tags=request.tags,
            partition_key=request.partition_key,
            asset_selection=selection,
        )
        assert result.success, request


def snapshot() -> dict[str, list[dict]]:
    warehouse = warehouse_from_env()
    return {name: warehouse_rows(warehouse, name) for name in TABLES}


@pytest.fixture(params=["duckdb", pytest.param("bigquery", marks=pytest.mark.bigquery)])
def backend(request: pytest.FixtureRequest):
    """Environment extras per warehouse: `backend(name)` gives a fresh, empty warehouse."""
    if request.param == "duckdb":
        return lambda name: {}
    emulator = request.getfixturevalue("bigquery_emulator")
    suffix = uuid.uuid4().hex[:8]
    return lambda name: {
        "NETVISOR_WAREHOUSE": "bigquery",
        "BIGQUERY_EMULATOR_HOST": emulator.url,
        "BIGQUERY_PROJECT": emulator.project,
        "BIGQUERY_DATASET": f"{name}_{suffix}",
    }


@pytest.mark.slow
def test_one_tick_after_busy_days_equals_a_fresh_full_sync(tmp_path: Path, backend) -> None:
    company = generate_company(seed=11, size="small", start_date=LEDGER_START)
    start = BUSY_LEDGER_START
    with SimulatorServer(company=company, credentials=Credentials.demo()) as sim:
        incremental = tmp_path / "incremental"
        incremental.mkdir()
        with sync_env(sim, incremental, start.isoformat(), **backend("incr")):
            defs = definitions()
            instance = dg.DagsterInstance.ephemeral()
            run_full_sync(defs, start, company.today, instance, with_checks=WITH_CHECKS)
            # First tick: no cursor yet, looks a week back; the warehouse is already current.
            first = tick(defs, instance, None)
            execute(defs, instance, first.run_requests)
            cursor = first.cursor
            assert json.loads(cursor)["since"].startswith(company.today.isoformat())

            # A quiet tick: nothing changed in Netvisor.
            before = sim.requests_served
            quiet = tick(defs, instance, cursor)
            quiet_requests = sim.requests_served - before
            assert quiet_requests <= 2 * len(TABLES)
            merges = [r for r in quiet.run_requests if r.job_name == "netvisor_merge_sync"]
            assert merges == []

            summary = sim.advance(5)
            assert sum(summary["created"].values()) > 0
            assert sum(summary["edited"].values()) > 0
            assert sum(summary["deleted"].values()) > 0

            before = sim.requests_served
            busy = tick(defs, instance, quiet.cursor)
            probe_requests = sim.requests_served - before
            assert probe_requests <= 2 * len(TABLES)
            assert busy.run_requests
            execute(defs, instance, busy.run_requests)
            after_tick = snapshot()

        fresh = tmp_path / "fresh"
        fresh.mkdir()
        # The reference: a fresh full sync into DuckDB (rows compare across warehouses as
        # the end-to-end test proves), which spares the emulator a second full sync.
        with sync_env(sim, fresh, start.isoformat()):
            run_full_sync(
                definitions(),
                start,
                company.today,
                dg.DagsterInstance.ephemeral(),
                with_checks=WITH_CHECKS,
            )
            expected = snapshot()

    for name in TABLES:
        assert after_tick[name] == expected[name], name
    # The busy days really changed documents that were already in the warehouse.
    assert expected["vouchers"] and expected["sales_invoices"]


def test_selection_keeps_personal_data_out(tmp_path: Path) -> None:
    """A selection without a personal column leaves no trace of it in any table."""
    company = generate_company(seed=5, size="tiny", start_date=LEDGER_START)
    selection_file = tmp_path / "selection.yaml"
    selection_file.write_text(
        "tables:\n"
        "  customers:\n    columns: default\n    exclude: [city]\n"
        "  sales_payments: default\n"
        "  vouchers: {columns: [voucher_key, voucher_date, status]}\n",
        encoding="utf-8",
    )
    with (
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, tmp_path, LEDGER_START.isoformat(), NETVISOR_SELECTION=str(selection_file)),
    ):
        selection = load_selection()
        defs = definitions(selection)
        assert {k.path[-1] for k in defs.resolve_all_asset_keys()} == {
            "customers",
            "sales_payments",
            "vouchers",
        }
        run_full_sync(defs, LEDGER_START, company.today, dg.DagsterInstance.ephemeral())
        warehouse = warehouse_from_env()
        customers = warehouse.table_columns("customers")
        assert customers is not None
        for personal in ("email", "phone_number", "street_address", "contact_person", "city"):
            assert personal not in customers
        assert "payer_name" not in (warehouse.table_columns("sales_payments") or {})
        assert set(warehouse.table_columns("vouchers") or {}) == {
            "voucher_key",
            "voucher_date",
            "status",
            "_synced_at",
            "_run_id",
        }
        assert warehouse.table_columns("voucher_lines") is None
        # No value of a personal field anywhere in the warehouse file either.
        emails = {
            r["customerbaseinformation"].get("email")
            for r in (
                sim.ground_truth(
                    "getcustomer", {"idlist": ",".join(str(k) for k in company.keys("customers"))}
                )
            )
        } - {None}
        assert emails
        raw = Path(warehouse.path).read_bytes() if hasattr(warehouse, "path") else b""
        assert raw, "the DuckDB file should exist"
        for email in emails:
            assert email.encode() not in raw
