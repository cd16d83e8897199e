"""The code location loads with placeholder settings and has the promised shape.

Contract: `netvisor_assets.definitions:defs` holds one asset `netvisor/<table>` per registry
table in group `netvisor`, daily partitions from NETVISOR_LEDGER_START_DATE in Helsinki time, a
31-day multi-run backfill policy (a five-year backfill is at most about 60 runs), pool
`netvisor`, a retry policy, the new-field checks, the sync and admin jobs, the schedules and
the changes sensor; the keys reach it only as EnvVars.
"""

from __future__ import annotations

import importlib
import math

import dagster as dg
import pytest

from netvisor_assets.tables import TABLES, SyncMode

PLACEHOLDERS = {
    "NETVISOR_BASE_URL": "https://isvapi.netvisor.fi",
    "NETVISOR_CUSTOMER_ID": "TK_PLACEHOLDER",
    "NETVISOR_CUSTOMER_KEY": "placeholder-customer-key-0123456789",
    "NETVISOR_PARTNER_ID": "PARTNER_PLACEHOLDER",
    "NETVISOR_PARTNER_KEY": "placeholder-partner-key-9876543210",
    "NETVISOR_ORGANISATION_ID": "0737546-2",
    "NETVISOR_LEDGER_START_DATE": "2021-01-01",
}


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in PLACEHOLDERS.items():
            mp.setenv(name, value)
        mp.setenv("NETVISOR_DUCKDB_PATH", str(tmp_path_factory.mktemp("wh") / "n.duckdb"))
        mp.delenv("NETVISOR_SELECTION", raising=False)
        mp.delenv("NETVISOR_WAREHOUSE", raising=False)
        import netvisor_assets.definitions as module

        module = importlib.reload(module)
        yield module.defs
    # Leave the module as the environment of the rest of the session would build it.
    importlib.reload(module)


def _assets_by_key(defs: dg.Definitions) -> dict[dg.AssetKey, dg.AssetsDefinition]:
    graph = defs.resolve_asset_graph()
    return {key: graph.get(key).assets_def for key in graph.get_all_asset_keys()}


def test_one_asset_per_table(defs) -> None:
    keys = set(defs.resolve_all_asset_keys())
    assert keys == {dg.AssetKey(["netvisor", name]) for name in TABLES}
    graph = defs.resolve_asset_graph()
    for key in keys:
        node = graph.get(key)
        assert node.group_name == "netvisor"
        assert {"netvisor", "duckdb"} <= set(node.kinds)
        assert node.description


def test_partitions_policy_pool_and_retry(defs) -> None:
    for key, assets_def in _assets_by_key(defs).items():
        table = TABLES[key.path[-1]]
        spec = assets_def.get_asset_spec(key)
        op = assets_def.node_def
        assert op.pool == "netvisor"
        assert op.retry_policy is not None and op.retry_policy.max_retries >= 1
        assert assets_def.can_subset
        if table.mode is SyncMode.PARTITIONED:
            parts = assets_def.partitions_def
            assert isinstance(parts, dg.DailyPartitionsDefinition)
            assert parts.start.date().isoformat() == PLACEHOLDERS["NETVISOR_LEDGER_START_DATE"]
            assert parts.timezone == "Europe/Helsinki"
            policy = assets_def.backfill_policy
            assert policy is not None and policy.max_partitions_per_run == 31
            # Five years of days from the UI: at most about 60 runs, not 1,826.
            assert math.ceil(1826 / policy.max_partitions_per_run) <= 60
        else:
            assert assets_def.partitions_def is None
        assert spec.metadata["netvisor/sync_mode"] == table.mode.value
        assert "dagster/column_schema" in spec.metadata


def test_checks_jobs_schedules_sensor(defs) -> None:
    check_keys = {k for a in _assets_by_key(defs).values() for k in a.check_keys}
    assert len(check_keys) == 16
    assert {k.name for k in check_keys} == {"new_api_fields"}
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert {
        "netvisor_partitioned_sync",
        "netvisor_merge_sync",
        "netvisor_reference_sync",
        "netvisor_check_connection",
        "netvisor_full_refresh",
        "netvisor_delete_all_data",
    } <= jobs
    schedules = {s.name: defs.resolve_schedule_def(s.name) for s in defs.schedules}
    assert set(schedules) == {
        "netvisor_daily_partitions",
        "netvisor_daily_reference",
        "netvisor_daily_merge",
    }
    for schedule in schedules.values():
        assert schedule.execution_timezone == "Europe/Helsinki"
    assert schedules["netvisor_daily_partitions"].cron_schedule == "0 3 * * *"
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {"netvisor_changes"}
    assert sensors["netvisor_changes"].minimum_interval_seconds == 3600


def test_in_process_executor(defs) -> None:
    job = defs.resolve_job_def("netvisor_partitioned_sync")
    assert job.executor_def.name == "in_process"


def test_keys_only_as_env_vars(defs) -> None:
    netvisor = defs.resources["netvisor"]
    for field in ("customer_key", "partner_key"):
        assert isinstance(getattr(netvisor, field), dg.EnvVar)
    text = repr(defs.resources) + repr(netvisor)
    for secret in (PLACEHOLDERS["NETVISOR_CUSTOMER_KEY"], PLACEHOLDERS["NETVISOR_PARTNER_KEY"]):
        assert secret not in text
