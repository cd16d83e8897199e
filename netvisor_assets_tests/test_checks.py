"""Contract: every sync proves itself, and each kind of bad data fails its own check.

The rules (pandera schemas from the registry, accounting invariants, reconciliation with
Netvisor's own numbers, completeness, freshness) are tested as functions with table-driven
cases, and end to end against the simulator seeded with defects: each defect fails exactly
the check meant for it, with its keys in the check's metadata, and a clean company passes.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

import dagster as dg
import pandas as pd
import pytest

from netvisor_assets import checks
from netvisor_assets.automation import (
    COMPLETENESS_JOB,
    FRESHNESS_JOB,
    PARTITIONED_JOB,
    SCHEDULED_ONLY_CHECKS,
)
from netvisor_assets.loading import sync_source
from netvisor_assets.reconciliation import (
    HELSINKI,
    differing_days,
    partition_freshness,
    refresh_freshness,
    required_partition,
)
from netvisor_assets.resources import client_from_settings
from netvisor_assets.selection import load_selection
from netvisor_assets.settings import NetvisorSettings
from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.simulator.defects import UNKNOWN_ACCOUNT, Defects
from netvisor_assets.tables import SOURCE_OF_TABLE, TABLES
from netvisor_assets.warehouse import warehouse_from_env
from netvisor_assets_tests.harness import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    definitions,
    run_full_sync,
    sync_check_keys,
    sync_env,
)

START = dt.date(2025, 1, 1)
LAST = dt.date(2025, 2, 28)


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows in the warehouse's read-back types (nullable Int64 and boolean, else objects)."""
    dtypes = {"INT64": "Int64", "BOOL": "boolean"}
    return pd.DataFrame(
        {
            c.name: pd.Series([r.get(c.name) for r in rows], dtype=dtypes.get(c.type, object))
            for c in TABLES[table].columns
        }
    )


def _payment(**overrides) -> dict:
    row = {
        "sales_payment_key": 1,
        "payment_date": dt.date(2025, 3, 1),
        "amount": Decimal("10.00"),
        "bank_status": "OK",
    }
    return row | overrides


# ------------------------------------------------------------------------- pandera schema


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ([_payment(amount=10.0)], "amount: is_numeric"),
        ([_payment(bank_status="MAYBE")], "bank_status: isin"),
        ([_payment(payment_date=dt.date(2024, 12, 31))], "on_or_after_ledger_start"),
        ([_payment(sales_payment_key=0)], "sales_payment_key: greater_than_or_equal_to"),
    ],
)
def test_the_schema_generated_from_the_registry_names_the_broken_rule(rows, rule) -> None:
    table = TABLES["sales_payments"]
    frame = _frame("sales_payments", [_payment(sales_payment_key=2), *rows])
    outcome = checks.run_schema(table, frame, checks.pandera_schema(table, START))
    assert not outcome.passed
    assert rule in outcome.metadata["failed_rules"]
    assert outcome.metadata["failing_rows"] == 1


def test_a_clean_frame_passes_its_schema_and_a_repeated_key_fails_only_the_key() -> None:
    table = TABLES["sales_payments"]
    frame = _frame("sales_payments", [_payment(), _payment(payment_date=dt.date(2025, 4, 1))])
    assert checks.run_schema(table, frame, checks.pandera_schema(table, START)).passed
    key = checks.run_schema(table, frame, checks.key_schema(table))
    assert not key.passed
    assert "sales_payment_key=1" in key.metadata["sample"]


# ------------------------------------------------------------------------- invariants


@pytest.mark.parametrize(
    ("lines", "amount", "passed"),
    [
        # Four-decimal lines: the exact sum 20.0098 rounds half up to 20.01.
        (["10.0049", "10.0049"], "20.01", True),
        (["10.0049", "10.0049"], "20.00", False),
        (["0.005"], "0.01", True),  # half up, not half even
        ([], "0.00", True),
        (["5.00"], "6.00", False),
    ],
)
def test_invoice_amount_equals_its_lines_rounded_half_up(lines, amount, passed) -> None:
    headers = pd.DataFrame({"sales_invoice_key": [7], "amount": [Decimal(amount)]})
    frame = pd.DataFrame(
        {"sales_invoice_key": [7] * len(lines), "line_sum": [Decimal(x) for x in lines]}
    )
    outcome = checks.amount_equals_lines(headers, frame, "sales_invoice_key")
    assert outcome.passed is passed
    if not passed:
        assert "sales_invoice_key 7" in outcome.metadata["sample"]


