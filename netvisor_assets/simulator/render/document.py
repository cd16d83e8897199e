"""Records -> XML: the shape of a record node, elements, and documents streamed in chunks of
about 32 KiB with Netvisor's envelope, so a response over the whole company never exists as
one string."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from netvisor_assets.simulator.render.leaves import (
    finnish_datetime,
    format_attribute,
    format_leaf,
)
from netvisor_assets.simulator.render.spelling import (
    ATTRIBUTE_NAMES,
    CHUNK_SIZE,
    DECIMAL_POINT_KEYS,
    DEFAULT_STYLE,
    GROUP_ATTRIBUTES,
    INDENT,
    NL,
    XML_DECLARATION,
    Style,
)
from netvisor_assets.timezone import HELSINKI

# --- structure ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """How one dict node renders: own attributes, then children with their leaf attributes."""

    attributes: tuple[tuple[str, str], ...]  # (record key, XML attribute name)
    children: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (key, ((attr key, name),))


@lru_cache(maxsize=4096)
def _shape(node_key: str, keys: tuple[str, ...]) -> _Shape:
    own = GROUP_ATTRIBUTES.get(node_key, {})
    present = set(keys)
    attributes = tuple((k, own[k]) for k in keys if k in own)
    leaf_attrs: dict[str, list[tuple[str, str]]] = {}
    children: list[str] = []
    for key in keys:
        if key.startswith("_") or key in own:
            continue
        element, sep, attr = key.partition("_")
        if sep and element in present:
            name = ATTRIBUTE_NAMES.get(attr, attr)
            leaf_attrs.setdefault(element, []).append((key, name))
            continue
        children.append(key)
    return _Shape(
        attributes=attributes,
        children=tuple((c, tuple(leaf_attrs.get(c, ()))) for c in children),
    )


def shape_of(node_key: str, node: Mapping[str, Any]) -> _Shape:
    return _shape(node_key, tuple(node))


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attr(text: str) -> str:
    text = _escape(text)
    return text.replace('"', "&quot;") if '"' in text else text


def is_leaf_with_attrs(value: Any) -> bool:
    return isinstance(value, Mapping) and "value" in value


def render_element(
    out: list[str], key: str, value: Any, depth: int, style: Style = DEFAULT_STYLE
) -> None:
    """Append the lines of element `key` holding `value` (leaf, group or list) to `out`."""
    if isinstance(value, list):
        for item in value:
            render_element(out, key, item, depth, style)
        return
    pad = INDENT * depth
    name = style.element(key)
    if is_leaf_with_attrs(value):
        attrs = "".join(
            f' {ATTRIBUTE_NAMES.get(k, k)}="{_escape_attr(format_attribute(k, v))}"'
            for k, v in value.items()
            if k != "value" and not k.startswith("_")
        )
        _render_leaf(out, pad, name, key, value["value"], attrs, style)
        return
    if isinstance(value, Mapping):
        _render_group(out, key, value, depth, style)
        return
    _render_leaf(out, pad, name, key, value, "", style)


def _render_leaf(
    out: list[str], pad: str, name: str, key: str, value: Any, attrs: str, style: Style
) -> None:
    text, ansi = format_leaf(key, value, style)
    if ansi:
        attrs = ' format="ansi"' + attrs
    if text:
        out.append(f"{pad}<{name}{attrs}>{_escape(text)}</{name}>")
    else:
        out.append(f"{pad}<{name}{attrs}/>")


_PADS = [INDENT * depth for depth in range(64)]


def _render_group(
    out: list[str], key: str, node: Mapping[str, Any], depth: int, style: Style
) -> None:
    pad = _PADS[depth]
    name = style.element(key)
    shape = shape_of(key, node)
    attrs = "".join(
        f' {xml_name}="{_escape_attr(format_attribute(k, node[k]))}"'
        for k, xml_name in shape.attributes
        if node[k] is not None
    )
    start = len(out)
    out.append(f"{pad}<{name}{attrs}>")
    inner = depth + 1
    inner_pad = _PADS[inner]
    element = style.element
    for child, leaf_attrs in shape.children:
        value = node[child]
        kind = type(value)
        if kind is list:
            for item in value:
                if type(item) is dict and "value" not in item:
                    _render_group(out, child, item, inner, style)
                else:
                    render_element(out, child, item, inner, style)
            continue
        if kind is dict:
            render_element(out, child, value, inner, style)
            continue
        extra = ""
        if leaf_attrs:
            extra = "".join(
                f' {xml_name}="{_escape_attr(format_attribute(k, node[k]))}"'
                for k, xml_name in leaf_attrs
                if node[k] is not None
            )
        # Fast paths for the common scalar types; everything else via format_leaf.
        if kind is str:
            text = value
        elif value is None:
            out.append(f"{inner_pad}<{element(child)}{extra}/>")
            continue
        elif kind is int:
            text = str(value)
        elif kind is Decimal and child not in DECIMAL_POINT_KEYS:
            text = format(value, "f").replace(".", ",")
        else:
            _render_leaf(out, inner_pad, element(child), child, value, extra, style)
            continue
        tag = element(child)
        if text:
            out.append(f"{inner_pad}<{tag}{extra}>{_escape(text)}</{tag}>")
        else:
            out.append(f"{inner_pad}<{tag}{extra}/>")
    if len(out) == start + 1:
        out[start] = f"{pad}<{name}{attrs}/>"
    else:
        out.append(f"{pad}</{name}>")


# --- documents ------------------------------------------------------------------------------


@dataclass
class Records:
    """A stream of records rendered as repeated `item` elements inside their wrapper."""

    item: str
    records: Iterable[Mapping[str, Any]]


@dataclass
class Wrapper:
    """An element holding parts; rendered self-closing when nothing is inside (`<ProductList/>`)."""

    key: str
    parts: list[Any]


@dataclass
class Element:
    """A fixed element: a record as the root (`<Customer>`), a group, or an empty entity."""

    key: str
    value: Any
    # Not-found entities differ per resource: `<Product></Product>` vs `<SalesInvoice/>`.
    explicit_empty: bool = False


@dataclass
class Raw:
    """Pre-rendered lines (accountbalance's attribute-keyed tree)."""

    lines: Iterable[str]


def timestamp_now(now: dt.datetime | None = None) -> str:
    """ResponseStatus TimeStamp: Helsinki wall clock, `d.M.yyyy H:mm:ss`.

    OK documents carry the simulated company's clock (`Company.now`): it is the server's clock
    of this simulated Netvisor, which clients may use for change cursors, and it moves with
    `advance()`. Without one, real time.
    """
    return finnish_datetime(now or dt.datetime.now(HELSINKI))


def _head(status_lines: list[str], now: dt.datetime | None = None) -> list[str]:
    return [
        XML_DECLARATION,
        "<Root>",
        f"{INDENT}<ResponseStatus>",
        *status_lines,
        f"{INDENT * 2}<TimeStamp>{timestamp_now(now)}</TimeStamp>",
        f"{INDENT}</ResponseStatus>",
    ]


def error_document(code: str, message: str) -> bytes:
    """The FAILED envelope of reference section 1.4: two Status elements."""
    pad = INDENT * 2
    status = _escape(f"{code} :: {message}")
    lines = _head([f"{pad}<Status>FAILED</Status>", f"{pad}<Status>{status}</Status>"])
    lines.append("</Root>")
    return (NL.join(lines) + NL).encode("utf-8")


def _parts_lines(parts: Iterable[Any], depth: int, style: Style) -> Iterator[str]:
    for part in parts:
        if isinstance(part, Records):
            for record in part.records:
                out: list[str] = []
                _render_group(out, part.item, record, depth, style)
                yield from out
        elif isinstance(part, Wrapper):
            name = style.element(part.key)
            pad = INDENT * depth
            inner = _parts_lines(part.parts, depth + 1, style)
            first = next(inner, None)
            if first is None:
                yield f"{pad}<{name}/>"
                continue
            yield f"{pad}<{name}>"
            yield first
            yield from inner
            yield f"{pad}</{name}>"
        elif isinstance(part, Element):
            if part.explicit_empty and not part.value:
                name = style.element(part.key)
                yield f"{INDENT * depth}<{name}></{name}>"
                continue
            out = []
            if isinstance(part.value, Mapping) and not part.value:
                out.append(f"{INDENT * depth}<{style.element(part.key)}/>")
            else:
                render_element(out, part.key, part.value, depth, style)
            yield from out
        elif isinstance(part, Raw):
            yield from part.lines
        else:  # pragma: no cover - programming error
            raise TypeError(f"unknown document part {part!r}")


def document_lines(
    parts: list[Any], style: Style = DEFAULT_STYLE, now: dt.datetime | None = None
) -> Iterator[str]:
    """All lines of an OK document with `parts` after ResponseStatus."""
    yield from _head([f"{INDENT * 2}<Status>OK</Status>"], now)
    yield from _parts_lines(parts, 1, style)
    yield "</Root>"


def stream_document(
    parts: list[Any], style: Style = DEFAULT_STYLE, now: dt.datetime | None = None
) -> Iterator[bytes]:
    """The OK document as UTF-8 byte chunks of about CHUNK_SIZE."""
    buffer: list[str] = []
    size = 0
    for line in document_lines(parts, style, now):
        buffer.append(line)
        size += len(line) + 2
        if size >= CHUNK_SIZE:
            buffer.append("")
            yield NL.join(buffer).encode("utf-8")
            buffer = []
            size = 0
    buffer.append("")
    yield NL.join(buffer).encode("utf-8")
