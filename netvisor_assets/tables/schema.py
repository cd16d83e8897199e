"""The shape of a table entry: what every other layer derives its behaviour from.

One `Table` describes one warehouse table: its key, partition column, sync mode and columns
with exact warehouse types (the Netvisor resources it comes from are its source's endpoint).
The asset factory, the warehouse DDL, the pandera schema, the column selection and the README's
table reference are all generated from these.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

WarehouseType = Literal["STRING", "INT64", "NUMERIC", "DATE", "TIMESTAMP", "BOOL"]

# NUMERIC in BigQuery holds 9 decimal places; DuckDB gets the same scale so both backends
# store identical values. A value with more digits fails loudly instead of being rounded.
NUMERIC_SCALE = 9
NUMERIC_PRECISION = 38


class SyncMode(enum.StrEnum):
    """How a table is kept current."""

    PARTITIONED = "partitioned"  # daily partitions of the document date, replaced per window
    MERGE = "merge"  # upserted on the primary key
    FULL_REFRESH = "full_refresh"  # replaced whole on every run


@dataclass(frozen=True)
class Column:
    """One warehouse column.

    `source` is the path into a client record (keys joined by `.`), used by the table parsers;
    None for columns the parser computes itself.
    """

    name: str
    type: WarehouseType
    description: str
    personal: bool = False
    source: str | None = None
    # What a value may be, checked by the pandera schema on every materialization (`checks`):
    # a closed set of codes, and inclusive bounds where they hold for every company.
    allowed: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    # Follows the document's life, not its booking (payment status, open amount): it may move
    # after the period is locked, so the locked-period check does not compare it.
    moves_after_lock: bool = False


SYSTEM_COLUMNS: tuple[Column, ...] = (
    Column("_synced_at", "TIMESTAMP", "When this row was written by the sync (UTC)."),
    Column("_run_id", "STRING", "Dagster run that wrote this row."),
)


@dataclass(frozen=True)
class Table:
    """One warehouse table and how it is synced."""

    name: str
    description: str
    primary_key: tuple[str, ...]
    mode: SyncMode
    columns: tuple[Column, ...]
    partition_column: str | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        for key in self.primary_key:
            if key not in names:
                raise ValueError(f"table {self.name}: primary key {key!r} is not a column")
        if (self.mode is SyncMode.PARTITIONED) != (self.partition_column is not None):
            raise ValueError(f"table {self.name}: partitioned tables need a partition column")
        if self.partition_column is not None:
            col = self.column(self.partition_column)
            if col.type != "DATE":
                raise ValueError(f"table {self.name}: partition column must be DATE")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Data columns followed by the system columns every row carries."""
        return self.columns + SYSTEM_COLUMNS

    def column(self, name: str) -> Column:
        for col in self.all_columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")

    def with_columns(self, names: Iterable[str]) -> Table:
        """The same table narrowed to the given data columns (key and partition always kept)."""
        wanted = set(names) | set(self.primary_key)
        if self.partition_column:
            wanted.add(self.partition_column)
        unknown = wanted - set(self.column_names) - {c.name for c in SYSTEM_COLUMNS}
        if unknown:
            raise KeyError(f"table {self.name} has no columns {sorted(unknown)}")
        return replace(self, columns=tuple(c for c in self.columns if c.name in wanted))
