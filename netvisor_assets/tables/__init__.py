"""The table registry: the single source of truth for every warehouse table.

Adding a table is one `Table` entry plus the `Source` that declares its requests and parses it,
in its family's module; the assets, the warehouse DDL, the checks, the column selection and the
README's table reference are all derived from `SOURCES` (docs/ARCHITECTURE.md: "Add a table").
"""

from __future__ import annotations

from netvisor_assets.netvisor.fields import FieldType
from netvisor_assets.tables import ledger, partners, purchases, reference, sales
from netvisor_assets.tables.schema import SYSTEM_COLUMNS, Column, SyncMode, Table
from netvisor_assets.tables.source import Source

# One module per family, the same family names as the simulator's; a new table is one entry in
# its family's `SOURCES`, and everything else (assets, DDL, checks, selection, docs) follows.
FAMILIES = (ledger, sales, purchases, partners, reference)
SOURCES: tuple[Source, ...] = tuple(src for family in FAMILIES for src in family.SOURCES)

# deleted*.nv answers share one shape whatever the source.
_DELETION_FIELD_TYPES: dict[str, FieldType] = {
    "netvisorkey": "int",
    "deletedate": "datetime",
    "timestamp": "datetime",
}


def _field_types() -> dict[str, FieldType]:
    types = dict(_DELETION_FIELD_TYPES)
    for source in SOURCES:
        for key, kind in source.record_types().items():
            if types.setdefault(key, kind) != kind:
                raise ValueError(f"record field {key!r} is typed {types[key]} and {kind}")
    return types


# The parser's types, by record key: the registry is the one place a field's type is declared
# (`netvisor_assets.netvisor.fields.field_type` reads this).
FIELD_TYPES: dict[str, FieldType] = _field_types()
TABLES: dict[str, Table] = {table.name: table for src in SOURCES for table in src.tables}
SOURCE_OF_TABLE: dict[str, Source] = {t.name: src for src in SOURCES for t in src.tables}


def get_table(name: str) -> Table:
    """The registry entry of a warehouse table."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown Netvisor table {name!r}; known: {', '.join(TABLES)}") from None


def get_source(name: str) -> Source:
    """The source with this name."""
    for source in SOURCES:
        if source.name == name:
            return source
    raise KeyError(f"unknown Netvisor source {name!r}")


__all__ = [
    "FAMILIES",
    "FIELD_TYPES",
    "SOURCES",
    "SOURCE_OF_TABLE",
    "SYSTEM_COLUMNS",
    "TABLES",
    "Column",
    "Source",
    "SyncMode",
    "Table",
    "get_source",
    "get_table",
]
