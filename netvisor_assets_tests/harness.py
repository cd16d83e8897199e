"""Shared machinery for end-to-end tests: a simulator, the settings pointing at it, Dagster runs,
and the ground truth of every table computed from the simulator, never from the client.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from netvisor_assets.selection import Selection, load_selection
from netvisor_assets.settings import NetvisorSettings
from netvisor_assets.simulator import SimulatorServer
from netvisor_assets.simulator.truth import source_records
from netvisor_assets.tables import SOURCES, TABLES
from netvisor_assets.warehouse import Warehouse

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@contextlib.contextmanager
def sync_env(
    sim: SimulatorServer, tmp: Path, ledger_start: str, **extra: str
) -> Iterator[dict[str, str]]:
    """Environment of a deployment against the simulator with a fresh DuckDB file."""
    env = {
        "NETVISOR_BASE_URL": sim.url,
        "NETVISOR_DUCKDB_PATH": str(tmp / "warehouse.duckdb"),
        "NETVISOR_LEDGER_START_DATE": ledger_start,
        "NETVISOR_WAREHOUSE": "duckdb",
        **extra,
    }
    with pytest.MonkeyPatch.context() as mp:
        for name in (
            "NETVISOR_CUSTOMER_ID",
            "NETVISOR_CUSTOMER_KEY",
            "NETVISOR_PARTNER_ID",
            "NETVISOR_PARTNER_KEY",
            "NETVISOR_ORGANISATION_ID",
            "NETVISOR_SELECTION",
        ):
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        yield env


def definitions(selection: Selection | None = None) -> dg.Definitions:
    from netvisor_assets.definitions import build_definitions

    return build_definitions(NetvisorSettings.from_env(), selection or load_selection())


def without_checks(job: dg.JobDefinition) -> dg.JobDefinition:
    """The job's assets without their checks (tests whose subject is the data, on BigQuery)."""
    keys = set(job.asset_layer.executable_asset_keys)
    return job.get_subset(asset_selection=keys, asset_check_selection=set())


def run_full_sync(
    defs: dg.Definitions,
    first: dt.date,
    last: dt.date,
    instance: dg.DagsterInstance,
    *,
    with_checks: bool = True,
) -> list[dg.ExecuteInProcessResult]:
    """Every job once: the partitioned tables over [first, last] in one ranged run."""
    from netvisor_assets.automation import MERGE_JOB, PARTITIONED_JOB, REFERENCE_JOB

    def job(name: str) -> dg.JobDefinition:
        resolved = defs.resolve_job_def(name)
        return resolved if with_checks else without_checks(resolved)

    present = {job.name for job in defs.jobs or []}
    results = []
    # Reference and merge tables first, as the CLI sync does: the ledger's checks read them.
    for name in (REFERENCE_JOB, MERGE_JOB):
        if name in present:
            results.append(job(name).execute_in_process(instance=instance))
    if PARTITIONED_JOB in present:
        results.append(
            job(PARTITIONED_JOB).execute_in_process(
                instance=instance,
                tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
            )
        )
    assert results and all(r.success for r in results)
    return results


def truth_records(sim: SimulatorServer, source: str, first: dt.date, last: dt.date) -> list[dict]:
    """What Netvisor holds for a source, as the client would parse it (the simulator's hook)."""
    return source_records(sim, source, first, last)


def expected_rows(
    sim: SimulatorServer, selection: Selection, first: dt.date, last: dt.date
) -> dict[str, list[dict]]:
    """Ground-truth rows of every selected table, narrowed to the selected columns."""
    out: dict[str, list[dict]] = {}
    for source in SOURCES:
        names = [t.name for t in source.tables if selection.is_selected(t.name)]
        if not names:
            continue
        rows = source.to_rows(truth_records(sim, source.name, first, last))
        for table in source.tables:
            if table.name not in names:
                continue
            chosen = selection.columns[table.name]
            table_rows = rows[table.name]
            if table.partition_column:
                col = table.partition_column
                table_rows = [r for r in table_rows if first <= r[col] <= last]
            out[table.name] = sort_rows(
                table.name, [{c: r.get(c) for c in chosen} for r in table_rows]
            )
    return out


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    return value


def normalise(row: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable values: Decimals without trailing zeros, plain Python scalars, None."""
    return {key: _plain(value) for key, value in row.items()}


def sort_rows(table: str, rows: list[dict]) -> list[dict]:
    key = TABLES[table].primary_key
    return sorted((normalise(r) for r in rows), key=lambda r: tuple(r[k] for k in key))


def warehouse_rows(warehouse: Warehouse, table: str, with_system: bool = False) -> list[dict]:
    """A table's rows sorted by key; system columns dropped unless asked for."""
    frame = warehouse.read(table)
    if not with_system:
        frame = frame[[c for c in frame.columns if not c.startswith("_")]]
    return sort_rows(table, frame.to_dict("records"))


def sync_check_keys(defs: dg.Definitions) -> set[tuple[dg.AssetKey, str]]:
    """The checks a sync of the tables evaluates: every table check except the scheduled-only
    ones (the reports' dbt tests run with the reports)."""
    from netvisor_assets.automation import SCHEDULED_ONLY_CHECKS

    graph = defs.resolve_asset_graph()
    return {
        (k.asset_key, k.name)
        for k in graph.asset_check_keys
        if k.name not in SCHEDULED_ONLY_CHECKS and k.asset_key.path[0] == "netvisor"
    }
