"""The code location loads with placeholder settings and has the promised shape.

Contract: `netvisor_assets.definitions:defs` holds one asset `netvisor/<table>` per registry
table in group `netvisor`, daily partitions from NETVISOR_LEDGER_START_DATE in Helsinki time, a
183-day multi-run backfill policy (a five-year backfill is 10 runs), pool
`netvisor`, a retry policy, the new-field checks, the sync and admin jobs, the schedules and
the changes sensor; the keys reach it only as EnvVars.
"""

from __future__ import annotations

import importlib
import math

import dagster as dg
import pytest

from netvisor_assets.tables import SOURCES, TABLES, SyncMode

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
    return {
        key: graph.get(key).assets_def
        for key in graph.get_all_asset_keys()
        if key.path[0] == "netvisor"
    }


def test_one_asset_per_table(defs) -> None:
    keys = {k for k in defs.resolve_all_asset_keys() if k.path[0] == "netvisor"}
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
            assert policy is not None and policy.max_partitions_per_run == 183
            # Five years of days from the UI: 10 runs, not 1,826.
            assert math.ceil(1826 / policy.max_partitions_per_run) == 10
        else:
            assert assets_def.partitions_def is None
        assert spec.metadata["netvisor/sync_mode"] == table.mode.value
        assert "dagster/column_schema" in spec.metadata


def test_checks_jobs_schedules_sensor(defs) -> None:
    graph = defs.resolve_asset_graph()
    by_asset: dict[str, set[str]] = {}
    for key in graph.asset_check_keys:
        if key.asset_key.path[0] != "netvisor":
            continue  # the reports' dbt tests: test_reports
        by_asset.setdefault(key.asset_key.path[-1], set()).add(key.name)
    # Every table carries its schema, key, row and freshness checks; each source's first table
    # its new-field check; the ledger its accounting checks.
    assert set(by_asset) == set(TABLES)
    for name, table in TABLES.items():
        freshness = (
            "yesterday_partition_present"
            if table.partition_column
            else ("refreshed_within_26_hours")
        )
        assert {"primary_key", "pandera_schema", "rows_accounted", freshness} <= by_asset[name]
    assert {src.tables[0].name for src in SOURCES} == {
        n for n, names in by_asset.items() if "new_api_fields" in names
    }
    assert {"vouchers_balance", "accounts_exist"} <= by_asset["voucher_lines"]
    assert {"ties_to_netvisor_balances"} <= by_asset["account_balances"]
    assert {"amount_equals_lines", "open_invoices_tie_to_receivables"} <= by_asset["sales_invoices"]
    assert {"amount_equals_lines", "open_invoices_tie_to_payables"} <= by_asset["purchase_invoices"]
    assert {n for n, names in by_asset.items() if "complete_against_netvisor" in names} == {
        src.tables[0].name for src in SOURCES if src.reconciled_by_listing
    }
    assert {n for n, names in by_asset.items() if "locked_periods_unchanged" in names} == {
        src.tables[0].name for src in SOURCES if src.follows_period_locks
    }
    specs = [s for d in [*defs.assets, *defs.asset_checks] for s in d.check_specs]
    blocking = {
        spec.name for spec in specs if spec.blocking and spec.asset_key.path[0] == "netvisor"
    }
    assert blocking == {"primary_key"}
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert {
        "netvisor_partitioned_sync",
        "netvisor_merge_sync",
        "netvisor_reference_sync",
        "netvisor_completeness",
        "netvisor_freshness",
        "netvisor_check_connection",
        "netvisor_full_refresh",
        "netvisor_delete_all_data",
    } <= jobs
    schedules = {s.name: defs.resolve_schedule_def(s.name) for s in defs.schedules}
    assert set(schedules) == {
        "netvisor_daily_partitions",
        "netvisor_daily_reference",
        "netvisor_daily_merge",
        "netvisor_daily_freshness",
        "netvisor_weekly_completeness",
    }
    # Reference tables refresh before the partitions: the ledger's checks read them.
    assert schedules["netvisor_daily_reference"].cron_schedule == "30 2 * * *"
    assert schedules["netvisor_daily_merge"].cron_schedule == "45 2 * * *"
    for schedule in schedules.values():
        assert schedule.execution_timezone == "Europe/Helsinki"
    assert schedules["netvisor_daily_partitions"].cron_schedule == "0 3 * * *"
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {"netvisor_changes", "netvisor_reports_automation"}
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