def test_only_valid_vouchers_must_balance_and_missing_status_means_valid() -> None:
    lines = pd.DataFrame(
        {
            "voucher_key": [1, 1, 2, 2, 3],
            "line_sum": [Decimal(x) for x in ("5", "-5", "5", "-4.99", "7")],
            "status": ["valid", "valid", None, None, None],
        }
    )
    headers = pd.DataFrame({"voucher_key": [3], "status": ["invalidated"]})
    outcome = checks.vouchers_balance(lines, headers)
    assert not outcome.passed
    assert outcome.metadata["unbalanced"] == 1
    assert outcome.metadata["sample"] == "voucher 2: lines sum to 0.01"


def test_completeness_marks_the_days_of_missing_gone_and_moved_documents() -> None:
    table = TABLES["vouchers"]
    jan = [dt.date(2025, 1, d) for d in range(1, 6)]
    listed = [(1, jan[0]), (2, jan[1]), (4, jan[3])]
    stored = pd.DataFrame({"voucher_key": [1, 2, 3], "voucher_date": [jan[0], jan[2], jan[4]]})
    days, missing, extra = differing_days(listed, stored, table)
    assert days == {jan[1], jan[2], jan[3], jan[4]}
    assert [m.split()[0] for m in missing] == ["2", "4"]
    assert [e.split()[0] for e in extra] == ["3"]


@pytest.mark.parametrize(
    ("local", "required"),
    [
        (dt.datetime(2026, 3, 10, 5, 59), dt.date(2026, 3, 8)),
        (dt.datetime(2026, 3, 10, 6, 0), dt.date(2026, 3, 9)),
        (dt.datetime(2026, 3, 10, 0, 30), dt.date(2026, 3, 8)),
    ],
)
def test_yesterday_is_required_from_six_in_helsinki(local, required) -> None:
    now = local.replace(tzinfo=HELSINKI).astimezone(dt.UTC)
    assert required_partition(now) == required


def test_freshness_outcomes() -> None:
    day = dt.date(2026, 3, 9)
    assert not partition_freshness(day, False, "2026-01-01", START).passed
    assert partition_freshness(day, True, "2026-03-09", START).passed
    now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    assert refresh_freshness(now, now - dt.timedelta(hours=25)).passed
    assert not refresh_freshness(now, now - dt.timedelta(hours=27)).passed
    assert not refresh_freshness(now, None).passed


# ------------------------------------------------------------------------- end to end


@pytest.fixture()
def simulator():
    company = generate_company(seed=11, size="tiny", start_date=START)
    with SimulatorServer(company=company, credentials=Credentials.demo()) as sim:
        yield sim


def _evaluations(results) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {
        (e.asset_key.path[-1], e.check_name): e
        for r in results
        for e in r.get_asset_check_evaluations()
    }


def _failed(evaluations) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {k: e for k, e in evaluations.items() if not e.passed}


def _pick_voucher(company, skip: set[int]) -> int:
    for record in company.by_date("vouchers", START, dt.date(2025, 1, 31)):
        accounts = {str(line.get("accountnumber")) for line in record.get("voucherline") or []}
        if (
            record.get("status", "valid") == "valid"
            and record["netvisorkey"] not in skip
            and len(accounts) > 1
            and not accounts & {"1700", "2871"}
        ):
            return record["netvisorkey"]
    raise AssertionError("no voucher to seed")


