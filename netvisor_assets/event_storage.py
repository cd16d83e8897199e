"""Dagster's SQLite event log, storing a batch of asset events in one transaction.

Why: a ranged run (the CLI sync, each chunk of a UI backfill) records one materialization event
per table and day, about 58,000 for five years of a large company. Dagster's SQLite storage
writes each in two transactions of their own (the run's file and the cross-run index), opening
both files every time: 13-50 ms an event on a local disk, most of a five-year backfill's time.
Dagster hands a partitioned output's events over as one batch when `DAGSTER_EVENT_BATCH_SIZE`
is set (Dagster+ and its Postgres storage are built for it; OSS SQLite stores a batch one event
at a time). This storage writes a batch of one run's asset events as Dagster would write them
one by one (the same rows, tags and asset entries), in one transaction per file.

`dagster.yaml` names it as the instance's event log storage, `definitions.py` sets the batch size
(unless the deployment sets its own). Everything else, reads included, is Dagster's own.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import Any

from dagster import Field, StringSource
from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_result

# Events per batch: a table's days of one run chunk (a month of days) fit in one.
EVENT_BATCH_SIZE_VAR = "DAGSTER_EVENT_BATCH_SIZE"
EVENT_BATCH_SIZE = "1000"


def batch_events() -> None:
    """Ask Dagster to hand a ranged output's events over in batches (a deployment's own setting
    wins)."""
    os.environ.setdefault(EVENT_BATCH_SIZE_VAR, EVENT_BATCH_SIZE)


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` whose `store_event_batch` writes one transaction per file."""

    @classmethod
    def config_type(cls) -> Any:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: Any, config_value: Any
    ) -> BatchedSqliteEventLogStorage:
        # Where Dagster's default SQLite storage keeps them, so the runs already recorded in
        # DAGSTER_HOME stay readable.
        # Without DAGSTER_HOME the instance is a temporary one (`dg check defs`, a CLI command
        # run outside `dagster dev`): its events go to a temporary folder, as Dagster's do.
        base_dir = config_value.get("base_dir")
        if not base_dir:
            home = os.environ.get("DAGSTER_HOME") or tempfile.mkdtemp(prefix="dagster-events-")
            base_dir = os.path.join(home, "history", "runs", "")
        return cls(base_dir=base_dir, inst_data=inst_data)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """The events of one run, all asset events (a ranged output's materializations, a run's
        planned events), as `store_event` stores each; anything else one by one."""
        if not _one_run_of_asset_events(events):
            super().store_event_batch(events)
            return
        statements = [self.prepare_insert_event(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            for statement in statements:
                conn.execute(statement)
        with self.index_transaction() as conn:
            ids = []
            for statement in statements:
                with db_result(conn, statement) as result:
                    ids.append(result.inserted_primary_key[0])
            self._store_asset_event_tags(conn, events, ids)
            for event, event_id in zip(events, ids, strict=True):
                self._store_asset_event(conn, event, event_id)


def _one_run_of_asset_events(events: Sequence[EventLogEntry]) -> bool:
    return len({event.run_id for event in events}) == 1 and all(
        event.is_dagster_event
        and event.dagster_event_type in ASSET_EVENTS
        and event.get_dagster_event().asset_key is not None
        for event in events
    )
