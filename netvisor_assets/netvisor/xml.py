"""Safe, streaming parsing of Netvisor responses into records (see `fields.py`).

Bodies come from the network, so only defusedxml touches them (no entity expansion, no
external entities). The body is fed to defusedxml's parser as it arrives; each record element
is converted and released as soon as it is complete, so memory stays bounded by one record.
The parser runs for every element of every response, so it is built for speed: expat builds
each record element in C and Python converts it once (`_RecordBuilder`, `_record`), with
names, types and parsed values cached.

Every response has the same envelope: `Root/ResponseStatus/Status` is `OK`, or `FAILED`
followed by a second `Status` holding `CODE :: message`. An error body is not always
well-formed XML (a test-environment MAC failure echoed raw `&` characters), so a failed parse
falls back to a regular expression over `<Status>` before declaring the body malformed.

Values are coerced by the type the table registry declares for their key (`fields.field_type`).
A value that does not fit its type raises `UnexpectedValue` naming the element: a response the
parser does not understand never becomes rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from netvisor_assets.netvisor.errors import (
    MalformedResponse,
    NetvisorError,
    RefusedBody,
    UnexpectedValue,
    error_for,
)
from netvisor_assets.netvisor.fields import (
    IGNORED_ATTRIBUTES,
    REPEATED,
    field_type,
    normalise_name,
)
from netvisor_assets.netvisor.stream import PREFIX_BYTES, BodyReader
from netvisor_assets.timezone import HELSINKI

# Element paths below `Root`, lower-cased, e.g. ("customerlist", "customer").
RecordPath = tuple[str, ...]

_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")
_INT = re.compile(r"^[+-]?\d+$")
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?$"
)
_FINNISH = re.compile(
    r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$"
)
_TRUE = frozenset({"1", "true", "yes", "kyllä", "kylla", "ja"})
_FALSE = frozenset({"0", "false", "no", "ei", "nej"})
_STATUS_RE = re.compile(r"<\s*Status\s*>(.*?)<\s*/\s*Status\s*>", re.IGNORECASE | re.DOTALL)
_CODE = re.compile(r"^[A-Z][A-Z_]*$")

_REPEATED_BY_PARENT: dict[str, tuple[str, ...]] = {}
for _parent, _child in sorted(REPEATED):
    _REPEATED_BY_PARENT[_parent] = (*_REPEATED_BY_PARENT.get(_parent, ()), _child)


@dataclass(frozen=True)
class Envelope:
    """The `ResponseStatus` of a response."""

    ok: bool
    code: str | None = None
    message: str | None = None
    # Netvisor's wall-clock time of the response (Helsinki); None when absent or unreadable.
    timestamp: dt.datetime | None = None


# ----------------------------------------------------------------------------- values


def parse_decimal(text: str) -> Decimal:
    """`123,45`, `244.12`, `-17,18`, `643\\n   ` -> Decimal; money never passes through float."""
    value = text.strip()
    if not _DECIMAL.match(value):
        raise ValueError("not a decimal number")
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid input
        raise ValueError("not a decimal number") from exc


def parse_int(text: str) -> int:
    value = text.strip()
    if value.isascii() and value.isdigit():
        return int(value)  # the common case, without the regex
    if not _INT.match(value):
        raise ValueError("not an integer")
    return int(value)


def _parts(text: str) -> tuple[dt.date, dt.time | None]:
    value = text.strip()
    match = _ISO.match(value)
    if match:
        year, month, day = (int(g) for g in match.group(1, 2, 3))
        hms = match.group(4, 5, 6, 7)
    else:
        match = _FINNISH.match(value)
        if not match:
            raise ValueError("not a date (YYYY-MM-DD or d.M.yyyy)")
        day, month, year = (int(g) for g in match.group(1, 2, 3))
        hms = (*match.group(4, 5, 6), None)
    date = dt.date(year, month, day)
    if hms[0] is None:
        return date, None
    micro = int((hms[3] or "0").ljust(6, "0"))
    return date, dt.time(int(hms[0]), int(hms[1]), int(hms[2] or 0), micro)


def parse_date(text: str) -> dt.date:
    """Any of Netvisor's date or datetime formats -> date (a datetime keeps its date)."""
    return _parts(text)[0]


