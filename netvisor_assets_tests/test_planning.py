"""The request planner: windows sized by the response budget, and the minimum it is judged by."""

from __future__ import annotations

import datetime as dt

import pytest

from netvisor_assets.netvisor.planning import (
    LONGEST_FIRST,
    WindowPlanner,
    first_window_days,
    minimum_requests,
)
from netvisor_assets.tables.ledger import BALANCE_ENDPOINT, VOUCHER_ENDPOINT
from netvisor_assets.tables.partners import CUSTOMER_ENDPOINT, PRODUCT_ENDPOINT
from netvisor_assets.tables.purchases import PURCHASE_INVOICE_ENDPOINT
from netvisor_assets.tables.sales import SALES_INVOICE_ENDPOINT

D = dt.date


def _plan(
    first: dt.date,
    last: dt.date,
    budget: int,
    per_day,
    first_days: int = 31,
    density: float | None = None,
) -> list:
    """The windows a planner asks for when day d holds per_day(d) records."""
    planner = WindowPlanner(first, last, budget, first_days, density)
    windows = []
    while (window := planner.next_window()) is not None:
        days = (window[1] - window[0]).days + 1
        count = sum(per_day(window[0] + dt.timedelta(days=i)) for i in range(days))
        windows.append((window, count))
        planner.saw(window, count)
    return windows


def test_windows_cover_the_range_once_in_order() -> None:
    windows = _plan(D(2024, 1, 1), D(2024, 12, 31), 500, lambda d: 7 + d.day % 5)
    assert windows[0][0][0] == D(2024, 1, 1) and windows[-1][0][1] == D(2024, 12, 31)
    for (a, _), (b, _) in zip(windows, windows[1:], strict=False):
        assert b[0] == a[1] + dt.timedelta(days=1)


def test_a_steady_density_takes_the_minimum_and_fills_each_window() -> None:
    windows = _plan(D(2024, 1, 1), D(2024, 12, 31), 500, lambda d: 20)
    total = sum(count for _, count in windows)
    assert total == 366 * 20
    assert len(windows) == -(-total // 500)
    # Equal windows after the first: none holds more than the budget at a steady density.
    assert max(count for _, count in windows) <= 620  # the 31-day first window
    assert all(count <= 500 for _, count in windows[1:])


def test_a_quiet_history_takes_few_requests_and_empty_windows_grow() -> None:
    assert len(_plan(D(2020, 1, 1), D(2024, 12, 31), 500, lambda d: 0)) < 5
    busy_at_end = _plan(D(2024, 1, 1), D(2024, 12, 31), 500, lambda d: 50 if d.month == 12 else 0)
    assert sum(count for _, count in busy_at_end) == 31 * 50


def test_the_first_window_is_the_resources_guess() -> None:
    windows = _plan(D(2024, 1, 1), D(2024, 12, 31), 2000, lambda d: 1, first_days=124)
    assert windows[0][0] == (D(2024, 1, 1), D(2024, 5, 3))
    assert len(windows) == 2  # the rest of the year fits one budget
    with pytest.raises(ValueError):
        WindowPlanner(D(2024, 1, 1), D(2024, 1, 2), 0)


@pytest.mark.parametrize(
    ("endpoint", "records", "expected"),
    [
        (VOUCHER_ENDPOINT, 0, 1),  # an empty answer is still one request
        (VOUCHER_ENDPOINT, 500, 1),
        (VOUCHER_ENDPOINT, 501, 2),
        (BALANCE_ENDPOINT, 12_000, 3),  # 5,000 balance rows a response
        (PURCHASE_INVOICE_ENDPOINT, 2_500, 2 + 5),  # 2,000-row lists, 500-key details
        (SALES_INVOICE_ENDPOINT, 500, 2 + 1),  # a full capped page asks once more
        (SALES_INVOICE_ENDPOINT, 499, 1 + 1),
        (CUSTOMER_ENDPOINT, 1_001, 1 + 3),  # one list call, then key batches
        (PRODUCT_ENDPOINT, 401, 1 + 2),  # 400 keys a call
    ],
)
def test_minimum_requests(endpoint, records: int, expected: int) -> None:
    assert minimum_requests(endpoint, records) == expected


def test_a_known_density_sizes_the_first_window_to_one_budget() -> None:
    """A backfill's later run knows the density from the warehouse: its first response fits."""
    windows = _plan(D(2024, 1, 1), D(2024, 12, 31), 500, lambda d: 200, density=200.0)
    assert windows[0][1] <= 500, "the first window overshoots the budget"
    assert all(count <= 500 for _, count in windows)


@pytest.mark.parametrize(
    ("density", "days"),
    [(None, 31), (200.0, 2), (16.0, 31), (1.0, 31 * LONGEST_FIRST), (0.0, 31 * LONGEST_FIRST)],
)
def test_first_window_days(density: float | None, days: int) -> None:
    assert first_window_days(31, 500, density) == days
