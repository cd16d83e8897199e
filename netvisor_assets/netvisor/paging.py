"""The one generic fetch: runs any `Endpoint` declaration over the client's transport.

Every source's records come through `fetch`: list (paged as declared), then details by key
batches across the whole window, then the list rows merged in where declared. The transport
(`NetvisorClient._fetch`) signs, serialises, retries and parses one request; this module only
decides which requests to send.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import itertools
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from netvisor_assets.netvisor.endpoints import Endpoint, Paging, Param, RecordKeyPath, Resource
from netvisor_assets.netvisor.errors import InvalidData
from netvisor_assets.netvisor.planning import WindowPlanner
from netvisor_assets.netvisor.xml import parse_payload
from netvisor_assets.timezone import HELSINKI

if TYPE_CHECKING:
    import httpx

    from netvisor_assets.netvisor.client import NetvisorClient

logger = logging.getLogger(__name__)

Record = dict[str, Any]
Window = tuple[dt.date, dt.date]
Modified = tuple["dt.date | dt.datetime | None", "dt.date | dt.datetime | None"]

# List resources without a documented cap: a round number of rows from this many on is what an
# undocumented cap would look like (the windows aim at about `Resource.budget` rows).
SUSPICIOUS_ROW_COUNT = 500
# A page-walking loop stops after this many requests, whatever the server says: a server that
# ignores the paging parameter would otherwise be asked forever.
MAX_PAGES = 10_000
_PAGINATION = "X-Netvisor-Pagination-"
_NOT_FOUND = re.compile(r"not found with Netvisor identifier:\s*(\S+)", re.IGNORECASE)


def fetch(
    client: NetvisorClient,
    endpoint: Endpoint,
    *,
    keys: Iterable[int] | None = None,
    params: Mapping[str, Param] | None = None,
    **filters: Any,
) -> list[Record]:
    """The source's records: for a date window, a change filter, keys, or everything.

    `filters` are `list_rows`'s (`window`, `modified`, `changed_since`).
    """
    if keys is not None:
        if any(value is not None for value in filters.values()):
            raise ValueError(f"{endpoint.list.name}: keys cannot be combined with other filters")
        return details(client, endpoint, keys, params=params)
    rows = list_rows(client, endpoint, params=params, **filters)
    if endpoint.detail is None or endpoint.list_is_complete:
        return rows
    return _details_of(client, endpoint, rows)


def list_rows(
    client: NetvisorClient,
    endpoint: Endpoint,
    *,
    window: Window | None = None,
    modified: Modified | None = None,
    changed_since: dt.date | dt.datetime | None = None,
    params: Mapping[str, Param] | None = None,
) -> list[Record]:
    """Rows of the list resource, every page of them."""
    resource = endpoint.list
    query: dict[str, Param] = {}
    if modified is not None:
        if resource.modified is None:
            raise ValueError(f"{resource.name} has no last-modified filter")
        query.update(zip(resource.modified, modified, strict=True))
    if changed_since is not None:
        if resource.changed_since is None:
            raise ValueError(f"{resource.name} has no changed-since filter")
        query[resource.changed_since] = changed_since
    if window is None and not query and not params:
        if resource.needs_filter:
            raise ValueError(f"{resource.name}: give a date window, a change filter or keys")
        query.update(resource.everything)
    query.update(resource.fixed)
    query.update(params or {})
    needs_end = resource.modified_end_required_by
    if modified is not None and needs_end and query.get(needs_end) is not None:
        assert resource.modified is not None
        if query.get(resource.modified[1]) is None:
            query[resource.modified[1]] = dt.datetime.now(HELSINKI) + dt.timedelta(days=1)
    if window is None:
        return run(client, resource, query)
    return [r for rows in _window_pages(client, resource, window, query) for r in rows]


def stream(
    client: NetvisorClient, endpoint: Endpoint, first: dt.date, last: dt.date
) -> Iterator[list[Record]]:
    """The records dated in [first, last], about a response's worth at a time.

    The fewest requests (see `planning`): list windows sized by the response budget (or one
    walk of a capped list), and detail batches filled to their cap across windows. Memory holds
    one response, one detail batch ahead and the list rows still waiting for their details
    (under one batch).
    """
    resource = endpoint.list
    pages = _window_pages(client, resource, (first, last), dict(resource.fixed))
    if endpoint.detail is None or endpoint.list_is_complete:
        yield from pages
        return
    batch = endpoint.detail.batch_size
    waiting: dict[Any, Record] = {}
    seen: set[Any] = set()
    # A detail batch is fetched and parsed in a thread while this one walks the list on: the
    # company's gate keeps one request in flight, and each side's parse overlaps the other's
    # wait on Netvisor. One batch is ahead at most, so memory stays a response's worth.
    ahead = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="netvisor-details")
    pending: concurrent.futures.Future[list[Record]] | None = None
    try:
        for rows in pages:
            for row in rows:
                key = row.get("netvisorkey")
                if key is not None and key not in seen:
                    seen.add(key)
                    waiting[key] = row
            while len(waiting) >= batch:
                if pending is not None:
                    yield pending.result()
                pending = ahead.submit(_details_of, client, endpoint, _taken(waiting, batch))
        if waiting:
            if pending is not None:
                yield pending.result()
            pending = ahead.submit(_details_of, client, endpoint, _taken(waiting, len(waiting)))
        if pending is not None:
            yield pending.result()
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)


def _taken(waiting: dict[Any, Record], count: int) -> list[Record]:
    """The first `count` waiting list rows, which leave `waiting`."""
    return [waiting.pop(k) for k in list(itertools.islice(waiting, count))]


def _details_of(client: NetvisorClient, endpoint: Endpoint, rows: list[Record]) -> list[Record]:
    """The detail records of list rows, each with its list row where the endpoint keeps it."""
    assert endpoint.detail is not None
    found = details(client, endpoint, _keys(rows), skip_vanished=endpoint.detail.vanishes)
    if endpoint.merge_list_key is not None:
        return with_list_rows(found, rows, endpoint.merge_list_key)
    return found


def _window_pages(
    client: NetvisorClient,
    resource: Resource,
    window: Window,
    query: Mapping[str, Param],
) -> Iterator[list[Record]]:
    """Every response of a date-window list over `window`: one capped walk, or planned windows."""
    if resource.window is None:
        raise ValueError(f"{resource.name} has no date window")
    fixed = dict(resource.window_fixed)
    if resource.paging is Paging.ABOVE_KEY:
        span = {**_window(resource.window, *window), **fixed, **query}
        yield from _pages_above_key(client, resource, span)
        return
    if any(query.get(name, value) != value for name, value in resource.window_fixed):
        # The caller changed how the window is stepped (accountbalance.nv by week or month):
        # a cut would move the steps, so the window is asked as it is.
        yield run(client, resource, {**_window(resource.window, *window), **fixed, **query})
        return
    planner = WindowPlanner(
        window[0],
        window[1],
        resource.budget,
        resource.first_window_days,
        client.known_density.get(resource.name),
    )
    while (span := planner.next_window()) is not None:
        rows = run(client, resource, {**_window(resource.window, *span), **fixed, **query})
        planner.saw(span, len(rows))
        yield rows


def changes(
    client: NetvisorClient, endpoint: Endpoint, start: dt.datetime, end: dt.datetime
) -> list[tuple[int, dt.date | None]]:
    """(key, document date) of what changed in [start, end], from the cheapest list call."""
    if endpoint.changes_by == "modified":
        rows = list_rows(
            client, endpoint, modified=(start, end), params=dict(endpoint.change_params) or None
        )
    elif endpoint.changes_by == "changed_since":
        rows = list_rows(
            client, endpoint, changed_since=start, params=dict(endpoint.change_params) or None
        )
    else:
        raise ValueError(f"{endpoint.list.name} has no change filter")
    return _changes(endpoint, rows)


def listed_keys(
    client: NetvisorClient, endpoint: Endpoint, first: dt.date, last: dt.date
) -> list[tuple[int, dt.date | None]]:
    """(key, document date) of every document dated in the window, from the list alone."""
    return _changes(endpoint, list_rows(client, endpoint, window=(first, last)))


def details(
    client: NetvisorClient,
    endpoint: Endpoint,
    keys: Iterable[int | str],
    *,
    skip_vanished: bool = False,
    params: Mapping[str, Param] | None = None,
) -> list[Record]:
    """Detail records for `keys`, `batch_size` per request, each carrying its key.

    Older Netvisor responses leave a detail record's own key out (a getsalesinvoice.nv
    document without SalesInvoiceNetvisorKey, a getcustomer.nv record without NetvisorKey).
    Such a record gets the key the client asked for: with one key per request that is certain;
    with a key list it is matched by position, because Netvisor answers a key list in the
    order asked (assumed, unverified) - and only when the response holds exactly one record
    per key asked and every record that does carry a key sits at the position of that key.
    Otherwise the key-less records are dropped and the keys no record answered are asked
    again one at a time, where the match is certain.
    """
    resource = endpoint.detail or endpoint.list
    if resource.keys is None:
        raise ValueError(f"{resource.name} takes no key list")
    extra = {**dict(resource.fixed), **(params or {})}
    records: list[Record] = []
    for batch in _batches(keys, resource.batch_size):
        remaining = list(batch)
        while remaining:
            query: dict[str, Param] = {resource.keys: ",".join(str(k) for k in remaining)}
            query.update(extra)
            try:
                page = client._fetch(resource.name, query, resource.paths)[0]
                records.extend(_with_keys(client, resource, remaining, page, extra))
                break
            except InvalidData as exc:
                # getcustomer/getvendor fail a whole key list when one key no longer exists
                # (deleted between the list call and this one). Drop that key and ask again
                # rather than lose the other 499 records.
                missing = _missing_key(exc, remaining) if skip_vanished else None
                if missing is None:
                    raise
                logger.warning(
                    "%s: record %s vanished since it was listed; fetching the rest",
                    resource.name,
                    missing,
                )
                remaining.remove(missing)
    return records


def run(client: NetvisorClient, resource: Resource, query: Mapping[str, Param]) -> list[Record]:
    """Every record one list request answers, following the resource's paging."""
    if resource.whole_document:
        return _from_document(client, resource, query)
    if resource.paging is Paging.ABOVE_KEY:
        records = _walk_above_key(client, resource, query)
    elif resource.paging is Paging.PAGE_HEADERS:
        records = _walk_pages(client, resource, query)
    else:
        records = client._fetch(resource.name, query, resource.paths)[0]
        if len(records) >= SUSPICIOUS_ROW_COUNT and len(records) % 100 == 0:
            # No cap is documented for this resource; a round number of rows may mean one.
            logger.warning(
                "%s returned exactly %d rows: if Netvisor caps this resource, rows are missing",
                resource.name,
                len(records),
            )
    if resource.explode is not None:
        return _exploded(records, resource.explode, resource.carry)
    return records