def parse_datetime(text: str) -> dt.datetime:
    """`d.M.yyyy H:mm:ss`, `YYYY-MM-DD HH:MM[:SS]` -> aware Europe/Helsinki datetime.

    Netvisor writes local Finnish wall-clock time without an offset. A bare date becomes
    midnight. An explicit offset (not seen from Netvisor, but cheap to honour) is converted.
    """
    value = text.strip()
    try:
        date, time = _parts(value)
    except ValueError:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not a datetime (d.M.yyyy H:mm:ss or YYYY-MM-DD HH:MM)") from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=HELSINKI)
        return parsed.astimezone(HELSINKI)
    return dt.datetime.combine(date, time or dt.time(), tzinfo=HELSINKI)


def parse_bool(text: str) -> bool:
    """`1/0`, `True/False`, `true/false`, `Yes/No`, Finnish `Kyllä/Ei` (and Swedish `Ja/Nej`)."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("not a boolean")


_PARSERS = {
    "int": parse_int,
    "decimal": parse_decimal,
    "date": parse_date,
    "datetime": parse_datetime,
    "bool": parse_bool,
}

# Parsed values by kind and stripped text. Dates, flags, VAT rates and round amounts repeat
# all through a response, and every value type is immutable, so one parse serves every
# repeat. Bounded (cleared when full): the texts come from the network.
_VALUE_CACHE_SIZE = 8192
_VALUES: dict[str, dict[str, Any]] = {kind: {} for kind in _PARSERS}


def _coerce_known(kind: str, value: str) -> Any:
    """Value of non-empty stripped text of a non-string kind; ValueError when it does not fit."""
    parsed = _VALUES[kind].get(value)
    return _parse_new(kind, value) if parsed is None else parsed


def _parse_new(kind: str, value: str) -> Any:
    """`_coerce_known` of a text not in the cache."""
    parsed = _PARSERS[kind](value)
    cache = _VALUES[kind]
    if len(cache) >= _VALUE_CACHE_SIZE:
        cache.clear()
    cache[value] = parsed
    return parsed


def _unexpected(where: str, value: str, kind: str, exc: ValueError) -> UnexpectedValue:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return UnexpectedValue(f"<{where}> holds {shown!r}, which is not a valid {kind} ({exc})")


def coerce(key: str, text: str | None, *, where: str | None = None) -> Any:
    """Typed value of record key `key`; empty or whitespace-only text is None.

    Raises UnexpectedValue naming the element (`where`) and the offending value only, never
    the whole body.
    """
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    kind = field_type(key)
    if kind == "str":
        return value
    try:
        return _coerce_known(kind, value)
    except ValueError as exc:
        raise _unexpected(where or key, value, kind, exc) from None


# ----------------------------------------------------------------------------- elements

# Caches of names seen in bodies; bounded, since the names come from the network.
_NAME_CACHE_SIZE = 4096


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _spelled(name: str) -> str:
    """ElementTree's spelling of a name (`{uri}local`); expat reports `uri}local`."""
    return "{" + name if "}" in name and not name.startswith("{") else name


class _Name:
    """An element name as the converter needs it, worked out once per spelling."""

    __slots__ = ("key", "local", "kind", "values", "repeated", "repeated_keys")

    def __init__(self, tag: str) -> None:
        self.key = normalise_name(tag)
        self.local = _local(tag)
        self.kind = field_type(self.key)
        self.values = _VALUES.get(self.kind)  # parsed values by text; None for strings
        # Children that are always lists under this element: in declaration order to create
        # them, as a set to test membership.
        self.repeated_keys = _REPEATED_BY_PARENT.get(self.key, ())
        self.repeated = frozenset(self.repeated_keys)


_NAMES: dict[str, _Name] = {}
# Attribute name -> (record key, carries data, type of the key).
_ATTRIBUTES: dict[str, tuple[str, bool, str]] = {}
# (element key, attribute key) -> (record key, type) of a leaf's attribute (`<element>_<attr>`).
_LEAF_ATTRIBUTES: dict[tuple[str, str], tuple[str, str]] = {}


def _name(tag: Any) -> _Name | None:
    """The cached `_Name` of a tag; None for a comment or processing instruction."""
    if not isinstance(tag, str):
        return None
    if len(_NAMES) >= _NAME_CACHE_SIZE:
        _NAMES.clear()
    name = _NAMES[tag] = _Name(tag)
    return name


def _attribute(name: str) -> tuple[str, bool, str]:
    found = _ATTRIBUTES.get(name)
    if found is None:
        if len(_ATTRIBUTES) >= _NAME_CACHE_SIZE:
            _ATTRIBUTES.clear()
        norm = normalise_name(name)
        found = _ATTRIBUTES[name] = (norm, norm not in IGNORED_ATTRIBUTES, field_type(norm))
    return found