@pytest.mark.slow
def test_a_clean_company_passes_and_each_seeded_defect_fails_only_its_check(
    simulator, tmp_path
) -> None:
    company = simulator.company
    unbalanced = _pick_voucher(company, set())
    unknown = _pick_voucher(company, {unbalanced})
    invoice = next(iter(company.by_date("sales_invoices", START, dt.date(2025, 1, 31))))
    payment = next(iter(company.by_date("sales_payments", START, dt.date(2025, 1, 28))))
    off_day = dt.date(2025, 1, 20)
    (tmp_path / "clean").mkdir()
    (tmp_path / "defects").mkdir()
    with sync_env(simulator, tmp_path / "clean", START.isoformat()):
        defs = definitions(load_selection())
        results = run_full_sync(defs, START, LAST, dg.DagsterInstance.ephemeral())
        clean = _evaluations(results)
        assert set(clean) == {(k.path[-1], n) for k, n in sync_check_keys(defs)}
        assert not _failed(clean), {k: e.description for k, e in _failed(clean).items()}
    simulator.app.defects = Defects(
        unbalanced_voucher=unbalanced,
        invoice_lines_off=invoice["salesinvoicenetvisorkey"],
        unknown_account_voucher=unknown,
        duplicate_payment=payment["netvisorkey"],
        balance_offset=("1910", off_day, Decimal("1.00")),
    )
    with sync_env(simulator, tmp_path / "defects", START.isoformat()):
        defs = definitions(load_selection())
        instance = dg.DagsterInstance.ephemeral()
        results = []
        for name in ("netvisor_reference_sync", "netvisor_merge_sync"):
            results.append(defs.resolve_job_def(name).execute_in_process(instance=instance))
        results.append(
            defs.resolve_job_def(PARTITIONED_JOB).execute_in_process(
                instance=instance,
                tags={RANGE_START_TAG: START.isoformat(), RANGE_END_TAG: LAST.isoformat()},
                raise_on_error=False,
            )
        )
        failed = _failed(_evaluations(results))
    assert set(failed) == {
        ("voucher_lines", checks.BALANCED_CHECK),
        ("voucher_lines", checks.ACCOUNTS_CHECK),
        ("sales_invoices", checks.AMOUNT_CHECK),
        ("account_balances", checks.BALANCES_CHECK),
    }, {k: e.description for k, e in failed.items()}
    # The payment listed twice under two dates arrives in one response of the ranged run
    # (windows are sized by the response budget, not by month): staging refuses to pick one
    # of the two rows, the source fails with the key named, and nothing of it is written.
    failures = [
        e for e in results[-1].all_events if e.is_step_failure and "sales_payments" in e.step_key
    ]
    assert failures, "the duplicated payment did not fail its source"
    message = str(failures[0].step_failure_data.error)
    assert "share a primary key" in message and str(payment["netvisorkey"]) in message

    def text(key: tuple[str, str]) -> str:
        return str(failed[key].metadata["sample"].value)

    assert text(("voucher_lines", checks.BALANCED_CHECK)) == (
        f"voucher {unbalanced}: lines sum to 0.01"
    )
    assert f"account {UNKNOWN_ACCOUNT}: lines {unknown}/" in text(
        ("voucher_lines", checks.ACCOUNTS_CHECK)
    )
    assert text(("sales_invoices", checks.AMOUNT_CHECK)).startswith(
        f"sales_invoice_key {invoice['salesinvoicenetvisorkey']}: amount "
    )
    balances = failed[("account_balances", checks.BALANCES_CHECK)]
    assert balances.metadata["accounts_differing"].value == "1910"
    assert balances.metadata["differences"].value == 1
    assert text(("account_balances", checks.BALANCES_CHECK)).startswith(
        f"account 1910 on {off_day}: Netvisor "
    )
    assert text(("account_balances", checks.BALANCES_CHECK)).endswith("(difference 1.00)")