def month_windows(first: dt.date, last: dt.date, max_days: int = 31) -> list[Window]:
    """Split [first, last] into inclusive windows of at most `max_days`, cut at month ends.

    Cutting at month ends keeps request ranges aligned with how Netvisor users think about
    periods, and makes a re-run of the same month send the same requests.
    """
    windows: list[Window] = []
    start = first
    while start <= last:
        next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(last, next_month - dt.timedelta(days=1), start + dt.timedelta(days=max_days - 1))
        windows.append((start, end))
        start = end + dt.timedelta(days=1)
    return windows


def with_list_rows(details: list[Record], rows: list[Record], key: str) -> list[Record]:
    """Each detail record with its list row under `list`.

    Why: only the list resources say what is still open (`OpenSum`), an open invoice's
    sub-status and whether it is in collection; the detail resources do not. The list was
    fetched anyway to learn the keys, so keeping its row costs no request.
    """
    by_key = {r.get("netvisorkey"): r for r in rows}
    for record in details:
        row = by_key.get(record.get(key))
        if row is not None:
            record["list"] = row
    return details


# ----------------------------------------------------------------------------- strategies


def _walk_above_key(
    client: NetvisorClient, resource: Resource, query: Mapping[str, Param]
) -> list[Record]:
    """Repeat a list request from the largest key seen while responses come back full.

    Assumes rows are ordered by NetvisorKey ascending when the key parameter is given (the
    parameter exists for exactly this walk).
    """
    return [r for page in _pages_above_key(client, resource, query) for r in page]