def _leaf_attribute(key: str, norm: str) -> tuple[str, str]:
    found = _LEAF_ATTRIBUTES.get((key, norm))
    if found is None:
        if len(_LEAF_ATTRIBUTES) >= _NAME_CACHE_SIZE:
            _LEAF_ATTRIBUTES.clear()
        attr_key = f"{key}_{norm}"
        found = _LEAF_ATTRIBUTES[(key, norm)] = (attr_key, field_type(attr_key))
    return found


def _typed(kind: str, text: str | None, where: str, child: str = "", attr: str = "") -> Any:
    """`coerce` for a type already looked up. The element an error names is `where`, or its
    child `child`, or an attribute `attr` of either: the path is spelled out only on error."""
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    if kind == "str":
        return value
    try:
        return _coerce_known(kind, value)
    except ValueError as exc:
        path = f"{where}/{child}" if child else where
        if attr:
            path = f"{path}@{_spelled(attr)}"
        raise _unexpected(path, value, kind, exc) from None


def _attributes(elem: Element) -> list[tuple[str, str, str]]:
    """(original name, normalised name, value) of the attributes that carry data."""
    result = []
    for name, value in elem.attrib.items():
        norm, data, _ = _attribute(name)
        if data:
            result.append((name, norm, value))
    return result


def _is_empty(elem: Element) -> bool:
    return len(elem) == 0 and not (elem.text or "").strip() and not _attributes(elem)


def _put(record: dict[str, Any], key: str, value: Any) -> None:
    # A child that repeats without being declared in REPEATED still keeps every value:
    # dropping all but the last would lose data silently.
    if key in record:
        existing = record[key]
        if isinstance(existing, list) and getattr(existing, "_auto", False):
            existing.append(value)
        else:
            merged = _AutoList([existing, value])
            record[key] = merged
    else:
        record[key] = value


class _AutoList(list):
    """A list created because an undeclared child repeated (only marks provenance)."""

    _auto = True


def element_to_record(elem: Element, _where: str = "") -> dict[str, Any]:
    """Convert one element with children to a record dict (the format of `fields.py`).

    `_where` is the path of the element's parent, used only in error messages.
    """
    local = _local(elem.tag)
    return _record(elem, f"{_where}/{local}" if _where else local)


def _record(elem: Element, where: str) -> dict[str, Any]:
    """`element_to_record` of an element whose path (for error messages) is `where`.

    Every element of every record passes through here, so the loop reads each child once and
    looks everything about a name up in caches; the error paths are built only on error.
    """
    name = _NAMES.get(elem.tag) or _name(elem.tag)
    record: dict[str, Any] = {}
    attrib = elem.attrib
    if attrib:
        for attr, raw in attrib.items():
            norm, data, kind = _attribute(attr)
            if data:
                record[norm] = _typed(kind, raw, where, attr=attr)
    for child_key in name.repeated_keys:
        record[child_key] = []
    if not len(elem):
        # A record element that is a leaf: keep its value rather than dropping it.
        value = _typed(name.kind, elem.text, where)
        if value is not None:
            record["value"] = value
        return record
    repeated = name.repeated
    names = _NAMES
    for child in elem:
        tag = child.tag
        child_name = names.get(tag) or _name(tag)
        if child_name is None:
            continue
        key = child_name.key
        if len(child):
            value = _record(child, f"{where}/{child_name.local}")
            if key in repeated:
                record[key].append(value)
            elif key in record:
                _put(record, key, value)
            else:
                record[key] = value
        elif key in repeated:
            _add_item(record[key], child, child_name, where)
        else:
            text = child.text
            if text:
                text = text.strip()
            if not text:
                value = None
            elif child_name.values is None:
                value = text
            else:
                value = child_name.values.get(text)
                if value is None:
                    try:
                        value = _parse_new(child_name.kind, text)
                    except ValueError:
                        value = _typed(child_name.kind, text, where, child_name.local)
            if key in record:
                _put(record, key, value)
            else:
                record[key] = value
            if child.attrib:
                _put_attributes(record, child, child_name, where)
    return record


