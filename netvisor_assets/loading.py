"""Fetch a source and write its tables: the one code path of the assets and the admin jobs.

A range is streamed window by window (fetch, rows, frames, stage, forget), so memory is one
window's worth however long the history is; every table of the source is committed in one
transaction at the end (`Warehouse.load`), so a failure anywhere, on any table, in any window,
leaves every table of the source as it was, and nothing is reported as materialized.

Rows whose partition date lies outside the requested range are not written (Netvisor's date
filters and the partition column can disagree, e.g. an invoice listed by its change date); they
are counted and logged, never dropped silently.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from netvisor_assets.frames import to_frame
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.netvisor.endpoints import Paging
from netvisor_assets.tables import Source, SyncMode, Table
from netvisor_assets.tables.schema import Column
from netvisor_assets.tables.source import Records
from netvisor_assets.warehouse.base import (
    LoadMode,
    SchemaConflictError,
    Target,
    Warehouse,
    WriteResult,
)

Log = Callable[[str], None]
# A long run says how far it is at most this often (each line is a Dagster event).
PROGRESS_SECONDS = 30.0
# Stored days either side of a window that say how busy the company is (see `_seed_density`).
NEIGHBOURHOOD_DAYS = 92

# One warehouse (DuckDB file, BigQuery dataset) holds one Netvisor company. The organisation
# that first synced into it is recorded here; another one is refused rather than mixed in.
ORGANISATION_TABLE = Table(
    name="_netvisor_organisation",
    description="The Netvisor company (Y-tunnus) this warehouse holds.",
    primary_key=("organisation_id",),
    mode=SyncMode.FULL_REFRESH,
    columns=(Column("organisation_id", "STRING", "Y-tunnus of the synced company."),),
)


class OtherCompanyError(SchemaConflictError):
    """The warehouse already holds another company's data."""


def stored_organisation(warehouse: Warehouse) -> str | None:
    """The organisation id the warehouse holds, None before its first sync."""
    if not warehouse.table_columns(ORGANISATION_TABLE.name):
        return None
    frame = warehouse.read(ORGANISATION_TABLE.name, columns=["organisation_id"])
    return next(iter(frame["organisation_id"].tolist()), None)


def claim_warehouse(warehouse: Warehouse, organisation_id: str, run_id: str) -> None:
    """Record the warehouse's company on first use; refuse a different one afterwards.

    Why: a customer who tried the demo company and then set their own credentials would
    otherwise get the demo's customers, vendors and products merged into their real ones.
    """
    stored = stored_organisation(warehouse)
    if stored is None:
        warehouse.replace_all(
            ORGANISATION_TABLE,
            to_frame(
                ORGANISATION_TABLE,
                [{"organisation_id": organisation_id}],
                run_id=run_id,
                synced_at=dt.datetime.now(dt.UTC),
            ),
        )
    elif stored != organisation_id:
        raise OtherCompanyError(
            f"this warehouse ({warehouse!r}) holds organisation {stored}, not "
            f"{organisation_id}: point NETVISOR_DUCKDB_PATH / BIGQUERY_DATASET at another "
            f"warehouse, or empty this one first (admin delete-all-data --confirm {stored})"
        )


@dataclass
class SourceSync:
    """What one fetch-and-write of a source did, for metadata and logs."""

    results: dict[str, WriteResult] = field(default_factory=dict)
    requests: int = 0
    windows: int = 0
    records: int = 0
    new_fields: list[str] = field(default_factory=list)
    outside_window: dict[str, int] = field(default_factory=dict)
    outside_sample: dict[str, list[str]] = field(default_factory=dict)
    # Rows the responses held per table (before the window filter), and rows staged after
    # identical duplicates collapsed: the `rows_accounted` check compares them with the table.
    returned: dict[str, int] = field(default_factory=dict)
    staged: dict[str, int] = field(default_factory=dict)
    # Rows dated on or before the period lock that differ from what was stored before.
    lock_date: dt.date | None = None
    locked_changes: dict[str, list[str]] = field(default_factory=dict)


