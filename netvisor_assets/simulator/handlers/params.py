"""What every handler shares: query parameters, the `Reply`, and record-lookup helpers.

Parameter names are matched case-insensitively (old clients send `InvoicesAboveNetvisorKey`).

Assumptions where the reference is [unverified] or silent (reference section numbers):
- a key list above its documented cap (500/400/100) is `INVALID_DATA` (5, 7.7);
- a missing required parameter, an unparsable date or number is `INVALID_DATA`;
- date-only `lastmodifiedend`/`enddate`-style upper bounds include the whole day; all ranges
  are inclusive at both ends; datetime filter values are Helsinki wall-clock time (3);
- `changedsince` means modified at or after the given moment;
- a `getsalesinvoice`/`getorder`/`getpurchaseinvoice`/`getpurchaseorder` key list silently
  omits unknown keys; a single unknown key answers the empty entity (4.6, 4.8)
  (`get_documents`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from netvisor_assets.simulator.auth import ApiError
from netvisor_assets.simulator.render import (
    DEFAULT_STYLE,
    HELSINKI,
    Element,
    Records,
    Style,
    Wrapper,
    expected_record,
)


class CompanyLike(Protocol):
    """The part of `simulator.company.Company` the handlers read."""

    today: dt.date

    def records(self, kind: str) -> Iterable[dict]: ...
    def get(self, kind: str, key: int) -> dict | None: ...
    def by_date(self, kind: str, first: dt.date, last: dt.date) -> Iterable[dict]: ...
    def modified_between(
        self, kind: str, start: dt.datetime | None, end: dt.datetime | None
    ) -> Iterable[dict]: ...
    def deleted_since(self, kind: str, since: dt.date) -> list[dict]: ...


def invalid(message: str) -> ApiError:
    return ApiError("INVALID_DATA", message, 400)


# --- parameters -----------------------------------------------------------------------------


class Params:
    """Query parameters with case-insensitive names and Netvisor's value formats."""

    def __init__(
        self,
        raw: Mapping[str, str],
        base_url: str = "",
        *,
        vendor_page_size: int | None = None,
    ) -> None:
        self.raw = {k.lower(): v for k, v in raw.items()}
        self.base_url = base_url.rstrip("/")
        # Server-defined (reference 4.3); None = VENDOR_PAGE_SIZE as it is when asked.
        self.vendor_page_size = vendor_page_size

    def get(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def int(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise invalid(f"Parameter {name} is not an integer: {value}") from None

    def flag(self, name: str) -> bool:
        return (self.get(name) or "").lower() in ("1", "true")

    def date(self, name: str) -> dt.date | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise invalid(f"Parameter {name} is not a date (YYYY-MM-DD): {value}") from None

    def moment(self, name: str, *, end: bool = False) -> dt.datetime | None:
        """`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`, Helsinki time; a bare end date = end of day."""
        value = self.get(name)
        if value is None:
            return None
        try:
            if len(value) <= 10:
                day = dt.date.fromisoformat(value)
                clock = dt.time.max if end else dt.time.min
                return dt.datetime.combine(day, clock, tzinfo=HELSINKI)
            parsed = dt.datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            raise invalid(
                f"Parameter {name} is not a date or datetime (YYYY-MM-DDTHH:MM:SS): {value}"
            ) from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=HELSINKI)
        return parsed.astimezone(HELSINKI)

    def last_modified(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The `lastmodifiedstart`/`lastmodifiedend` window; a bare end date takes its whole day."""
        return self.moment("lastmodifiedstart"), self.moment("lastmodifiedend", end=True)

    def keys(self, name: str, cap: int | None) -> list[int] | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            keys = [int(k) for k in value.split(",") if k.strip()]
        except ValueError:
            raise invalid(f"Parameter {name} must be a comma-separated list of integers") from None
        if cap is not None and len(keys) > cap:
            raise invalid(f"Parameter {name} holds {len(keys)} identifiers, the maximum is {cap}")
        return keys

    def strings(self, name: str, cap: int | None) -> list[str] | None:
        value = self.get(name)
        if value is None:
            return None
        items = [k.strip() for k in value.split(",") if k.strip()]
        if cap is not None and len(items) > cap:
            raise invalid(f"Parameter {name} holds {len(items)} values, the maximum is {cap}")
        return items


# --- reply ----------------------------------------------------------------------------------


@dataclass
class Reply:
    """What one request answers: parts to render and the record elements among them."""

    parts: list[Any]
    item: str
    records: list[Mapping[str, Any]]
    style: Style = DEFAULT_STYLE
    headers: dict[str, str] = field(default_factory=dict)
    # Set when the records are not the rendered elements themselves (accountbalance).
    truth: list[dict] | None = None
    # Records a correct client ends up with when the rendered ones are older shapes (a
    # detail document without its own key, which the client restores from its request).
    truth_from: list[Mapping[str, Any]] | None = None

    def ground_truth(self) -> list[dict]:
        if self.truth is not None:
            return self.truth
        records = self.truth_from if self.truth_from is not None else self.records
        return [expected_record(self.item, r, self.style) for r in records]


def listing(wrapper: str, item: str, records: list, style: Style = DEFAULT_STYLE) -> Reply:
    return Reply([Wrapper(wrapper, [Records(item, records)])], item, records, style)


# --- shared helpers -------------------------------------------------------------------------


def modified_at(record: Mapping[str, Any]) -> dt.datetime | None:
    value = record.get("_modified")
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=HELSINKI)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time.min, tzinfo=HELSINKI)
    return None


def changed_records(
    company: CompanyLike, kind: str, start: dt.datetime | None, end: dt.datetime | None
) -> Iterator[dict]:
    """Records of `kind` modified in [start, end] (either bound optional), ascending key.

    Lazy, so a capped list (salesinvoicelist.nv) builds only the rows it returns. The
    company's change index narrows to whole seconds; the exact bounds are checked here.
    """
    source = (
        company.records(kind)
        if start is None and end is None
        else company.modified_between(kind, start, end)
    )
    for record in source:
        moment = modified_at(record)
        if moment is None:
            continue
        if start is not None and moment < start:
            continue
        if end is not None and moment > end:
            continue
        yield record


def modified_window(
    company: CompanyLike, kind: str, start: dt.datetime | None, end: dt.datetime | None
) -> list[dict]:
    """`changed_records` as a list."""
    return sorted(changed_records(company, kind, start, end), key=key_of)


def candidates(
    company: CompanyLike,
    kind: str,
    changed: tuple[dt.datetime | None, dt.datetime | None] = (None, None),
    dated: tuple[dt.date | None, dt.date | None] = (None, None),
    above: int | None = None,
) -> Iterable[Mapping[str, Any]]:
    """The records a list call filters, ascending key: from the narrowest index that holds
    every match (change window, else document-date window, else key watermark, else all).

    A superset: the caller still applies each of its filters, so which index is chosen never
    changes an answer, only what it costs.
    """
    if changed != (None, None):
        return changed_records(company, kind, *changed)
    first, last = dated
    if first is not None or last is not None:
        return company.by_date(kind, first or dt.date.min, last or dt.date.max)
    if above is not None:
        return records_above(company, kind, above)
    return company.records(kind)


def key_of(record: Mapping[str, Any]) -> int:
    for name in ("netvisorkey", "salesinvoicenetvisorkey", "purchaseinvoicenetvisorkey"):
        value = record.get(name)
        if value is not None:
            return int(value)
    for group in record.values():
        if isinstance(group, Mapping) and group.get("netvisorkey") is not None:
            return int(group["netvisorkey"])
    return 0


def records_above(
    company: CompanyLike, kind: str, above: int | None
) -> Iterable[Mapping[str, Any]]:
    for key in company.keys(kind, above):  # type: ignore[attr-defined]
        record = company.get(kind, key)
        if record is not None:
            yield record


def in_range(value: dt.date | None, first: dt.date | None, last: dt.date | None) -> bool:
    if value is None:
        return first is None and last is None
    if isinstance(value, dt.datetime):
        value = value.date()
    return (first is None or value >= first) and (last is None or value <= last)


def detail_uri(params: Params, resource: str, name: str, key: int) -> str:
    return f"{params.base_url}/{resource}?{name}={key}"


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def lookup(company: CompanyLike, kind: str, keys: list[int], missing: Callable[[int], Any]):
    found = []
    for key in keys:
        record = company.get(kind, key)
        if record is None:
            result = missing(key)
            if result is None:
                continue
        else:
            found.append(record)
    return found


# Older documents come back without their own key in a detail response (real samples:
# GetSalesInvoice.xml, GetCustomerMinimal.xml); about one in twelve here, chosen by key.
OLDER_SHAPE_PER_MILLE = 80


def older_shape(key: Any) -> bool:
    """Whether a document answers in the older shape (deterministic by its key)."""
    return isinstance(key, int) and (key * 2_654_435_761) % 1000 < OLDER_SHAPE_PER_MILLE


def without_own_key(record: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    """The record as an older response renders it: its own key left out."""
    if len(path) == 1:
        if not older_shape(record.get(path[0])):
            return record
        return {k: v for k, v in record.items() if k != path[0]}
    group = record.get(path[0])
    if not isinstance(group, Mapping) or not older_shape(group.get(path[1])):
        return record
    return {**record, path[0]: {k: v for k, v in group.items() if k != path[1]}}


def get_documents(
    company: CompanyLike, p: Params, kind: str, item: str, wrapper: str, cap: int = 500
) -> tuple[list[Mapping[str, Any]], bool]:
    """(records, single) for the netvisorkey / netvisorkeylist pattern."""
    single = p.int("netvisorkey")
    if single is not None:
        record = company.get(kind, single)
        return ([record] if record is not None else []), True
    keys = p.keys("netvisorkeylist", cap)
    if keys is None:
        raise invalid("Required parameter netvisorkey or netvisorkeylist is missing")
    return lookup(company, kind, keys, lambda _k: None), False


def document_reply(records: list, single: bool, item: str, wrapper: str, style=DEFAULT_STYLE):
    if single:
        value = records[0] if records else None
        return Reply([Element(item, value)], item, records, style)
    return listing(wrapper, item, records, style)


def older_shape_reply(
    records: list[Mapping[str, Any]], single: bool, own_key: str, item: str, wrapper: str
) -> Reply:
    """`document_reply` with some documents in the older shape (`without_own_key`); the
    ground truth stays the full records, which a client restores from its request."""
    reply = document_reply([without_own_key(r, own_key) for r in records], single, item, wrapper)
    reply.truth_from = records
    return reply