def _add_item(items: list[Any], child: Element, name: _Name, where: str) -> None:
    """A leaf that is always a list item: its value, or `{"value": ..., <attributes>}`."""
    if _is_empty(child):
        return
    value = _typed(name.kind, child.text, where, name.local)
    attrs = {}
    for attr, raw in child.attrib.items():
        norm, data, _ = _attribute(attr)
        if data:
            _, kind = _leaf_attribute(name.key, norm)
            attrs[norm] = _typed(kind, raw, where, name.local, attr)
    items.append({"value": value, **attrs} if attrs else value)


def _put_attributes(record: dict[str, Any], child: Element, name: _Name, where: str) -> None:
    """The attributes of a leaf, as `<element>_<attribute>` keys of its parent's record."""
    for attr, raw in child.attrib.items():
        norm, data, _ = _attribute(attr)
        if data:
            attr_key, kind = _leaf_attribute(name.key, norm)
            _put(record, attr_key, _typed(kind, raw, where, name.local, attr))


# ----------------------------------------------------------------------------- envelope


def split_status(text: str) -> tuple[str, str]:
    """`CODE :: message` -> (CODE, message); text without a recognisable code -> UNKNOWN."""
    code, sep, message = text.strip().partition("::")
    code = code.strip()
    if sep and _CODE.match(code):
        return code, message.strip()
    return "UNKNOWN", text.strip()


def _envelope(status_elem: Element) -> Envelope:
    statuses = [
        (child.text or "").strip()
        for child in status_elem
        if isinstance(child.tag, str) and normalise_name(child.tag) == "status"
    ]
    timestamp = None
    for child in status_elem:
        if isinstance(child.tag, str) and normalise_name(child.tag) == "timestamp":
            try:
                timestamp = parse_datetime(child.text or "")
            except ValueError:
                timestamp = None
    if statuses and statuses[0].upper() == "OK":
        return Envelope(ok=True, timestamp=timestamp)
    if statuses and statuses[0].upper() == "FAILED":
        if len(statuses) < 2 or not statuses[1]:
            return Envelope(False, "UNKNOWN", "FAILED without an error code", timestamp)
        code, message = split_status(statuses[1])
        return Envelope(False, code, message, timestamp)
    raise MalformedResponse(f"ResponseStatus has no OK/FAILED status (got {statuses[:1]!r})")


def failed_status_from_text(body: bytes) -> tuple[str, str] | None:
    """(code, message) of a FAILED body that is not well-formed XML, via `<Status>` regex."""
    text = body.decode("utf-8", errors="replace")
    statuses = [s.strip() for s in _STATUS_RE.findall(text)]
    if len(statuses) >= 2 and statuses[0].upper() == "FAILED":
        code, message = split_status(html.unescape(statuses[1]))
        return code, message
    return None


def _raise_failed(envelope: Envelope, resource: str | None) -> None:
    raise error_for(envelope.code or "UNKNOWN", envelope.message or "", resource=resource)


def body_reader(body: bytes | BodyReader, resource: str | None = None) -> BodyReader:
    """A reader over a body already in memory (samples, tests), with the same decoding rules."""
    if isinstance(body, BodyReader):
        return body
    return BodyReader(
        iter([body]),
        resource=resource or "",
        deadline=float("inf"),
        max_bytes=max(len(body), 1),
        timeout=0.0,
    )


# ----------------------------------------------------------------------------- streaming

# Bytes per read of a streamed body: what ElementTree's iterparse read, so the body is pulled
# (and its deadline and size cap checked) at the same points as before. A body already in
# memory is fed in larger pieces: its reader keeps the unread rest as one bytes object, which
# every read copies.
_READ_BYTES = 16 * 1024
_READ_BYTES_IN_MEMORY = 1024 * 1024

# Requested record paths as a trie: key -> (requested, the trie below it).
_Trie = dict[str, tuple[bool, "_Trie"]]


def _trie(paths: Iterable[RecordPath]) -> _Trie:
    root: _Trie = {}
    for path in paths:
        node = root
        for depth, key in enumerate(path):
            wanted, below = node.get(key, (False, {}))
            node[key] = (wanted or depth == len(path) - 1, below)
            node = below
    return root