def _pages_above_key(
    client: NetvisorClient, resource: Resource, query: Mapping[str, Param]
) -> Iterator[list[Record]]:
    """The walk's pages as they come, each without the keys an earlier page held."""
    assert resource.page_param is not None and resource.row_cap is not None
    seen: set[Any] = set()
    above = 0
    for _ in range(MAX_PAGES):
        query_above = {**query, resource.page_param: above}
        page = client._fetch(resource.name, query_above, resource.paths)[0]
        fresh = []
        for record in page:
            key = record.get("netvisorkey", id(record))
            if key not in seen:
                seen.add(key)
                fresh.append(record)
        yield fresh
        keys = [r["netvisorkey"] for r in page if isinstance(r.get("netvisorkey"), int)]
        if len(page) < resource.row_cap or not keys or max(keys) <= above:
            break
        above = max(keys)


def _walk_pages(
    client: NetvisorClient, resource: Resource, query: Mapping[str, Param]
) -> list[Record]:
    """Pages are 1-based; the next page number is read from `X-Netvisor-Pagination-Next-Page`,
    and without paging headers the first response is taken as complete."""
    assert resource.page_param is not None
    by_key: dict[Any, Record] = {}
    page = 1
    for _ in range(MAX_PAGES):
        records, raw = client._fetch(
            resource.name, {**query, resource.page_param: page}, resource.paths
        )
        before = len(by_key)
        for record in records:
            by_key.setdefault(record.get("netvisorkey", id(record)), record)
        next_page = _header_int(raw.headers, "Next-Page")
        total = _header_int(raw.headers, "Total-Count")
        if next_page is None or next_page <= page or not records:
            break
        if total is not None and len(by_key) >= total:
            break
        if len(by_key) == before:
            break  # the server ignores the page parameter: stop rather than loop
        page = next_page
    return list(by_key.values())


