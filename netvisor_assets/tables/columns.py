"""A compact way to declare columns, and the generic record -> row conversion.

A column is declared by the Netvisor element path it comes from (`Group/Element`, or
`Element@attribute` for an attribute) and its warehouse type (STRING unless said); its lower
snake case name is derived from the path. The column's type is also what the parser coerces
that element to (`netvisor_assets.tables.FIELD_TYPES`), so the two can never disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from netvisor_assets.netvisor.fields import normalise_name
from netvisor_assets.tables.schema import Column, WarehouseType

_WAREHOUSE_TYPES: dict[str, WarehouseType] = {
    "int": "INT64",
    "decimal": "NUMERIC",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "bool": "BOOL",
    "str": "STRING",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """`SalesInvoiceNetvisorKey` -> `sales_invoice_netvisor_key`."""
    return re.sub(r"[^a-z0-9]+", "_", _CAMEL.sub("_", name).lower()).strip("_")


def record_path(path: str) -> str:
    """Element path as written in a table entry -> dotted key path into a record.

    `Group/Element` walks nested groups, `Element@attr` is an attribute of a leaf and
    `@attr` an attribute of the record element itself.
    """
    element_path, _, attribute = path.partition("@")
    if not element_path:
        # An attribute of the record element itself (`<Voucher status="valid">`).
        return normalise_name(attribute)
    keys = [normalise_name(part) for part in element_path.split("/")]
    if attribute:
        keys[-1] = f"{keys[-1]}_{normalise_name(attribute)}"
    return ".".join(keys)


def c(
    path: str,
    name: str | None = None,
    description: str | None = None,
    *,
    personal: bool = False,
    type: WarehouseType = "STRING",  # noqa: A002 - mirrors Column.type
    allowed: tuple[str, ...] = (),
    minimum: int | None = None,
    maximum: int | None = None,
    moves_after_lock: bool = False,
) -> Column:
    """Declare a column sourced from a record path."""
    source = record_path(path)
    if name is None:
        element, _, attribute = path.rpartition("/")[2].partition("@")
        name = snake(element) + (f"_{snake(attribute)}" if attribute else "")
    if description is None:
        description = f"Netvisor element `{path}`."
    return Column(
        name=name,
        type=type,
        description=description,
        personal=personal,
        source=source,
        allowed=allowed,
        minimum=minimum,
        maximum=maximum,
        moves_after_lock=moves_after_lock,
    )


def computed(
    name: str,
    type: WarehouseType,  # noqa: A002 - mirrors Column.type
    description: str,
    *,
    personal: bool = False,
    minimum: int | None = None,
) -> Column:
    """A column the table's parser fills itself (no record path)."""
    return Column(name=name, type=type, description=description, personal=personal, minimum=minimum)


def pick(record: Mapping[str, Any], source: str) -> Any:
    """Value at a dotted path; None where any step is missing (optional elements)."""
    value: Any = record
    for key in source.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
        if value is None:
            return None
    return value


def as_list(value: Any) -> list[Any]:
    """A repeated element's value as a list (None -> [])."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def to_json(value: Any) -> str | None:
    """Nested or repeated values (dimensions, foreign names) stored as a JSON string."""
    if value in (None, [], {}):
        return None

    def default(obj: Any) -> str:
        if isinstance(obj, Decimal | dt.date | dt.datetime):
            return str(obj) if isinstance(obj, Decimal) else obj.isoformat()
        raise TypeError(f"cannot store {type(obj).__name__} as JSON")

    return json.dumps(value, default=default, ensure_ascii=False, sort_keys=True)


def row(record: Mapping[str, Any], columns: Sequence[Column], **computed_values: Any) -> dict:
    """One warehouse row from one record: every sourced column, plus the computed ones."""
    out: dict[str, Any] = {}
    for column in columns:
        if column.source is not None:
            value = pick(record, column.source)
            if column.type == "STRING" and isinstance(value, list | dict):
                value = to_json(value)
            out[column.name] = value
    out.update(computed_values)
    return out


def known_paths(columns: Iterable[Column]) -> set[str]:
    """Record paths a table consumes (used to report fields nobody selected)."""
    return {col.source for col in columns if col.source is not None}