class _RecordBuilder:
    """The target of defusedxml's parser: finds the requested records and converts each one.

    Outside the records (a handful of elements per response) Python callbacks follow the path
    and the envelope. Inside a record, expat feeds a C `TreeBuilder` directly, and a Python
    callback only sees each end to notice the record's own; the finished record element is
    then converted (`_record`) and dropped. So nothing outside a record is kept, and the
    per-element work in Python is one call and the conversion.

    ResponseStatus is built the same way and read by `_envelope`. Unusual requests (the
    whole payload `()`, a record inside ResponseStatus, paths that nest so that one record is
    part of another) need every element's path: for them the Python callbacks see every
    element and build the tree themselves.
    """

    def __init__(
        self,
        paths: Iterable[RecordPath],
        resource: str | None,
        envelope_out: list[Envelope] | None,
    ) -> None:
        wanted = {tuple(p) for p in paths}
        self._everywhere = any(
            p[:1] in ((), ("responsestatus",)) or (p != q and q[: len(p)] == p)
            for p in wanted
            for q in wanted
        )
        self._root = (() in wanted, _trie(wanted))
        self._resource = resource
        self._envelope_out = envelope_out
        self.records: list[dict[str, Any]] = []
        self.envelope: Envelope | None = None
        # Open elements outside the fast path: [name, trie node below it, requested].
        self._stack: list[list[Any]] = []
        self._parts: list[str] = []
        # The target's text handler (XMLParser installs it): expat calls it without a frame.
        self.data = self._parts.append
        self._tree: TreeBuilder | None = None  # the tree built by the Python callbacks
        self._tree_depth = 0
        self._region: Element | None = None  # the element expat is building in C
        self._region_end: Callable[[str], Element] | None = None
        self._expat: Any = None

    def install(self, expat_parser: Any) -> None:
        """Take over the element callbacks of defusedxml's expat parser.

        ElementTree's own callbacks run Python for every start and end to fix up names; here
        expat's names are used as they come (`uri}local`; only error messages respell them)
        and attributes come as the dict `TreeBuilder.start` takes. defusedxml's protections
        (its DTD, entity and external-reference handlers) are untouched.
        """
        self._expat = expat_parser
        expat_parser.ordered_attributes = 0
        expat_parser.StartElementHandler = self._start
        expat_parser.EndElementHandler = self._end

    # -- outside the records ---------------------------------------------------------------

    def _start(self, raw: str, attrs: dict[str, str]) -> None:
        name = _NAMES.get(raw) or _name(raw)
        stack = self._stack
        depth = len(stack)
        tree = self._tree
        if tree is not None and self._parts:
            tree.data("".join(self._parts))
        self._parts.clear()
        if depth == 0:
            if name.key != "root":
                raise MalformedResponse(
                    f"root element is <{name.local}>, not <Root>", resource=self._resource
                )
            wanted, node = self._root
        else:
            below = stack[-1][1]
            wanted, node = below.get(name.key, (False, None)) if below else (False, None)
        stack.append([name, node, wanted])
        if (
            tree is None
            and not self._everywhere
            and (wanted or (depth == 1 and name.key == "responsestatus"))
        ):
            self._build_in_c(raw, attrs)
            return
        if tree is None and (wanted or (depth == 1 and name.key == "responsestatus")):
            tree = self._tree = TreeBuilder()
            self._tree_depth = depth
        if tree is not None:
            tree.start(raw, attrs)

    def _end(self, raw: str) -> None:
        elem = None
        if self._tree is not None:
            if self._parts:
                self._tree.data("".join(self._parts))
            elem = self._tree.end(raw)
            if len(self._stack) - 1 == self._tree_depth:
                self._tree = None
        self._parts.clear()
        self._closed(elem)

    def _closed(self, elem: Element | None) -> None:
        """An element outside the fast path ended (`elem` when it was built)."""
        name, _, wanted = self._stack.pop()
        depth = len(self._stack)
        if depth == 1 and name.key == "responsestatus":
            self.envelope = _envelope(elem)
            if self._envelope_out is not None:
                self._envelope_out.append(self.envelope)
            if not self.envelope.ok:
                _raise_failed(self.envelope, self._resource)
        if not wanted:
            return
        if self.envelope is None:
            raise MalformedResponse("payload before ResponseStatus", resource=self._resource)
        if depth == 0:
            record = _record(elem, name.local)
            record.pop("responsestatus", None)
            self.records.append(record)
        elif not _is_empty(elem):
            # Error messages name the element by its full path below Root.
            where = "/".join(frame[0].local for frame in self._stack[1:])
            self.records.append(_record(elem, f"{where}/{name.local}" if where else name.local))

    # -- inside a record -------------------------------------------------------------------

    def _build_in_c(self, raw: str, attrs: dict[str, str]) -> None:
        builder = TreeBuilder()
        self._region = builder.start(raw, attrs)
        self._region_end = builder.end
        expat = self._expat
        expat.StartElementHandler = builder.start
        expat.CharacterDataHandler = builder.data
        expat.EndElementHandler = self._end_in_c

    def _end_in_c(self, raw: str) -> None:
        elem = self._region_end(raw)
        if elem is self._region:
            expat = self._expat
            expat.StartElementHandler = self._start
            expat.CharacterDataHandler = self.data
            expat.EndElementHandler = self._end
            self._region = self._region_end = None
            self._closed(elem)