@pytest.mark.slow
def test_a_scope_read_slice_by_slice_gives_the_outcomes_of_one_read(
    simulator, tmp_path, monkeypatch
) -> None:
    """Years of a busy ledger are checked a slice of days at a time: every outcome, failing
    ones included, must be the one a single read of the scope gives."""
    import duckdb

    from netvisor_assets.reconciliation import balances_outcome

    company = simulator.company
    unbalanced = _pick_voucher(company, set())
    unknown = _pick_voucher(company, {unbalanced})
    invoice = next(iter(company.by_date("sales_invoices", START, dt.date(2025, 1, 31))))
    simulator.app.defects = Defects(
        unbalanced_voucher=unbalanced,
        invoice_lines_off=invoice["salesinvoicenetvisorkey"],
        unknown_account_voucher=unknown,
        balance_offset=("1910", dt.date(2025, 2, 3), Decimal("1.00")),
    )
    with sync_env(simulator, tmp_path, START.isoformat()):
        run_full_sync(
            definitions(load_selection()),
            START,
            LAST,
            dg.DagsterInstance.ephemeral(),
            with_checks=False,
        )
        warehouse = warehouse_from_env()
    # A payment stored again 20 days later by another run: only a check that sees both days
    # finds the repeated key, and the rows check counts it as an older run's row.
    payment = next(iter(company.by_date("sales_payments", START, dt.date(2025, 1, 31))))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            f'INSERT INTO "{warehouse.schema}".sales_payments SELECT * REPLACE '
            "(payment_date + 20 AS payment_date, 'an older run' AS _run_id) "
            f'FROM "{warehouse.schema}".sales_payments WHERE sales_payment_key = ?',
            [payment["netvisorkey"]],
        )
    partitioned = [t for t in TABLES.values() if t.partition_column is not None]

    def evaluate() -> dict:
        outcomes: dict = {"balances": balances_outcome(warehouse, (START, LAST))}
        for table in partitioned:
            source = SOURCE_OF_TABLE[table.name]
            if not warehouse.table_columns(table.name):
                continue
            stored = warehouse.read(table.name, columns=["_run_id"])["_run_id"]
            run_id = stored[stored != "an older run"].iloc[0] if len(stored) else "none"
            synced = int((stored == run_id).sum())
            sync = SimpleNamespace(
                returned={table.name: synced}, outside_window={}, staged={table.name: synced}
            )
            names = checks.table_check_names(source, table, TABLES)
            results = checks.evaluate_table_checks(
                source,
                table,
                [n for n in names if n != checks.LOCKED_CHECK],
                warehouse,
                run_id=run_id,
                window=(START, LAST),
                ledger_start=START,
                sync=sync,
                tables=TABLES,
            )
            outcomes |= {(table.name, n): o for n, o in results.items()}
        return outcomes

    whole = evaluate()
    slices: dict[str, list] = {}
    cut = checks.scope_slices

    def spy(warehouse, table, *args):
        slices[table.name] = cut(warehouse, table, *args)
        return slices[table.name]

    monkeypatch.setattr(checks.tables, "SLICE_ROWS", 5)
    monkeypatch.setattr("netvisor_assets.checks.evaluate.scope_slices", spy)
    sliced = evaluate()
    assert all(len(slices[name] or []) > 1 for name in ("voucher_lines", "sales_payments")), {
        k: len(v or []) for k, v in slices.items()
    }
    assert sliced == whole
    failed = {k: o.description for k, o in whole.items() if not o.passed}
    assert set(failed) == {
        ("voucher_lines", checks.BALANCED_CHECK),
        ("voucher_lines", checks.ACCOUNTS_CHECK),
        ("sales_invoices", checks.AMOUNT_CHECK),
        ("sales_payments", checks.KEY_CHECK),
        ("sales_payments", checks.ROWS_CHECK),
        "balances",
    }, failed
    key = whole[("sales_payments", checks.KEY_CHECK)].metadata
    assert key["failing_rows"] == 2
    assert f"sales_payment_key={payment['netvisorkey']}" in key["sample"]
    rows = whole[("sales_payments", checks.ROWS_CHECK)].metadata
    assert rows["rows_of_older_runs_in_scope"] == 1


@pytest.mark.slow
def test_completeness_finds_a_voucher_the_change_filter_missed_and_resyncs_its_day(
    simulator, tmp_path
) -> None:
    company = simulator.company
    hidden = _pick_voucher(company, set())
    day = company.get("vouchers", hidden)["voucherdate"]
    simulator.app.defects = Defects(hidden_vouchers={hidden})
    ledger = [dg.AssetKey(["netvisor", "vouchers"]), dg.AssetKey(["netvisor", "voucher_lines"])]
    with sync_env(simulator, tmp_path, START.isoformat()):
        defs = definitions(load_selection())
        instance = dg.DagsterInstance.ephemeral()
        window = {RANGE_START_TAG: START.isoformat(), RANGE_END_TAG: LAST.isoformat()}
        defs.resolve_job_def(PARTITIONED_JOB).execute_in_process(
            instance=instance, tags=window, asset_selection=ledger
        )
        warehouse = warehouse_from_env()
        assert (
            hidden
            not in warehouse.read("vouchers", columns=["voucher_key"])["voucher_key"].tolist()
        )
        # Netvisor shows it now, but its change filter never will.
        simulator.app.defects = Defects(hidden_from_changes={hidden})
        only = {dg.AssetCheckKey(ledger[0], checks.COMPLETENESS_CHECK)}
        job = defs.resolve_job_def(COMPLETENESS_JOB).get_subset(
            asset_selection=set(), asset_check_selection=only
        )
        before = simulator.requests_served
        result = job.execute_in_process(instance=instance, tags=window)
        evaluations = _evaluations([result])
        check = evaluations[("vouchers", checks.COMPLETENESS_CHECK)]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        assert check.metadata["missing_in_warehouse"].value == 1
        assert check.metadata["days_resynced"].value == day.isoformat()
        assert str(check.metadata["sample"].value).startswith(f"{hidden} ({day})")
        assert set(evaluations) == {("vouchers", checks.COMPLETENESS_CHECK)}
        # One accountingledger.nv call per month listed, one per re-synced day.
        assert simulator.requests_served - before == 2 + 1
        assert hidden in warehouse.read("vouchers", columns=["voucher_key"])["voucher_key"].tolist()
        # Exactly the differing day was re-synced and recorded as materialized.
        resynced = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=ledger[0], asset_partitions=[day.isoformat()]),
            limit=5,
        ).records
        assert any(r.run_id == result.run_id for r in resynced)
        again = job.execute_in_process(instance=instance, tags=window)
        assert _evaluations([again])[("vouchers", checks.COMPLETENESS_CHECK)].passed