PERIODS_TABLE = "accounting_periods"
LOCK_COLUMNS = ("accounting_period_lock_date", "vat_period_lock_date")


def stored_lock_date(warehouse: Warehouse) -> dt.date | None:
    """The last locked day (accounting or VAT, whichever is later), as last synced."""
    stored = warehouse.table_columns(PERIODS_TABLE) or {}
    columns = [c for c in LOCK_COLUMNS if c in stored]
    if not columns:
        return None
    frame = warehouse.read(PERIODS_TABLE, columns=columns)
    dates = [v for c in columns for v in frame[c].tolist() if isinstance(v, dt.date)]
    return max(dates, default=None)


def _fingerprints(table: Table, frame: pd.DataFrame, data: list[str]) -> dict[tuple, tuple]:
    # Values compare by value (Decimal 1.5 == 1.500000000), whatever scale each side has.
    keys = list(table.primary_key)
    out: dict[tuple, tuple] = {}
    for record in frame[data].astype(object).itertuples(index=False, name=None):
        row = tuple(None if pd.isna(v) else v for v in record)
        out[tuple(row[data.index(k)] for k in keys)] = row
    return out


def _locked_scope(
    table: Table, window: tuple[dt.date, dt.date] | None, lock: dt.date | None
) -> tuple[dt.date, dt.date] | None:
    if window is None or lock is None or table.partition_column is None or window[0] > lock:
        return None
    return window[0], min(window[1], lock)


def _changed_keys(before: dict[tuple, tuple], after: dict[tuple, tuple]) -> list[str]:
    changed = []
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        what = "added" if old is None else "removed" if new is None else "changed"
        changed.append(f"{', '.join(str(k) for k in key)} {what}")
    return changed


def sync_source(
    source: Source,
    tables: Sequence[Table],
    client: NetvisorClient,
    warehouse: Warehouse,
    *,
    run_id: str,
    window: tuple[dt.date, dt.date] | None = None,
    changed_since: dt.datetime | None = None,
    rebuild: bool = False,
    log: Log | None = None,
) -> SourceSync:
    """Fetch `source` and write `tables` (narrowed to the selected columns).

    `window` (inclusive dates) for partitioned sources; `changed_since` for a merge source's
    incremental run; `rebuild` makes every table exactly what Netvisor returns now (the admin
    full refresh: the new content is built aside and swapped in, never a missing table).
    """
    say = log or logging.getLogger(__name__).info
    outcome = SourceSync()
    partitioned = source.mode is SyncMode.PARTITIONED
    if partitioned and window is None:
        raise ValueError(f"{source.name} is partitioned: give a window")
    targets = [
        Target(
            table,
            _mode(source, rebuild),
            (window[0], window[1] + dt.timedelta(days=1)) if partitioned and window else None,
        )
        for table in tables
    ]
    claim_warehouse(warehouse, client.organisation_id, run_id)
    started = time.monotonic()
    before = client.requests_made
    synced_at = dt.datetime.now(dt.UTC)
    new_fields: set[str] = set()
    labels = {"dagster_run_id": run_id, "netvisor_source": source.name}
    # A locked day must sync to exactly what was stored: fingerprint what is stored first
    # (before the load holds the warehouse), and what the load stages.
    locked_before: dict[str, dict[tuple, tuple]] = {}
    compared: dict[str, list[str]] = {}
    stored_days: dict[str, set[dt.date]] = {}
    if source.follows_period_locks and window is not None and not rebuild:
        outcome.lock_date = stored_lock_date(warehouse)
        locked_before, compared, stored_days = _locked_fingerprints(
            tables, warehouse, window, outcome.lock_date
        )
    after: dict[str, dict[tuple, tuple]] = {name: {} for name in locked_before}
    for table in tables:
        outcome.returned[table.name] = 0
    next_progress = started + PROGRESS_SECONDS
    if window is not None and partitioned:
        _seed_density(source, client, warehouse, window)
    with warehouse.load(targets, labels=labels) as load:
        for records in _record_batches(source, client, window, changed_since):
            outcome.windows += 1
            outcome.records += len(records)
            new_fields |= set(source.unknown_fields(records))
            rows = source.to_rows(records)
            del records
            for table in tables:
                table_rows = rows[table.name]
                outcome.returned[table.name] += len(table_rows)
                if window is not None:
                    table_rows = _in_window(table, table_rows, window, outcome)
                frame = to_frame(table, table_rows, run_id=run_id, synced_at=synced_at)
                staged = load.stage(table.name, frame)
                if stored_days.get(table.name) and len(staged):
                    col = table.partition_column
                    locked = staged[staged[col].isin(stored_days[table.name])]
                    after[table.name].update(_fingerprints(table, locked, compared[table.name]))
            if window is not None and time.monotonic() > next_progress:
                next_progress = time.monotonic() + PROGRESS_SECONDS
                staged = ", ".join(f"{n} {c}" for n, c in load.staged.items())
                say(
                    f"{source.name}: {client.requests_made - before} requests, staged {staged}, "
                    f"{time.monotonic() - started:.1f} s"
                )
        outcome.staged = dict(load.staged)
        outcome.results = load.commit()
    for name, fingerprints in locked_before.items():
        outcome.locked_changes[name] = _changed_keys(fingerprints, after[name])
    outcome.requests = client.requests_made - before
    outcome.new_fields = sorted(new_fields)
    _report_outside(outcome, window, say)
    return outcome