def iter_records(
    body: bytes | BodyReader,
    paths: Iterable[RecordPath],
    *,
    resource: str | None = None,
    envelope_out: list[Envelope] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the record elements at `paths` (below `Root`, lower case) one at a time.

    Raises the mapped NetvisorError for a FAILED envelope and MalformedResponse for a body
    that is not a complete Netvisor document; a truncated body raises only after the records
    before the cut were yielded, so callers must collect a whole response before using it.
    Empty record elements (`<SalesInvoice/>`, Netvisor's "not found") are skipped.
    An empty path `()` yields the whole payload of `Root` as one record. `body` is bytes or a
    streamed `BodyReader`; either way the bytes are read once, as they arrive.

    This is the parser's hot path (every element of every response): defusedxml's parser
    calls `_RecordBuilder` for each element, and the records completed by each piece of the
    body are yielded before the next piece is read.
    """
    read_size = _READ_BYTES if isinstance(body, BodyReader) else _READ_BYTES_IN_MEMORY
    reader = body_reader(body, resource)
    builder = _RecordBuilder(paths, resource, envelope_out)
    parser = DefusedXMLParser(target=builder)
    builder.install(parser.parser)
    try:
        while True:
            data = reader.read(read_size)
            failure: Exception | None = None
            try:
                if data:
                    parser.feed(data)
                else:
                    parser.close()
            except Exception as exc:
                failure = exc
            if builder.records:
                # Records completed before a failure were parsed: they are handed out first.
                done, builder.records = builder.records, []
                yield from done
            if failure is not None:
                raise failure
            if not data:
                break
    except DefusedXmlException as exc:
        raise RefusedBody(
            f"body refused by defusedxml ({type(exc).__name__}); not retried",
            resource=resource,
        ) from None
    except ParseError as exc:
        if builder.envelope is None:
            # A small error body that is not well-formed XML (a raw `&` in Netvisor's echo of
            # the hashed string) still says FAILED in its <Status> elements.
            with contextlib.suppress(NetvisorError):
                reader.read(PREFIX_BYTES)  # the rest of a small body, kept in `prefix`
            failed = failed_status_from_text(reader.prefix)
            if failed is not None:
                raise error_for(failed[0], failed[1], resource=resource) from None
            raise MalformedResponse(
                f"body is not a Netvisor XML document ({_describe(exc)}; "
                f"{reader.bytes_read} bytes)",
                resource=resource,
            ) from None
        raise MalformedResponse(
            f"body is truncated or malformed after an OK status ({_describe(exc)}; "
            f"{reader.bytes_read} bytes)",
            resource=resource,
        ) from None
    except MalformedResponse as exc:
        if exc.resource is None:
            exc.resource = resource
        raise
    if builder.envelope is None:
        raise MalformedResponse("no ResponseStatus in the body", resource=resource)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ParseError):
        return f"XML error: {exc}"
    return f"refused by defusedxml: {type(exc).__name__}"


def parse_records(
    body: bytes | BodyReader, paths: Sequence[RecordPath], *, resource: str | None = None
) -> list[dict[str, Any]]:
    """All records of one response; nothing is returned unless the whole body is valid."""
    return list(iter_records(body, paths, resource=resource))


def parse_envelope(body: bytes | BodyReader, *, resource: str | None = None) -> Envelope:
    """Check a whole body (streaming) and return its envelope; raise for FAILED/malformed."""
    out: list[Envelope] = []
    for _ in iter_records(body, (), resource=resource, envelope_out=out):
        pass  # pragma: no cover - no paths requested, nothing is yielded
    return out[0]


def parse_payload(body: bytes | BodyReader, *, resource: str | None = None) -> dict[str, Any]:
    """The whole payload under `Root` as one record (for small, irregular responses)."""
    records = parse_records(body, [()], resource=resource)
    return records[0] if records else {}
