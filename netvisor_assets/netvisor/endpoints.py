"""Netvisor read resources described as data: what a request asks and how its answer pages.

A table's registry entry (`netvisor_assets.tables`) declares its `Endpoint`; the client runs any
declaration with one generic fetch (`netvisor_assets.netvisor.paging`). So adding a table the
API already offers is one declaration, never a new client method.

Four paging strategies exist in Netvisor's read API, and only these:

- `ONE_CALL`: the whole answer in one response (reference lists, payment lists);
- `KEY_BATCHES`: a key-list parameter with a documented cap (500, 400 for products) per call;
- `ABOVE_KEY`: a row cap per response, walked with a "rows above this key" parameter
  (salesinvoicelist.nv, 500 rows, `invoicesabovenetvisorkey`);
- `PAGE_HEADERS`: 1-based pages whose next page is named by `X-Netvisor-Pagination-*` response
  headers (getvendor.nv).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from netvisor_assets.netvisor.xml import RecordPath

Param = str | int | bool | Decimal | dt.date | dt.datetime | None
RecordKeyPath = tuple[str, ...]

# Documented key-list caps of the detail resources.
KEY_BATCH_SIZE = 500
PRODUCT_KEY_BATCH_SIZE = 400
# Records one response of a list without a documented cap should hold (see `planning`): the
# documented caps elsewhere (salesinvoicelist.nv's 500 rows, the 500-key lists) say what
# Netvisor itself considers one response's worth, about 1 MB of XML for documents with lines.
RESPONSE_BUDGET = 500
# Flat list rows (a key, a date, a few sums: about 400 bytes) fill the same megabyte four times
# over; a daily balance row (four short elements) ten times.
ROW_BUDGET = 2000
BALANCE_ROW_BUDGET = 5000
# First windows (days) of those lists: a month of vouchers; a third of a year of flat rows, the
# same guess of about 16 documents a day; a quarter of balances (a chart of some 50 accounts
# with balances is 50 rows a day).
ROW_FIRST_WINDOW_DAYS = 124
BALANCE_FIRST_WINDOW_DAYS = 92


class Paging(Enum):
    ONE_CALL = "one call"
    KEY_BATCHES = "key batches"
    ABOVE_KEY = "walk above a key past a row cap"
    PAGE_HEADERS = "page headers"


@dataclass(frozen=True)
class Resource:
    """One Netvisor resource as a request: its parameters, record paths and paging.

    `window` names the (first, last) date parameters of an inclusive date window; a single name
    takes both dates joined by a comma (accountbalance.nv's `balancedates`). `modified` names the
    (start, end) last-modified parameters, `changed_since` the changed-since one. `fixed` are
    sent with every request (a caller's own parameters override them); `everything` with a
    request that has no filter at all (getvendor.nv enumerates with an old `changedsince`).
    """

    name: str
    paths: tuple[RecordPath, ...]
    paging: Paging = Paging.ONE_CALL
    fixed: tuple[tuple[str, Param], ...] = ()
    everything: tuple[tuple[str, Param], ...] = ()
    window: tuple[str, ...] | None = None
    # Sent with a date window only (accountbalance.nv's `intervaltype` steps a range; with
    # explicit dates it must be absent).
    window_fixed: tuple[tuple[str, Param], ...] = ()
    # Uncapped windowed lists: about how many records one response should hold, and the first
    # window's days before any density is known (`planning`).
    budget: int = RESPONSE_BUDGET
    first_window_days: int = 31
    modified: tuple[str, str] | None = None
    # With this parameter Netvisor requires both last-modified ends: an open end becomes "a
    # day past now" (covers clock skew to the server), the only meaningful open end.
    modified_end_required_by: str | None = None
    changed_since: str | None = None
    # The resource answers nothing sensible without a filter (accountingledger.nv would be
    # asked for the whole ledger at once): a call without one is refused before it is sent.
    needs_filter: bool = False
    # KEY_BATCHES: the key-list parameter and its cap; where a record keeps its own key.
    keys: str | None = None
    batch_size: int = KEY_BATCH_SIZE
    key_path: RecordKeyPath = ("netvisorkey",)
    # KEY_BATCHES: a key that no longer exists fails the whole list (INVALID_DATA) rather than
    # answering empty; list-then-detail drops it and asks for the rest again.
    vanishes: bool = False
    # ABOVE_KEY: the rows-above parameter and the row cap; PAGE_HEADERS: the page parameter.
    page_param: str | None = None
    row_cap: int | None = None
    # Each record's list at this key becomes one record per item, carrying these parent fields
    # (accountbalance.nv: an account with its balances -> one record per account and day).
    explode: str | None = None
    carry: tuple[str, ...] = ()
    # The response's group at this path, as (key, value) records (accountlist.nv's
    # CompanyDefaultAccounts: one record per role, so a role Netvisor adds becomes a row).
    pairs_at: RecordPath | None = None
    pair_names: tuple[str, str] = ("key", "value")
    # The group at this path, without its record children, attached to every record under
    # `attach_as` (accountingperiodlist.nv: the company's lock dates beside each period).
    attach_at: RecordPath | None = None
    attach_as: str = "attached"

    @property
    def whole_document(self) -> bool:
        """Whether records come from the parsed whole response (small reference answers)."""
        return self.pairs_at is not None or self.attach_at is not None


@dataclass(frozen=True)
class Endpoint:
    """How one source's records are read: a list resource, and a detail resource by keys.

    With a `detail` and `list_is_complete` false, the list is read for keys and the details are
    fetched 500 (or `batch_size`) at a time across the whole window; `merge_list_key` then keeps
    each list row under the detail's `list` key (only the list tells an invoice's open sum).
    `date_field` is the list row's document date: a change becomes (key, date), so a sensor
    knows which day to re-run without fetching details. `changes_by` says which filter finds
    changes ("modified" windows or "changed_since"), `change_params` what it adds.
    """

    list: Resource
    detail: Resource | None = None
    list_is_complete: bool = False
    merge_list_key: str | None = None
    date_field: str | None = None
    changes_by: str | None = None
    change_params: tuple[tuple[str, Param], ...] = ()

    @property
    def resources(self) -> tuple[str, ...]:
        """The resource names this endpoint asks, list first (a resource read both ways, like
        getvendor.nv, once)."""
        names = (self.list.name, *((self.detail.name,) if self.detail else ()))
        return tuple(dict.fromkeys(names))