def _seed_density(
    source: Source, client: NetvisorClient, warehouse: Warehouse, window: tuple[dt.date, dt.date]
) -> None:
    """Tell the client the source's density from the days stored around `window`.

    The planner's first window is a guess until a response has been counted (`planning`); a
    backfill runs month by month, each run with a new client, so without this every run would
    guess again. The stored header rows of the neighbouring days are the density: in a large
    company a month's first window of ledger is then two days, not twelve response budgets.
    Nothing stored (the first run into an empty warehouse): the resource's guess.
    """
    resource = source.endpoint.list
    table = source.tables[0]
    column = table.partition_column
    if resource.window is None or resource.paging is Paging.ABOVE_KEY or column is None:
        return
    if window[0] == window[1]:
        return  # a day is never cut (the changes sensor's runs): no query for nothing
    if not warehouse.table_columns(table.name):
        return
    span = dt.timedelta(days=NEIGHBOURHOOD_DAYS)
    stored = warehouse.read(
        table.name,
        columns=[column],
        where=f"({column} >= @a AND {column} < @b) OR ({column} > @c AND {column} <= @d)",
        params={
            "a": window[0] - span,
            "b": window[0],
            "c": window[1],
            "d": window[1] + span,
        },
    )[column]
    if stored.empty:
        return
    days = (stored.max() - stored.min()).days + 1  # partition columns are DATE
    client.known_density[resource.name] = len(stored) / days


