"""A source: one set of Netvisor requests and the warehouse tables filled from it.

A document's header and its lines come from the same responses, so they form one source (and
one Dagster multi-asset). Each source knows how to fetch its records for a date window, for
everything, or for what changed, and how to turn records into rows for each of its tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from netvisor_assets.netvisor import paging
from netvisor_assets.netvisor.endpoints import Endpoint
from netvisor_assets.netvisor.fields import FieldType
from netvisor_assets.tables.columns import as_list, pick, row
from netvisor_assets.tables.schema import SyncMode, Table

if TYPE_CHECKING:
    from netvisor_assets.netvisor.client import NetvisorClient

Records = list[dict[str, Any]]
# The parser's value type of each warehouse type (JSON columns hold groups: their leaves are
# typed by their own keys).
PARSER_TYPES: dict[str, FieldType] = {
    "INT64": "int",
    "NUMERIC": "decimal",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "BOOL": "bool",
    "STRING": "str",
    "JSON": "str",
}
Change = tuple[int, "dt.date | None"]
Rows = dict[str, list[dict[str, Any]]]


class Rerun(Enum):
    """How the changes sensor turns what changed into days to re-sync."""

    # Documents with a change filter: the days of the documents that changed or were deleted.
    CHANGED_DAYS = "changed days"
    # No change filter (paymentlist.nv): every day since the last tick.
    NEW_DAYS = "new days"
    # Cumulative figures (balances): every day from the first day another source changed on, up
    # to today and any later day already stored, since a posting moves every later balance.
    FROM_FIRST_CHANGE = "from the first changed day of `moved_by`"


@dataclass(frozen=True)
class Source:
    """How one group of tables is fetched and parsed: the request as data, and behaviour.

    `endpoint` says which requests read the records (the client runs it, nothing per source
    is coded); the rest names what the sync, the sensor and the checks do with the source.
    """

    name: str
    description: str
    tables: tuple[Table, ...]
    to_rows: Callable[[Records], Rows]
    endpoint: Endpoint
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
    # The weekly completeness reconciliation lists the source's keys month by month.
    reconciled_by_listing: bool = False
    # Partitioned sources: how the sensor finds days to re-run, and (FROM_FIRST_CHANGE) the
    # source whose changed days move this one.
    rerun: Rerun = Rerun.CHANGED_DAYS
    moved_by: str | None = None
    # Types of record fields no column reads but that matter: list-row fields the client reads
    # (a document's date), fields inside JSON columns, list rows kept under `list`.
    field_types: Mapping[str, FieldType] = field(default_factory=dict)

    def record_types(self) -> dict[str, FieldType]:
        """Every typed record key of this source: its columns' leaves and `field_types`."""
        types = {
            col.source.rsplit(".", 1)[-1]: PARSER_TYPES[col.type]
            for table in self.tables
            for col in table.columns
            if col.source is not None and PARSER_TYPES[col.type] != "str"
        }
        return {**types, **self.field_types}

    def fetch_window(self, client: NetvisorClient, first: dt.date, last: dt.date) -> Records:
        """Records whose document date lies in [first, last] (inclusive)."""
        return client.fetch(self.endpoint, window=(first, last))

    def stream_window(
        self, client: NetvisorClient, first: dt.date, last: dt.date
    ) -> Iterator[Records]:
        """The same records about a response at a time, in the fewest requests (`planning`)."""
        return paging.stream(client, self.endpoint, first, last)

    def fetch_all(self, client: NetvisorClient) -> Records:
        return client.fetch(self.endpoint)

    def fetch_changed(self, client: NetvisorClient, since: dt.datetime) -> Records:
        """Merge sources: the records changed since `since`."""
        if self.endpoint.changes_by == "modified":
            return client.fetch(self.endpoint, modified=(since, None))
        return client.fetch(self.endpoint, changed_since=since)

    def resources_of(self, table: Table) -> tuple[str, ...]:
        """The Netvisor resources a table's rows come from: all of the source's for its first
        table (deletions included), the detail resource for its lines."""
        endpoint = self.endpoint
        if table is not self.tables[0]:
            return ((endpoint.detail or endpoint.list).name,)
        deleted = (f"deleted{self.deleted_kind}.nv",) if self.deleted_kind else ()
        return (*endpoint.resources, *deleted)

    @property
    def has_change_filter(self) -> bool:
        return self.endpoint.changes_by is not None

    def changes(self, client: NetvisorClient, start: dt.datetime, end: dt.datetime) -> list[Change]:
        """The cheapest request(s) that tell which documents changed in [start, end]: their
        keys and document dates (None for tables without dates). One list call on a quiet
        day."""
        return paging.changes(client, self.endpoint, start, end)

    def list_keys(self, client: NetvisorClient, first: dt.date, last: dt.date) -> list[Change]:
        """(key, date) of every document dated in the window: the cheapest listing."""
        return paging.listed_keys(client, self.endpoint, first, last)

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


def table_source(table: Table, description: str, endpoint: Endpoint, **kwargs: Any) -> Source:
    """A source that fills one table, one row per record, named after its table."""
    return Source(
        name=table.name,
        description=description,
        tables=(table,),
        to_rows=single_table_rows(table),
        endpoint=endpoint,
        **kwargs,
    )


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


def day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Days as contiguous inclusive ranges, in order: one run per range."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out
