"""Which requests a date range needs: windows sized by a response budget, and the minimum.

Netvisor answers one request at a time per company, so a sync can never beat (requests) x
(latency): the fewest requests is the first performance rule. Resources come in three shapes:

- a list with a row cap walked above a key (salesinvoicelist.nv, 500 rows): one walk over the
  whole range is already the fewest;
- a list without a documented cap or paging (accountingledger.nv, purchaseinvoicelist.nv, the
  order and payment lists, accountbalance.nv): one response must still stay bounded (Netvisor's
  own timeouts; a response is parsed whole before it is retried or accepted). Each has a
  **response budget**, `Resource.budget`: about how many records one response should hold.
  `WindowPlanner` sizes each next date window from the density seen so far, so a quiet year is
  one request and a busy month several, instead of one request per calendar month;
- detail resources asked by key lists (500 keys, 400 for products): batches are filled to the
  cap across windows, never cut at a window's end.

`minimum_requests` is the same rule applied with hindsight (the record count known): what the
fewest requests under the same budget would be. The benchmarks divide by it.
"""

from __future__ import annotations

import datetime as dt
import math

from netvisor_assets.netvisor.endpoints import Endpoint, Paging

Window = tuple[dt.date, dt.date]

# An empty window says little about density: the next one grows by this factor.
GROWTH_WHEN_EMPTY = 4
# How far a known density may stretch a first window, as a multiple of the resource's guess.
LONGEST_FIRST = 4


def first_window_days(guess_days: int, budget: int, density: float | None) -> int:
    """The first window of a resource: its guess, or one budget at a density already known.

    The guess (`Resource.first_window_days`) is what a month or a quarter holds in a typical
    company; a large one's month of ledger is twelve budgets. Where the warehouse already holds
    the neighbouring days (a backfill's later runs, a re-sync), their density is the better
    guess (see `loading`). Other resources of the same company say little: one company's
    sales payments are thirty times its purchase orders.
    """
    if density is None:
        return guess_days
    if density <= 0:
        return guess_days * LONGEST_FIRST
    return max(1, min(guess_days * LONGEST_FIRST, math.floor(budget / density)))


class WindowPlanner:
    """Date windows over [first, last], each sized to hold about `budget` records.

    The first window is `first_days` long (the resource's guess before anything is seen),
    or what one budget spans at a `density` (records per day) known beforehand. Then
    the density (records per day) is everything seen so far in this range, and the rest of the
    range is cut into the fewest windows of at most `budget` expected records, all of equal
    length: equal windows leave the slack in every window rather than one extra request at the
    end. Why not calendar months: a month is 30 records in one company and 30,000 in another,
    and Netvisor charges a round trip per window either way.
    """

    def __init__(
        self,
        first: dt.date,
        last: dt.date,
        budget: int,
        first_days: int = 31,
        density: float | None = None,
    ) -> None:
        if budget < 1 or first_days < 1:
            raise ValueError("a response budget and a first window are at least one")
        self.first, self.last, self.budget = first, last, budget
        self._next = first
        self._days_seen = 0
        self._records_seen = 0
        self._days = first_window_days(first_days, budget, density)

    def next_window(self) -> Window | None:
        """The next window to ask for, None when the range is covered."""
        if self._next > self.last:
            return None
        end = min(self.last, self._next + dt.timedelta(days=self._days - 1))
        return self._next, end

    def saw(self, window: Window, records: int) -> None:
        """What `window` answered: sizes the window after it."""
        days = (window[1] - window[0]).days + 1
        self._next = window[1] + dt.timedelta(days=1)
        self._days_seen += days
        self._records_seen += records
        left = (self.last - self._next).days + 1
        if self._records_seen == 0:
            self._days = days * GROWTH_WHEN_EMPTY
            if left - self._days < self._days // 2:
                self._days = left  # no stub of a window at the end: nothing says it is busy
        elif left > 0:
            # Whole days: the longest window that stays within the budget, then the rest of
            # the range in that many equal windows (never longer than the longest).
            density = self._records_seen / self._days_seen
            longest = max(1, math.floor(self.budget / density))
            windows = math.ceil(left / longest)
            self._days = math.ceil(left / windows)


def minimum_requests(endpoint: Endpoint, records: int) -> int:
    """The fewest requests that read `records` records under the same response budget.

    A list is asked at least once (an empty answer is still an answer). A capped walk needs one
    page past the last full one; an uncapped windowed list `records / budget` responses; key
    batches `records / batch_size`.
    """
    resource = endpoint.list
    if resource.paging is Paging.ABOVE_KEY and resource.row_cap:
        requests = records // resource.row_cap + 1
    elif resource.window is not None or resource.paging is not Paging.ONE_CALL:
        requests = max(1, math.ceil(records / resource.budget))
    else:
        requests = 1
    if endpoint.detail is not None and not endpoint.list_is_complete:
        requests += math.ceil(records / endpoint.detail.batch_size)
    return requests