def _locked_fingerprints(
    tables: Sequence[Table],
    warehouse: Warehouse,
    window: tuple[dt.date, dt.date],
    lock_date: dt.date | None,
) -> tuple[dict[str, dict[tuple, tuple]], dict[str, list[str]], dict[str, set[dt.date]]]:
    """Fingerprints of the stored rows on locked days of the window, per table, the columns
    compared (a column newly selected is not stored yet: both sides' columns only), and the
    locked days that hold stored rows.

    Only those days are compared: a locked day with nothing stored was never synced (a later
    run of a first sync or backfill, into a table an earlier run created), so what it brings is
    new, not changed. Comparing it against nothing would count every row as added, and hold a
    fingerprint of every row the run writes. Assumed: a locked day synced while empty that
    later gains a row is not reported (no stored row says it was synced).
    """
    fingerprints: dict[str, dict[tuple, tuple]] = {}
    compared: dict[str, list[str]] = {}
    days: dict[str, set[dt.date]] = {}
    for table in tables:
        scope = _locked_scope(table, window, lock_date)
        existing = warehouse.table_columns(table.name)
        if scope is None or not existing:
            continue
        compared[table.name] = [
            c.name for c in table.columns if c.name in existing and not c.moves_after_lock
        ]
        col = table.partition_column
        assert col is not None  # a locked scope needs a partition column
        columns = list(dict.fromkeys([*compared[table.name], col]))
        stored = warehouse.read(
            table.name,
            columns=columns,
            where=f"{col} >= @first AND {col} <= @last",
            params={"first": scope[0], "last": scope[1]},
        )
        fingerprints[table.name] = _fingerprints(table, stored, compared[table.name])
        days[table.name] = set(stored[col].tolist())
    return fingerprints, compared, days


def _report_outside(outcome: SourceSync, window: tuple[dt.date, dt.date] | None, say: Log) -> None:
    for name, count in outcome.outside_window.items():
        say(
            f"{name}: {count} rows dated outside {window[0]}..{window[1]} were not written "
            f"(e.g. {', '.join(outcome.outside_sample[name])})"
            if window
            else f"{name}: {count} rows outside the window"
        )


def _mode(source: Source, rebuild: bool) -> LoadMode:
    if rebuild or source.mode is SyncMode.FULL_REFRESH:
        return "replace"
    if source.mode is SyncMode.MERGE:
        return "merge"
    return "window"


def _record_batches(
    source: Source,
    client: NetvisorClient,
    window: tuple[dt.date, dt.date] | None,
    changed_since: dt.datetime | None,
) -> Iterator[Records]:
    """About one response's records at a time over the window, or everything of an
    unpartitioned source, fetched one step ahead (`prefetched`)."""
    if window is not None:
        return prefetched(source.stream_window(client, window[0], window[1]))
    if changed_since is not None and source.has_change_filter:
        return iter([source.fetch_changed(client, changed_since)])
    return iter([source.fetch_all(client)])


_DONE = object()


def prefetched(batches: Iterator[Records], depth: int = 1) -> Iterator[Records]:
    """`batches`, with the next one fetched in a thread while the caller writes this one.

    Why: Netvisor allows one request in flight per company, so its round trips cannot overlap
    each other, but they can overlap our own work: while a batch becomes rows, frames and staged
    tables, the next request is already waiting on Netvisor. The company's gate keeps one
    request in flight whichever thread asks (`paging.stream` fetches detail batches in one of
    its own); at most `depth` batches wait, so memory stays one window's
    worth. A failure in the thread is raised here; leaving early stops the thread.
    """
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fill() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        ready.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            ready.put(exc)

    worker = threading.Thread(target=fill, name="netvisor-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.1)
        worker.join()


def _in_window(
    table: Table, rows: list[dict], window: tuple[dt.date, dt.date], outcome: SourceSync
) -> list[dict]:
    # Netvisor's date filters are inclusive on both ends; this also guarantees that nothing
    # dated before the ledger start date ever lands, whatever the API returns.
    column = table.partition_column
    assert column is not None
    first, last = window
    kept = [r for r in rows if r.get(column) is not None and first <= r[column] <= last]
    dropped = len(rows) - len(kept)
    if dropped:
        outcome.outside_window[table.name] = outcome.outside_window.get(table.name, 0) + dropped
        sample = outcome.outside_sample.setdefault(table.name, [])
        for r in rows:
            if len(sample) >= 3:
                break
            if r.get(column) is None or not first <= r[column] <= last:
                key = ", ".join(str(r.get(k)) for k in table.primary_key)
                sample.append(f"{key} dated {r.get(column)}")
    return kept
