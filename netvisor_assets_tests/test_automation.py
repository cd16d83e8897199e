"""The changes sensor at its edges: a busy Netvisor, a Netvisor clock ahead of ours, balances.

Contract: a tick while a run of pool `netvisor` is in progress is skipped with a reason that
says so (the cursor stays); when Netvisor's clock runs days ahead of the local one, changes
made after the cursor are still found; balances are re-run up to the last partition the
warehouse can hold, not only up to Netvisor's today.
"""

from __future__ import annotations

import datetime as dt
import uuid

import dagster as dg
import pytest

from netvisor_assets.automation import (
    PARTITIONED_JOB,
    SENSOR_NAME,
    plan_changes,
)
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.resources import netvisor_resource_from_env
from netvisor_assets.selection import load_selection
from netvisor_assets.settings import NetvisorSettings
from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.tables.ledger import BALANCE_SOURCE
from netvisor_assets.warehouse import warehouse_from_env
from netvisor_assets_tests.harness import definitions, sync_env


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None = None):
    sensor = defs.get_sensor_def(SENSOR_NAME)
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"netvisor": netvisor_resource_from_env()},
        definitions=defs,
    )
    return sensor(context)


@pytest.fixture
def tiny_sim():
    company = generate_company(seed=5, size="tiny", start_date=dt.date(2025, 1, 1))
    with SimulatorServer(company=company, credentials=Credentials.demo()) as sim:
        yield sim


def test_tick_is_skipped_while_a_netvisor_run_is_in_progress(tiny_sim, tmp_path) -> None:
    with sync_env(tiny_sim, tmp_path, "2025-01-01"):
        defs = definitions()
        instance = dg.DagsterInstance.ephemeral()
        run_id = str(uuid.uuid4())
        instance.add_run(
            dg.DagsterRun(
                job_name=PARTITIONED_JOB, run_id=run_id, status=dg.DagsterRunStatus.STARTED
            )
        )
        served = tiny_sim.requests_served
        result = _tick(defs, instance)
        assert isinstance(result, dg.SkipReason)
        assert run_id in (result.skip_message or "")
        assert "pool netvisor is in progress" in (result.skip_message or "")
        assert tiny_sim.requests_served == served  # not a single request to Netvisor
        instance.delete_run(run_id)
        assert isinstance(_tick(defs, instance), dg.SensorResult)


def _client(sim: SimulatorServer) -> NetvisorClient:
    return NetvisorClient.from_settings(NetvisorSettings.from_env(), timeout=30)


def test_changes_are_found_when_netvisor_runs_days_ahead_of_our_clock(tmp_path) -> None:
    today = dt.date.today()
    start = today - dt.timedelta(days=10)
    # The simulated company's clock (its envelope TimeStamp) runs three weeks ahead of ours.
    company = generate_company(seed=5, size="tiny", start_date=start)
    with (
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, tmp_path, start.isoformat()),
    ):
        selection = load_selection()
        with _client(sim) as client:
            client.check_connection()
            server_now = client.server_time
            assert server_now is not None and server_now.date() > today + dt.timedelta(days=2)
        sim.company.advance(5)  # edits of invoices dated in our partitions, at Netvisor's time
        with _client(sim) as client:
            plan = plan_changes(
                client,
                warehouse_from_env(),
                selection,
                since=server_now,
                first_day=start,
                # Every day the company has: which of its documents the random edits touch
                # depends on the date the test runs, and the point is the change window.
                last_day=server_now.date(),
            )
        changed = plan.days.get("sales_invoices", set()) | plan.days.get("purchase_invoices", set())
        assert changed, "changes after Netvisor's (future) cursor must be found"


def test_balances_the_warehouse_holds_past_netvisors_today_are_rerun(tiny_sim, tmp_path) -> None:
    from netvisor_assets.tables import get_table
    from netvisor_assets_tests.test_warehouse_contract import frame

    with sync_env(tiny_sim, tmp_path, "2025-01-01"):
        selection = load_selection()
        # The simulated company's clock is January 2025; the warehouse holds balances of days
        # after it (synced while Netvisor's clock was ahead, or backfilled).
        last_day = dt.date(2025, 3, 31)
        held = dt.date(2025, 3, 15)
        table = get_table("account_balances")
        row = {c: None for c in table.column_names}
        row.update(account_key=1, balance_date=held)
        warehouse_from_env().replace_window(
            table, frame(table, [row]), held, held + dt.timedelta(days=1)
        )
        with _client(tiny_sim) as client:
            plan = plan_changes(
                client,
                warehouse_from_env(),
                selection,
                since=dt.datetime(2025, 1, 20, tzinfo=dt.UTC),
                first_day=dt.date(2025, 1, 1),
                last_day=last_day,
            )
        assert max(plan.days[BALANCE_SOURCE.name]) == held
