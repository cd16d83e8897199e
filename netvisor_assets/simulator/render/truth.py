"""`expected_record`: the ground truth, what a fields.py parser reads back from a rendered
record, computed from the same shapes and leaf formatting as the renderer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from netvisor_assets.netvisor.fields import REPEATED
from netvisor_assets.simulator.render.document import (
    is_leaf_with_attrs,
    shape_of,
)
from netvisor_assets.simulator.render.leaves import (
    format_attribute,
    format_leaf,
    parse_leaf,
)
from netvisor_assets.simulator.render.spelling import (
    DEFAULT_STYLE,
    Style,
)

# --- expected parse result (ground truth) ----------------------------------------------------
#
# The ground truth walks the same shapes the renderer writes and applies the client parser's
# rules (`netvisor_assets.netvisor.xml.element_to_record`): a group's attributes become keys,
# children declared in REPEATED start as [] and collect every non-empty occurrence (leaf with
# attributes -> {"value", attr...}), other children keep one value or become a list when they
# repeat, a leaf's attributes become `<child>_<attr>` keys, `format` is ignored.


@dataclass(frozen=True)
class _Occurrence:
    key: str
    group: Mapping[str, Any] | None  # a node rendered with child elements
    text: str = ""
    attributes: tuple[tuple[str, str], ...] = ()  # (normalised attribute name, raw value)

    @property
    def empty(self) -> bool:
        return self.group is None and not self.text.strip() and not self.attributes


_REPEATED_BY_PARENT: dict[str, tuple[str, ...]] = {}
for _parent, _child in sorted(REPEATED):
    _REPEATED_BY_PARENT[_parent] = (*_REPEATED_BY_PARENT.get(_parent, ()), _child)


def _renders_empty(key: str, node: Mapping[str, Any]) -> bool:
    shape = shape_of(key, node)
    return all(isinstance(node[c], list) and not node[c] for c, _ in shape.children)


def _own_attributes(key: str, node: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (k, format_attribute(k, node[k]))
        for k, _name in shape_of(key, node).attributes
        if node[k] is not None
    )


def _occurrences(node_key: str, node: Mapping[str, Any], style: Style) -> Iterator[_Occurrence]:
    for child, leaf_attrs in shape_of(node_key, node).children:
        value = node[child]
        for item in value if isinstance(value, list) else (value,):
            if is_leaf_with_attrs(item):
                attrs = tuple(
                    (k, format_attribute(k, v))
                    for k, v in item.items()
                    if k != "value" and not k.startswith("_") and v is not None
                )
                yield _Occurrence(child, None, format_leaf(child, item["value"], style)[0], attrs)
            elif isinstance(item, Mapping):
                if _renders_empty(child, item):
                    yield _Occurrence(child, None, "", _own_attributes(child, item))
                else:
                    yield _Occurrence(child, item)
            else:
                attrs = ()
                if not isinstance(value, list):
                    attrs = tuple(
                        (k.partition("_")[2], format_attribute(k, node[k]))
                        for k, _name in leaf_attrs
                        if node[k] is not None
                    )
                yield _Occurrence(child, None, format_leaf(child, item, style)[0], attrs)


def _put(record: dict[str, Any], key: str, value: Any) -> None:
    if key in record:
        existing = record[key]
        if isinstance(existing, _Merged):
            existing.append(value)
        else:
            record[key] = _Merged([existing, value])
    else:
        record[key] = value


class _Merged(list):
    """A list made because a child not declared in REPEATED occurred more than once."""


def expected_record(key: str, node: Mapping[str, Any], style: Style = DEFAULT_STYLE) -> dict:
    """The dict the client's parser produces from element `key` rendered from `node`."""
    record: dict[str, Any] = {}
    for name, raw in _own_attributes(key, node):
        record[name] = parse_leaf(name, raw)
    repeated = _REPEATED_BY_PARENT.get(key, ())
    for child in repeated:
        record[child] = []
    for occ in _occurrences(key, node, style):
        if occ.key in repeated:
            if occ.group is not None:
                record[occ.key].append(expected_record(occ.key, occ.group, style))
            elif not occ.empty:
                value = parse_leaf(occ.key, occ.text)
                attrs = {a: parse_leaf(f"{occ.key}_{a}", raw) for a, raw in occ.attributes}
                record[occ.key].append({"value": value, **attrs} if attrs else value)
            continue
        if occ.group is not None:
            _put(record, occ.key, expected_record(occ.key, occ.group, style))
            continue
        _put(record, occ.key, parse_leaf(occ.key, occ.text))
        for a, raw in occ.attributes:
            _put(record, f"{occ.key}_{a}", parse_leaf(f"{occ.key}_{a}", raw))
    return _plain(record)


def _plain(value: Any) -> Any:
    if isinstance(value, _Merged):
        return list(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