@pytest.mark.slow
def test_an_edit_inside_a_locked_period_fails_the_lock_check_with_its_key(
    simulator, tmp_path
) -> None:
    company = simulator.company
    edited = _pick_voucher(company, set())
    january = {RANGE_START_TAG: START.isoformat(), RANGE_END_TAG: "2025-01-31"}
    jan = (START, dt.date(2025, 1, 31))
    ledger = [dg.AssetKey(["netvisor", "vouchers"]), dg.AssetKey(["netvisor", "voucher_lines"])]
    with sync_env(simulator, tmp_path, START.isoformat()):
        defs = definitions(load_selection())
        instance = dg.DagsterInstance.ephemeral()
        partitioned = defs.resolve_job_def(PARTITIONED_JOB)
        reference = defs.resolve_job_def("netvisor_reference_sync")

        # What the sensor requests for January: the ledger and the checks a sync evaluates.
        ledger_checks = {
            dg.AssetCheckKey(key, name) for key, name in sync_check_keys(defs) if key in ledger
        }
        ledger_run = partitioned.get_subset(
            asset_selection=set(ledger), asset_check_selection=ledger_checks
        )

        def resync_january():
            return ledger_run.execute_in_process(instance=instance, tags=january)

        reference.execute_in_process(instance=instance)
        resync_january()
        invoices = SOURCE_OF_TABLE["sales_invoices"]
        default = [load_selection().table(t.name) for t in invoices.tables]
        with client_from_settings(NetvisorSettings.from_env()) as client:
            sync_source(invoices, default, client, warehouse_from_env(), run_id="a", window=jan)
        # Two months on, January is locked (the simulator locks up to the month before last).
        simulator.advance(70)
        reference.execute_in_process(instance=instance)
        clean = _evaluations([resync_january()])
        lock = clean[("vouchers", checks.LOCKED_CHECK)]
        assert lock.passed, lock.metadata
        assert lock.metadata["lock_date"].value >= "2025-01-31"
        assert not _failed(clean), _failed(clean)
        # A column selected after the first sync (personal data, opted in) is not stored yet:
        # the locked rows compare on the columns both sides have, and nothing changed.
        with client_from_settings(NetvisorSettings.from_env()) as client:
            widened = sync_source(
                invoices,
                list(invoices.tables),
                client,
                warehouse_from_env(),
                run_id="b",
                window=jan,
            )
        assert widened.lock_date is not None and widened.locked_changes["sales_invoices"] == []
        simulator.app.defects = Defects(locked_edits={edited: "changed after the lock"})
        failed = _failed(_evaluations([resync_january()]))
    assert set(failed) == {("vouchers", checks.LOCKED_CHECK)}, failed
    metadata = failed[("vouchers", checks.LOCKED_CHECK)].metadata
    assert metadata["changed_rows"].value == 1
    assert metadata["sample"].value == f"vouchers: {edited} changed"