def _from_document(
    client: NetvisorClient, resource: Resource, query: Mapping[str, Param]
) -> list[Record]:
    """Records of a small reference answer read as one parsed document."""
    payload = parse_payload(
        client.request(resource.name, query or None).body, resource=resource.name
    )
    if resource.pairs_at is not None:
        group = _at(payload, resource.pairs_at)
        key, value = resource.pair_names
        return [
            {key: name, value: None if item is None else str(item)}
            for name, item in sorted(group.items())
        ]
    records = [r for path in resource.paths for r in _as_records(_at(payload, path, leaf=True))]
    if resource.attach_at is not None:
        nested = {path[-1] for path in resource.paths}
        group = {k: v for k, v in _at(payload, resource.attach_at).items() if k not in nested}
        records = [{**record, resource.attach_as: group} for record in records]
    return records


def _at(payload: Mapping[str, Any], path: Sequence[str], *, leaf: bool = False) -> Any:
    value: Any = payload
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    if leaf:
        return value
    return value if isinstance(value, Mapping) else {}


def _with_keys(
    client: NetvisorClient,
    resource: Resource,
    asked: Sequence[int | str],
    page: list[Record],
    extra: Mapping[str, Param],
) -> list[Record]:
    path = resource.key_path
    keyless = [r for r in page if _get_key(r, path) is None]
    if not keyless:
        return page
    if len(page) == len(asked) and all(
        _get_key(r, path) in (None, _as_int(k)) for r, k in zip(page, asked, strict=True)
    ):
        for record, key in zip(page, asked, strict=True):
            if _get_key(record, path) is None:
                _set_key(record, path, _as_int(key))
        return page
    keyed = [r for r in page if _get_key(r, path) is not None]
    answered = {_get_key(r, path) for r in keyed}
    unanswered = [k for k in asked if _as_int(k) not in answered]
    logger.warning(
        "%s: %d records without their key could not be matched to %d keys asked; "
        "asking for those keys one at a time",
        resource.name,
        len(keyless),
        len(unanswered),
    )
    assert resource.keys is not None
    for key in unanswered:
        single = client._fetch(resource.name, {resource.keys: str(key), **extra}, resource.paths)
        for record in single[0][:1]:
            if _get_key(record, path) is None:
                _set_key(record, path, _as_int(key))
            keyed.append(record)
    return keyed


# ----------------------------------------------------------------------------- small parts


def _window(names: tuple[str, ...], first: dt.date, last: dt.date) -> dict[str, Param]:
    if len(names) == 1:
        return {names[0]: f"{first.isoformat()},{last.isoformat()}"}
    return {names[0]: first, names[1]: last}


def _changes(endpoint: Endpoint, rows: list[Record]) -> list[tuple[int, dt.date | None]]:
    field = endpoint.date_field
    return [(r["netvisorkey"], r.get(field) if field else None) for r in rows]


def _exploded(records: list[Record], key: str, carry: tuple[str, ...]) -> list[Record]:
    out: list[Record] = []
    for record in records:
        parent = {name: record.get(name) for name in carry}
        for item in record.get(key) or []:
            out.append({**parent, **item})
    return out


def _keys(records: Iterable[Record]) -> list[int]:
    return [r["netvisorkey"] for r in records if r.get("netvisorkey") is not None]


def _batches(keys: Iterable[int | str], size: int) -> list[list[int | str]]:
    unique = list(dict.fromkeys(keys))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def _missing_key(exc: InvalidData, keys: Sequence[int | str]) -> int | str | None:
    """The key an INVALID_DATA "… not found with Netvisor identifier: N" names, if ours."""
    match = _NOT_FOUND.search(exc.message or "")
    if not match:
        return None
    named = match.group(1).strip(".,;")
    return next((k for k in keys if str(k) == named), None)


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    raw = (headers.get(_PAGINATION + name) or "").strip()
    return int(raw) if re.fullmatch(r"\d+", raw) else None


def _as_int(key: int | str) -> int | str:
    return int(key) if isinstance(key, str) and key.isdigit() else key


def _get_key(record: Record, path: RecordKeyPath) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _set_key(record: Record, path: RecordKeyPath, key: int | str) -> None:
    target = record
    for part in path[:-1]:
        nested = target.get(part)
        if not isinstance(nested, dict):
            nested = target[part] = {}
        target = nested
    target[path[-1]] = key


def _as_records(value: Any) -> list[Record]:
    if value is None:
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict)]
