"""The instance's event log (`dagster.yaml`): a ranged run's events stored a batch at a time.

What a backfill chunk records must be what Dagster's own SQLite storage records event by event:
every day's materialization of every table, its metadata and tags, the materialized partitions
the UI shows, and the asset's latest materialization.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from netvisor_assets.event_storage import EVENT_BATCH_SIZE_VAR, BatchedSqliteEventLogStorage

PROJECT = Path(__file__).resolve().parents[1]
PARTS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-03-01")
TABLES = [dg.AssetKey(f"table_{i}") for i in range(3)]


@dg.multi_asset(
    specs=[dg.AssetSpec(key) for key in TABLES],
    partitions_def=PARTS,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def _source(context):
    first, last = context.partition_key_range
    for key in TABLES:
        yield dg.MaterializeResult(
            asset_key=key, metadata={"rows": len(key.path[-1]), "window": f"{first}..{last}"}
        )


def _run(home: Path, days: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list, dg.DagsterInstance]:
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance = dg.DagsterInstance.get()
    job = dg.define_asset_job("sync", selection="*", partitions_def=PARTS)
    defs = dg.Definitions(assets=[_source], jobs=[job])
    keys = PARTS.get_partition_keys()
    tags = {
        "dagster/asset_partition_range_start": keys[0],
        "dagster/asset_partition_range_end": keys[days - 1],
    }
    result = defs.resolve_job_def("sync").execute_in_process(instance=instance, tags=tags)
    assert result.success
    # The run's own log (the run page) and the cross-run index (the asset pages) both hold them.
    logged = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    stored: list = [sorted((e.dagster_event.asset_key, e.dagster_event.partition) for e in logged)]
    for key in TABLES:
        records = instance.fetch_materializations(key, limit=1000).records
        latest = instance.get_latest_materialization_event(key)
        stored.append(
            (
                key,
                sorted((r.partition_key, dict(r.asset_materialization.metadata)) for r in records),
                sorted(instance.get_materialized_partitions(key)),
                latest.dagster_event.partition if latest and latest.dagster_event else None,
            )
        )
    return stored, instance


def test_a_ranged_run_stores_what_dagsters_own_storage_stores(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(EVENT_BATCH_SIZE_VAR, "1000")
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    shutil.copy(PROJECT / "dagster.yaml", ours / "dagster.yaml")
    (theirs / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    batches: list[int] = []
    original = BatchedSqliteEventLogStorage.store_event_batch

    def counted(self, events):
        batches.append(len(events))
        return original(self, events)

    monkeypatch.setattr(BatchedSqliteEventLogStorage, "store_event_batch", counted)
    days = 40
    stored, instance = _run(ours, days, monkeypatch)
    assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
    expected, _ = _run(theirs, days, monkeypatch)
    # The same rows, read back through Dagster's own queries.
    assert stored == expected
    assert len(stored[0]) == days * len(TABLES)
    for _key, records, partitions, latest in stored[1:]:
        assert len(records) == len(partitions) == days
        assert latest == PARTS.get_partition_keys()[days - 1]
    # The materializations came as one batch per table (and the run's planned events).
    assert batches.count(days) >= len(TABLES)


@pytest.mark.parametrize("configured", ["7", None])
def test_the_code_location_asks_for_batches_unless_the_deployment_set_a_size(
    monkeypatch, configured
) -> None:
    from netvisor_assets.event_storage import batch_events

    if configured is None:
        monkeypatch.delenv(EVENT_BATCH_SIZE_VAR, raising=False)
    else:
        monkeypatch.setenv(EVENT_BATCH_SIZE_VAR, configured)
    batch_events()
    import os

    assert os.environ[EVENT_BATCH_SIZE_VAR] == (configured or "1000")


def test_without_dagster_home_the_events_go_to_a_temporary_folder(monkeypatch) -> None:
    """`dg check defs` builds a temporary instance from dagster.yaml with no DAGSTER_HOME."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    storage = BatchedSqliteEventLogStorage.from_config_value(None, {})
    assert Path(storage._base_dir).is_dir()
    assert "dagster-events-" in storage._base_dir