def test_a_stale_partition_fails_freshness_however_recent_the_backfill(simulator, tmp_path):
    yesterday = required_partition(dt.datetime.now(dt.UTC))
    payments = dg.AssetKey(["netvisor", "sales_payments"])
    with sync_env(simulator, tmp_path, START.isoformat()):
        defs = definitions(load_selection())
        instance = dg.DagsterInstance.ephemeral()
        partitioned = defs.resolve_job_def(PARTITIONED_JOB)
        partitioned.execute_in_process(
            instance=instance, partition_key="2025-01-15", asset_selection=[payments]
        )
        check = dg.AssetCheckKey(payments, checks.PARTITION_FRESHNESS_CHECK)
        freshness = defs.resolve_job_def(FRESHNESS_JOB).get_subset(
            asset_selection=set(), asset_check_selection={check}
        )
        stale = _evaluations([freshness.execute_in_process(instance=instance)])[
            ("sales_payments", checks.PARTITION_FRESHNESS_CHECK)
        ]
        assert not stale.passed
        assert stale.metadata["required_partition"].value == yesterday.isoformat()
        assert stale.metadata["latest_partition"].value == "2025-01-15"
        partitioned.execute_in_process(
            instance=instance, partition_key=yesterday.isoformat(), asset_selection=[payments]
        )
        fresh = _evaluations([freshness.execute_in_process(instance=instance)])[
            ("sales_payments", checks.PARTITION_FRESHNESS_CHECK)
        ]
        assert fresh.passed


def test_a_sensor_gap_longer_than_deletions_are_kept_requests_the_completeness_job(
    simulator, tmp_path
) -> None:
    from netvisor_assets_tests.test_incremental import tick

    with sync_env(simulator, tmp_path, START.isoformat()):
        defs = definitions(load_selection())
        instance = dg.DagsterInstance.ephemeral()
        now = simulator.company.now  # the cursor is on Netvisor's clock
        for days, expected in ((2, False), (9, True)):
            cursor = json.dumps({"since": (now - dt.timedelta(days=days)).isoformat()})
            runs = tick(defs, instance, cursor).run_requests
            requested = {r.job_name for r in runs}
            assert (COMPLETENESS_JOB in requested) is expected, (days, requested)
            # Sync runs name their checks: never the scheduled-only listing or freshness.
            assert any(r.job_name != COMPLETENESS_JOB for r in runs), runs
            for run in runs:
                if run.job_name != COMPLETENESS_JOB:
                    names = {k.name for k in run.asset_check_keys or ()}
                    assert {checks.KEY_CHECK, checks.SCHEMA_CHECK} <= names, names
                    assert not names & SCHEDULED_ONLY_CHECKS, names


def test_new_api_fields_looks_at_the_list_rows_invoices_carry() -> None:
    from netvisor_assets.tables import SOURCE_OF_TABLE

    source = SOURCE_OF_TABLE["sales_invoices"]
    record = {
        "salesinvoicenetvisorkey": 1,
        "list": {"netvisorkey": 1, "opensum": Decimal("1.00"), "dunninglevel": 2},
    }
    assert source.unknown_fields([record]) == ["list.dunninglevel"]
    # The stored list fields are read by registry columns.
    columns = {c.name: c.source for c in TABLES["sales_invoices"].columns}
    assert columns["open_amount"] == "list.opensum"
    assert columns["substatus"] == "list.invoicestatus_substatus"
    assert columns["is_in_collection"] == "list.invoicestatus_isincollection"
    assert {c.name for c in TABLES["accounting_periods"].columns} >= {
        "accounting_period_lock_date",
        "vat_period_lock_date",
        "purchase_lock_date",
    }


def test_only_a_run_reaching_the_latest_day_judges_the_open_invoice_tie() -> None:
    """Open amounts are today's: a run ending in the past (not the last run of a cut sync, a
    backfill chunk before the last) cannot tie them to its balance, and says why."""
    from netvisor_assets.reconciliation import (
        BACKFILL_TAG,
        LATER_RUN_TAG,
        RANGE_END_TAG,
        RANGE_START_TAG,
        tie_skipped_because,
    )

    yesterday = dt.date(2026, 12, 6)

    def ranged(end: str, **extra: str) -> dict[str, str]:
        return {RANGE_START_TAG: "2026-01-01", RANGE_END_TAG: end, **extra}

    assert tie_skipped_because(ranged("2026-12-06"), yesterday) is None
    assert tie_skipped_because(ranged("2026-06-30"), yesterday) is None  # a chosen range
    assert tie_skipped_because(ranged("2026-12-06", **{BACKFILL_TAG: "b1"}), yesterday) is None
    assert "2026-06-30" in (
        tie_skipped_because(ranged("2026-06-30", **{BACKFILL_TAG: "b1"}), yesterday) or ""
    )
    assert "later run" in (
        tie_skipped_because(ranged("2026-06-30", **{LATER_RUN_TAG: "true"}), yesterday) or ""
    )
    assert tie_skipped_because({}, yesterday) is None
