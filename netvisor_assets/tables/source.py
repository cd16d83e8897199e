"""A source: one set of Netvisor requests and the warehouse tables filled from it.

A document's header and its lines come from the same responses, so they form one source (and
one Dagster multi-asset). Each source knows how to fetch its records for a date window, for
everything, or for what changed, and how to turn records into rows for each of its tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netvisor_assets.tables.columns import as_list, pick, row
from netvisor_assets.tables.schema import Column, SyncMode, Table

if TYPE_CHECKING:
    from netvisor_assets.netvisor.client import NetvisorClient

Records = list[dict[str, Any]]
Change = tuple[int, "dt.date | None"]
Rows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Source:
    """How one group of tables is fetched and parsed."""

    name: str
    description: str
    tables: tuple[Table, ...]
    to_rows: Callable[[Records], Rows]
    # Partitioned sources: records whose document date lies in [first, last] (inclusive).
    fetch_window: Callable[[NetvisorClient, dt.date, dt.date], Records] | None = None
    # Merge and full-refresh sources: every record, or those changed since a timestamp.
    fetch_all: Callable[[NetvisorClient], Records] | None = None
    fetch_changed: Callable[[NetvisorClient, dt.datetime], Records] | None = None
    # The cheapest request(s) that tell which documents changed in [start, end]: their keys
    # and document dates (None for tables without dates). One list call on a quiet day.
    changes: Callable[[NetvisorClient, dt.datetime, dt.datetime], list[Change]] | None = None
    # Kind name of the deleted*.nv resource, where Netvisor reports deletions.
    deleted_kind: str | None = None
    # The longest date range one list request should cover; longer windows are split so a
    # response stays bounded (Netvisor documents no row cap for most list resources).
    max_days_per_request: int = 31
    # Where a document's lines sit in its record (the second table's rows), if anywhere.
    lines_path: str | None = None
    # Record paths a parser reads without a column `source` (computed columns).
    extra_known_paths: frozenset[str] = frozenset()
    # Documents that post to the books: nothing dated in a locked accounting or VAT period may
    # change (checked on every sync of a locked day).
    follows_period_locks: bool = False
    # The cheapest list call that tells which documents a date window holds: (key, date)
    # pairs, for the weekly completeness reconciliation.
    list_keys: Callable[[NetvisorClient, dt.date, dt.date], list[Change]] | None = None

    @property
    def mode(self) -> SyncMode:
        return self.tables[0].mode

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def known_paths(self) -> set[str]:
        """Every record path some registry column of this source reads."""
        known = set(self.extra_known_paths)
        for index, table in enumerate(self.tables):
            prefix = f"{self.lines_path}." if index > 0 and self.lines_path else ""
            known |= {prefix + col.source for col in table.columns if col.source is not None}
        return known

    def unknown_fields(self, records: Records) -> list[str]:
        """Fields the API returned that no registry column reads, sorted.

        Such a field is never added to the warehouse by itself: it is reported so the user can
        add it to the registry and the selection deliberately.
        """
        known = self.known_paths()
        seen: set[str] = set()
        for record in records:
            seen |= leaf_paths(record)
        return sorted(p for p in seen if not _covered(p, known))


def leaf_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every leaf in a record; list items share their list's path."""
    paths: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key.startswith("_"):
                continue
            paths |= leaf_paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        # An empty list is the parser's "none of these", not a field Netvisor returned.
        for item in value:
            paths |= leaf_paths(item, prefix)
    elif prefix:
        paths.add(prefix)
    return paths


def _covered(path: str, known: set[str]) -> bool:
    # A column over a group or a list (stored as JSON) covers everything beneath it.
    parts = path.split(".")
    return any(".".join(parts[:i]) in known for i in range(1, len(parts) + 1))


def single_table_rows(table: Table) -> Callable[[Records], Rows]:
    """Rows for a source with one table: one row per record."""

    def to_rows(records: Records) -> Rows:
        return {table.name: [row(r, table.columns) for r in records]}

    return to_rows


def header_and_lines(header: Table, lines: Table, lines_path: str) -> Callable[[Records], Rows]:
    """Rows for a document source: one header row per record, one line row per line.

    Every line carries its document's key and partition date (same column names in both
    tables), so a line table can be partitioned and joined on its own. `line_position`
    numbers lines from 1 in document order: older Netvisor responses have no line key, and
    the position is what keeps lines apart there.
    """
    carried = [*header.primary_key, header.partition_column]

    def to_rows(records: Records) -> Rows:
        header_rows: list[dict[str, Any]] = []
        line_rows: list[dict[str, Any]] = []
        for record in records:
            head = row(record, header.columns)
            header_rows.append(head)
            shared = {name: head[name] for name in carried}
            for position, line in enumerate(as_list(pick(record, lines_path)), start=1):
                line_rows.append(row(line, lines.columns, **shared, line_position=position))
        return {header.name: header_rows, lines.name: line_rows}

    return to_rows


def document_source(
    name: str, description: str, header: Table, lines: Table, lines_path: str, **kwargs: Any
) -> Source:
    """A source whose records are documents with lines at `lines_path` (header + lines)."""
    return Source(
        name=name,
        description=description,
        tables=(header, lines),
        to_rows=header_and_lines(header, lines, lines_path),
        lines_path=lines_path,
        **kwargs,
    )


def month_windows(first: dt.date, last: dt.date, max_days: int) -> list[tuple[dt.date, dt.date]]:
    """Split [first, last] into inclusive windows of at most `max_days`, cut at month ends.

    Cutting at month ends keeps request ranges aligned with how Netvisor users think about
    periods, and makes a re-run of the same month send the same requests.
    """
    windows: list[tuple[dt.date, dt.date]] = []
    start = first
    while start <= last:
        next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(last, next_month - dt.timedelta(days=1), start + dt.timedelta(days=max_days - 1))
        windows.append((start, end))
        start = end + dt.timedelta(days=1)
    return windows


def day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Days as contiguous inclusive ranges, in order: one run per range."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def columns_by_name(columns: Sequence[Column]) -> dict[str, Column]:
    return {col.name: col for col in columns}
