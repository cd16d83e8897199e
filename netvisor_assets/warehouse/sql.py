"""SQL text shared by the backends: safe identifiers, `where` fragments, type names, schema
evolution plans and the statement pieces both dialects spell alike.

Identifiers are spliced into SQL text, so every one passes `check_identifier` first; values
never do (they travel as query parameters or loaded data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from netvisor_assets.tables.schema import Table
from netvisor_assets.warehouse.errors import SchemaConflictError, WarehouseError

# Lower case, starts with a letter or underscore, short enough for BigQuery and DuckDB alike.
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,127}$")


def check_identifier(name: str, what: str = "identifier") -> str:
    """Return `name` if it is a safe SQL identifier; identifiers are spliced into SQL text."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise WarehouseError(
            f"invalid {what} {name!r}: use lower-case letters, digits and underscores "
            "(starting with a letter or underscore, at most 128 characters)"
        )
    return name


def check_table(table: Table) -> None:
    """Validate every identifier of a table before any SQL is built from it."""
    check_identifier(table.name, "table name")
    for col in table.all_columns:
        check_identifier(col.name, f"column name in table {table.name}")


def normalise_type(raw: str) -> str:
    """Map a backend's type name onto the registry's `WarehouseType` vocabulary."""
    upper = raw.upper().strip()
    if upper.startswith(("DECIMAL", "NUMERIC")):
        return "NUMERIC"
    if upper in ("BIGINT", "INTEGER", "INT64", "INT"):
        return "INT64"
    if upper in ("BOOLEAN", "BOOL"):
        return "BOOL"
    if upper in ("VARCHAR", "STRING", "TEXT"):
        return "STRING"
    if upper in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "TIMESTAMP"):
        return "TIMESTAMP"
    return upper


def plan_new_columns(table: Table, existing: Mapping[str, str]) -> list[str]:
    """Columns to add before a load; raise on a stored type that differs from the registry."""
    added = []
    for col in table.all_columns:
        stored = existing.get(col.name)
        if stored is None:
            added.append(col.name)
        elif stored != col.type:
            raise SchemaConflictError(
                f"table {table.name}, column {col.name}: stored as {stored}, registry says "
                f"{col.type}; an incremental load cannot change the type of stored rows "
                "(run a full refresh or migrate the column)"
            )
    return added


def check_where(where: str | None, params: Mapping[str, Any] | None) -> list[str]:
    """Validate a `where` fragment's `@name` parameters; return the names it uses."""
    if where is None:
        if params:
            raise WarehouseError("query parameters given without a where clause")
        return []
    names = re.findall(r"@(\w+)", where)
    for name in names:
        check_identifier(name, "query parameter name")
    missing = sorted(set(names) - set(params or {}))
    if missing:
        raise WarehouseError(f"where clause uses parameters {missing} that were not given")
    return names


# The row count of `Warehouse.group_counts`: no registry column starts with an underscore.
ROWS_COLUMN = "_rows"


class Quoter:
    """How one backend quotes identifiers (DuckDB `"name"`, BigQuery `` `name` ``), and the
    statement pieces built from quoted names that both backends write the same way."""

    def __init__(self, mark: str) -> None:
        self.mark = mark

    def __call__(self, name: str) -> str:
        return f"{self.mark}{check_identifier(name)}{self.mark}"

    def cols(self, names: Iterable[str], prefix: str = "") -> str:
        """A comma-separated column list, each name quoted and prefixed (`s.`)."""
        return ", ".join(prefix + self(n) for n in names)

    def key_match(self, keys: Iterable[str], left: str = "t", right: str = "s") -> str:
        """`left.k = right.k AND ...`: the rows of two relations that share a primary key."""
        return " AND ".join(f"{left}.{self(k)} = {right}.{self(k)}" for k in keys)

    def assignments(self, names: Iterable[str], source: str = "s") -> str:
        """`c = s.c, ...`: an upsert's UPDATE SET list ("" when there is nothing to set)."""
        return ", ".join(f"{self(n)} = {source}.{self(n)}" for n in names)

    def select(
        self, ref: str, names: Iterable[str], where: str | None, more_than: int | None = None
    ) -> str:
        """`SELECT cols FROM ref [WHERE ...]`, or with `more_than` the distinct values of the
        columns and their row counts (`ROWS_COLUMN`), only those held by more rows than that."""
        cols = self.cols(names)
        if more_than is None:
            return f"SELECT {cols} FROM {ref}" + (f" WHERE {where}" if where else "")
        sql = f"SELECT {cols}, COUNT(*) AS {self(ROWS_COLUMN)} FROM {ref}"
        if where:
            sql += f" WHERE {where}"
        return f"{sql} GROUP BY {cols} HAVING COUNT(*) > {int(more_than)}"

    def insert_select(self, target: str, names: Iterable[str], source: str) -> str:
        """`INSERT INTO target (cols) SELECT cols FROM source` (both references quoted)."""
        cols = self.cols(names)
        return f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {source}"
