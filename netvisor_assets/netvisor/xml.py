"""Safe, streaming parsing of Netvisor responses into records (see `fields.py`).

Bodies come from the network, so only defusedxml touches them (no entity expansion, no
external entities). Large list responses are parsed with `iterparse`: each record element is
converted and released as soon as it is complete, so memory stays bounded by one record.

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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

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
    "str": str.strip,
}


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
    try:
        return _PARSERS[kind](value)
    except ValueError as exc:
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise UnexpectedValue(
            f"<{where or key}> holds {shown!r}, which is not a valid {kind} ({exc})"
        ) from None


# ----------------------------------------------------------------------------- elements


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(elem: Element) -> list[tuple[str, str, str]]:
    """(original name, normalised name, value) of the attributes that carry data."""
    result = []
    for name, value in elem.attrib.items():
        norm = normalise_name(name)
        if norm not in IGNORED_ATTRIBUTES:
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
    key = normalise_name(elem.tag)
    where = f"{_where}/{_local(elem.tag)}" if _where else _local(elem.tag)
    record: dict[str, Any] = {}
    for name, norm, value in _attributes(elem):
        record[norm] = coerce(norm, value, where=f"{where}@{name}")
    for child_key in _REPEATED_BY_PARENT.get(key, ()):
        record[child_key] = []
    if len(elem) == 0:
        # A record element that is a leaf: keep its value rather than dropping it.
        text_value = coerce(key, elem.text, where=where)
        if text_value is not None:
            record["value"] = text_value
        return record
    for child in elem:
        if not isinstance(child.tag, str):
            continue
        child_key = normalise_name(child.tag)
        child_where = f"{where}/{_local(child.tag)}"
        if key in _REPEATED_BY_PARENT and child_key in _REPEATED_BY_PARENT[key]:
            if len(child):
                record[child_key].append(element_to_record(child, where))
            elif not _is_empty(child):
                value = coerce(child_key, child.text, where=child_where)
                attrs = {
                    norm: coerce(f"{child_key}_{norm}", raw, where=f"{child_where}@{name}")
                    for name, norm, raw in _attributes(child)
                }
                record[child_key].append({"value": value, **attrs} if attrs else value)
            continue
        if len(child):
            _put(record, child_key, element_to_record(child, where))
            continue
        _put(record, child_key, coerce(child_key, child.text, where=child_where))
        for name, norm, raw in _attributes(child):
            attr_key = f"{child_key}_{norm}"
            _put(record, attr_key, coerce(attr_key, raw, where=f"{child_where}@{name}"))
    return record


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

    One loop over iterparse events on purpose: it is the parser's hot path (every element of
    every response), and its state (the open path, the envelope) is shared by every branch.
    """
    reader = body_reader(body, resource)
    wanted = {tuple(p) for p in paths}
    names: list[str] = []
    tags: list[str] = []
    elems: list[Element] = []
    open_records = 0
    envelope: Envelope | None = None
    try:
        for event, elem in iterparse(reader, events=("start", "end")):
            if event == "start":
                names.append(normalise_name(elem.tag))
                tags.append(_local(elem.tag))
                elems.append(elem)
                if len(names) == 1 and names[0] != "root":
                    raise MalformedResponse(
                        f"root element is <{_local(elem.tag)}>, not <Root>", resource=resource
                    )
                if tuple(names[1:]) in wanted:
                    open_records += 1
                continue
            path = tuple(names[1:])
            if path == ("responsestatus",):
                envelope = _envelope(elem)
                if envelope_out is not None:
                    envelope_out.append(envelope)
                if not envelope.ok:
                    _raise_failed(envelope, resource)
            if path in wanted:
                open_records -= 1
                if envelope is None:
                    raise MalformedResponse("payload before ResponseStatus", resource=resource)
                if path == ():
                    record = element_to_record(elem)
                    record.pop("responsestatus", None)
                    yield record
                elif not _is_empty(elem):
                    # Error messages name the element by its full path below Root.
                    yield element_to_record(elem, "/".join(tags[1:-1]))
            if len(elems) >= 2 and open_records == 0 and path[:1] != ("responsestatus",):
                # Done with this element: release it so a long list never sits in memory.
                elems[-2].remove(elem)
            names.pop()
            tags.pop()
            elems.pop()
    except DefusedXmlException as exc:
        raise RefusedBody(
            f"body refused by defusedxml ({type(exc).__name__}); not retried",
            resource=resource,
        ) from None
    except ParseError as exc:
        if envelope is None:
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
    if envelope is None:
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
