"""The source assets: a document's tables commit together; deterministic failures fail at once.

Contract: when any table of a source cannot be written (here a voucher line whose amount has
more decimals than NUMERIC keeps), every table of the source keeps its previous content, no
table of the source is recorded as materialized, and the step is not retried (one attempt, no
more requests than a successful run); a ranged run longer than one request window is streamed
window by window and still lands whole.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg
import pytest

from netvisor_assets.automation import PARTITIONED_JOB
from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.warehouse import warehouse_from_env
from netvisor_assets_tests.harness import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    definitions,
    expected_rows,
    sync_env,
    warehouse_rows,
)

FIRST = dt.date(2025, 1, 1)
LAST = dt.date(2025, 1, 31)


@pytest.fixture
def simulator():
    company = generate_company(seed=3, size="tiny", start_date=FIRST)
    with SimulatorServer(company=company, credentials=Credentials.demo()) as sim:
        yield sim


def _run(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(PARTITIONED_JOB).execute_in_process(
        instance=instance,
        tags={RANGE_START_TAG: FIRST.isoformat(), RANGE_END_TAG: LAST.isoformat()},
        raise_on_error=False,
    )


def test_a_failing_line_table_leaves_the_whole_source_as_it_was(simulator, tmp_path) -> None:
    with sync_env(simulator, tmp_path, FIRST.isoformat()):
        defs = definitions()
        instance = dg.DagsterInstance.ephemeral()
        before_requests = simulator.requests_served
        assert _run(defs, instance).success
        good_requests = simulator.requests_served - before_requests
        warehouse = warehouse_from_env()
        vouchers = warehouse_rows(warehouse, "vouchers")
        lines = warehouse_rows(warehouse, "voucher_lines")
        assert vouchers and lines

        # Netvisor changes a voucher: a new description (header) and a line amount with
        # twelve decimals, which NUMERIC cannot store without rounding. (Records are built on
        # demand, so the change goes into the simulated company's voucher builder.)
        company = simulator.company
        target = vouchers[0]["voucher_key"]
        original_builder = company._builder

        def builder(kind: str):
            build = original_builder(kind)
            if kind != "vouchers":
                return build

            def changed(i: int) -> dict:
                record = build(i)
                if record["netvisorkey"] == target:
                    record["voucherdescription"] = "changed upstream"
                    record["voucherline"][0]["linesum"] = Decimal("1.123456789012")
                return record

            return changed

        company._builder = builder
        failed_instance = dg.DagsterInstance.ephemeral()
        before_requests = simulator.requests_served
        result = _run(defs, failed_instance)
        failed_requests = simulator.requests_served - before_requests

        assert not result.success
        assert warehouse_rows(warehouse, "vouchers") == vouchers
        assert warehouse_rows(warehouse, "voucher_lines") == lines
        materialized = {
            e.asset_key.path[-1] for e in result.get_asset_materialization_events() if e.asset_key
        }
        assert not materialized & {"vouchers", "voucher_lines"}
        failure = next(e for e in result.all_events if e.is_step_failure)
        assert failure.step_failure_data is not None
        error = failure.step_failure_data.error
        assert error is not None and "more than 9 decimal places" in error.message
        # Deterministic: no retry, so no more requests than the successful run made.
        assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
        assert failed_requests <= good_requests


def test_a_long_range_is_streamed_window_by_window_and_lands_whole(simulator, tmp_path) -> None:
    with sync_env(simulator, tmp_path, FIRST.isoformat()):
        defs = definitions()
        last = dt.date(2025, 3, 31)
        result = defs.resolve_job_def(PARTITIONED_JOB).execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            tags={RANGE_START_TAG: FIRST.isoformat(), RANGE_END_TAG: last.isoformat()},
        )
        assert result.success
        windows = {
            m.asset_key.path[-1]: m.metadata["request_windows"].value
            for m in (e.materialization for e in result.get_asset_materialization_events())
        }
        # Streamed about a response at a time, never the three months at once.
        assert windows["vouchers"] > 1
        warehouse = warehouse_from_env()
        expected = expected_rows(simulator, _selection(), FIRST, last)
        for name in ("vouchers", "voucher_lines", "sales_invoices", "sales_invoice_lines"):
            assert warehouse_rows(warehouse, name) == expected[name], name


def _selection():
    from netvisor_assets.selection import load_selection

    return load_selection()


def test_rows_dated_outside_the_window_are_counted_and_logged(tmp_path) -> None:
    """Unit test (a stub client): a record dated outside the run's window is not written, and
    the count and a sample reach the outcome (metadata) and the log."""
    from netvisor_assets.loading import sync_source
    from netvisor_assets.tables.ledger import VOUCHER_SOURCE
    from netvisor_assets.warehouse import DuckDBWarehouse

    def voucher(key: int, day: dt.date) -> dict:
        return {"netvisorkey": key, "voucherdate": day, "status": "valid", "voucherline": []}

    class StubClient:
        requests_made = 0
        organisation_id = "1967543-8"
        known_density: dict[str, float] = {}  # noqa: RUF012 (read only)

        def _fetch(self, resource, query, paths) -> tuple[list[dict], None]:
            return [
                voucher(1, query["startdate"]),
                voucher(2, dt.date(2024, 12, 31)),  # Netvisor answered a day before the window
            ], None

    source = VOUCHER_SOURCE
    logged: list[str] = []
    outcome = sync_source(
        source,
        source.tables,
        StubClient(),  # type: ignore[arg-type]
        DuckDBWarehouse(tmp_path / "warehouse.duckdb"),
        run_id="unit",
        window=(FIRST, FIRST),
        log=logged.append,
    )
    assert outcome.results["vouchers"].rows_written == 1
    assert outcome.outside_window == {"vouchers": 1}
    assert any(
        "1 rows dated outside 2025-01-01..2025-01-01" in m and "2 dated 2024-12-31" in m
        for m in logged
    )


def test_a_later_run_sizes_its_first_window_by_the_stored_days(tmp_path) -> None:
    """Unit test (a stub client of a busy company): the first run's first window is the
    resource's guess and holds several budgets; the next month's run reads the stored density
    and its first window, like all its others, holds at most one budget."""
    from netvisor_assets.loading import sync_source
    from netvisor_assets.tables.ledger import VOUCHER_SOURCE
    from netvisor_assets.warehouse import DuckDBWarehouse

    per_day = 60
    budget = VOUCHER_SOURCE.endpoint.list.budget

    class StubClient:
        requests_made = 0
        organisation_id = "1967543-8"

        def __init__(self) -> None:
            self.known_density: dict[str, float] = {}
            self.answered: list[int] = []

        def _fetch(self, resource, query, paths) -> tuple[list[dict], None]:
            first = dt.date.fromisoformat(str(query["startdate"]))
            last = dt.date.fromisoformat(str(query["enddate"]))
            days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
            vouchers = [
                {
                    "netvisorkey": day.toordinal() * 1000 + i,
                    "voucherdate": day,
                    "status": "valid",
                    "voucherline": [],
                }
                for day in days
                for i in range(per_day)
            ]
            self.answered.append(len(vouchers))
            return vouchers, None

    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    answered = []
    for window in [
        (dt.date(2025, 1, 1), dt.date(2025, 1, 31)),
        (dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
    ]:
        client = StubClient()
        sync_source(
            VOUCHER_SOURCE, VOUCHER_SOURCE.tables, client, warehouse, run_id="u", window=window
        )  # type: ignore[arg-type]
        answered.append(client.answered)
    january, february = answered
    assert january[0] > budget, "the stub must be busier than the guess for this to test"
    assert sum(february) == 28 * per_day
    assert max(february) <= budget
