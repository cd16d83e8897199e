"""Admin jobs and new API fields, against the simulator over real HTTP and a real DuckDB file.

Contract: `netvisor_check_connection` passes with good credentials and fails with a clear,
key-free message otherwise; `netvisor_full_refresh` rebuilds the chosen tables from scratch
(a tampered table comes back equal to Netvisor); `netvisor_delete_all_data` deletes nothing
unless the organisation id is repeated, then drops every synced table and the sensor cursor;
a field Netvisor starts returning is reported (metadata and a WARN check), never added.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from netvisor_assets.admin import clear_sensor_cursor
from netvisor_assets.selection import load_selection
from netvisor_assets.settings import DEMO_CUSTOMER_KEY, DEMO_ORGANISATION_ID
from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.tables import TABLES
from netvisor_assets.warehouse import warehouse_from_env
from netvisor_assets_tests.harness import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    definitions,
    expected_rows,
    run_full_sync,
    sync_env,
    warehouse_rows,
)

LEDGER_START = dt.date(2025, 1, 1)


@pytest.fixture
def company():
    return generate_company(seed=21, size="tiny", start_date=LEDGER_START)


def _run(defs: dg.Definitions, job: str, config: dict | None = None, instance=None):
    return defs.resolve_job_def(job).execute_in_process(
        run_config=config or {},
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(
        e.step_failure_data.error.message
        for e in result.all_events
        if e.is_step_failure and e.step_failure_data and e.step_failure_data.error
    )


def test_check_connection_job(company, tmp_path: Path) -> None:
    with (
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, tmp_path, LEDGER_START.isoformat()),
    ):
        assert _run(definitions(), "netvisor_check_connection").success
    wrong = Credentials(**{**Credentials.demo().__dict__, "customer_key": "another-key"})
    with (
        SimulatorServer(company=company, credentials=wrong) as sim,
        sync_env(sim, tmp_path, LEDGER_START.isoformat()),
    ):
        result = _run(definitions(), "netvisor_check_connection")
        assert not result.success
        message = _failure_message(result)
        assert "key" in message.lower()
        assert DEMO_CUSTOMER_KEY not in message and "another-key" not in message


def test_full_refresh_rebuilds_tampered_tables(company, tmp_path: Path) -> None:
    with (
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, tmp_path, LEDGER_START.isoformat()) as env,
    ):
        defs = definitions()
        last = dt.date(2025, 2, 3)
        run_full_sync(defs, LEDGER_START, last, dg.DagsterInstance.ephemeral())
        with duckdb.connect(env["NETVISOR_DUCKDB_PATH"]) as con:
            con.execute("DELETE FROM netvisor.vouchers WHERE voucher_key % 2 = 0")
            con.execute("UPDATE netvisor.customers SET name = 'tampered'")
            con.execute("ALTER TABLE netvisor.customers ADD COLUMN stale VARCHAR")
        result = _run(
            defs,
            "netvisor_full_refresh",
            {"ops": {"rebuild_tables": {"config": {"tables": ["vouchers", "customers"]}}}},
        )
        assert result.success, _failure_message(result)
        warehouse = warehouse_from_env()
        # The rebuild runs to the last complete day; compare the synced window.
        yesterday = dt.date.today() - dt.timedelta(days=1)
        expected = expected_rows(sim, load_selection(), LEDGER_START, yesterday)
        assert warehouse_rows(warehouse, "vouchers") == expected["vouchers"]
        assert warehouse_rows(warehouse, "customers") == expected["customers"]
        assert "stale" not in (warehouse.table_columns("customers") or {})
        # Unknown tables are refused before anything is dropped.
        bad = _run(
            defs,
            "netvisor_full_refresh",
            {"ops": {"rebuild_tables": {"config": {"tables": ["no_such_table"]}}}},
        )
        assert not bad.success
        assert warehouse.table_columns("vouchers") is not None


def test_delete_all_data_needs_the_organisation_id(company, tmp_path: Path) -> None:
    # A persistent instance: sensor cursors live in its schedule storage.
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance = dg.DagsterInstance.local_temp(str(home))
    with (
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, tmp_path, LEDGER_START.isoformat()),
    ):
        defs = definitions()
        run_full_sync(defs, LEDGER_START, dt.date(2025, 1, 31), instance)
        warehouse = warehouse_from_env()
        synced = [n for n in TABLES if warehouse.table_columns(n) is not None]
        assert len(synced) == len(TABLES)
        # Give the sensor a cursor the wipe must forget.
        sensor = defs.get_sensor_def("netvisor_changes")
        _set_cursor(instance, sensor, '{"since": "2025-01-31T20:00:00+02:00"}')

        def config(org: str) -> dict[str, Any]:
            return {"ops": {"delete_all_synced_data": {"config": {"confirm_organisation_id": org}}}}

        refused = _run(defs, "netvisor_delete_all_data", config("1234567-1"), instance)
        assert not refused.success
        assert "nothing was deleted" in _failure_message(refused)
        assert all(warehouse.table_columns(n) is not None for n in TABLES)

        done = _run(defs, "netvisor_delete_all_data", config(DEMO_ORGANISATION_ID), instance)
        assert done.success
        assert all(warehouse.table_columns(n) is None for n in TABLES)
        assert _cursor(instance, sensor) is None
        assert clear_sensor_cursor(instance)  # idempotent
        assert not clear_sensor_cursor(dg.DagsterInstance.ephemeral())


def _set_cursor(instance: dg.DagsterInstance, sensor: dg.SensorDefinition, cursor: str) -> None:
    from dagster._core.remote_origin import (
        InProcessCodeLocationOrigin,
        RemoteInstigatorOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.scheduler.instigation import (
        InstigatorState,
        InstigatorStatus,
        InstigatorType,
        SensorInstigatorData,
    )
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(
            InProcessCodeLocationOrigin(
                LoadableTargetOrigin(python_file=__file__, attribute="defs")
            ),
            "__repository__",
        ),
        sensor.name,
    )
    instance.add_instigator_state(
        InstigatorState(
            origin,
            InstigatorType.SENSOR,
            InstigatorStatus.RUNNING,
            SensorInstigatorData(min_interval=sensor.minimum_interval_seconds, cursor=cursor),
        )
    )
    assert _cursor(instance, sensor) == cursor


def _cursor(instance: dg.DagsterInstance, sensor: dg.SensorDefinition) -> str | None:
    from dagster._core.scheduler.instigation import InstigatorType

    for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        if state.instigator_name == sensor.name:
            return state.instigator_data.cursor
    return None


class _CompanyWithNewField:
    """The simulated company, except that Netvisor now also returns a new voucher field."""

    def __init__(self, company: Any) -> None:
        self._company = company

    def __getattr__(self, name: str) -> Any:
        return getattr(self._company, name)

    def _add(self, kind: str, record: dict | None) -> dict | None:
        if record is not None and kind == "vouchers":
            record = {**record, "approvalstate": "approved"}
        return record

    def by_date(self, kind: str, first: dt.date, last: dt.date):
        return (self._add(kind, r) for r in self._company.by_date(kind, first, last))

    def records(self, kind: str):
        return (self._add(kind, r) for r in self._company.records(kind))

    def get(self, kind: str, key: int):
        return self._add(kind, self._company.get(kind, key))


def test_new_api_field_is_reported_not_added(company, tmp_path: Path) -> None:
    with (
        SimulatorServer(
            company=_CompanyWithNewField(company), credentials=Credentials.demo()
        ) as sim,
        sync_env(sim, tmp_path, LEDGER_START.isoformat()),
    ):
        defs = definitions()
        result = defs.resolve_job_def("netvisor_partitioned_sync").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            tags={RANGE_START_TAG: "2025-01-01", RANGE_END_TAG: "2025-01-31"},
            asset_selection=[dg.AssetKey(["netvisor", "vouchers"])],
        )
        assert result.success
        checks = {
            e.asset_key.path[-1]: e
            for e in result.get_asset_check_evaluations()
            if e.check_name == "new_api_fields"
        }
        assert not checks["vouchers"].passed
        assert checks["vouchers"].severity == dg.AssetCheckSeverity.WARN
        assert checks["vouchers"].metadata["new_api_fields"].value == "approvalstate"
        materialization = next(
            e
            for e in result.get_asset_materialization_events()
            if e.asset_key == dg.AssetKey(["netvisor", "vouchers"])
        )
        meta = materialization.materialization.metadata
        assert meta["new_api_fields"].value == "approvalstate"
        columns = warehouse_from_env().table_columns("vouchers") or {}
        assert columns and "approvalstate" not in columns and "approval_state" not in columns
