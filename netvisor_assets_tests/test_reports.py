"""The reports (dbt, run by Dagster) on a year of the simulated `small` company in DuckDB.

Contract: after a full sync, the reports job builds every model and every dbt test passes as an
asset check; the statements agree with what the simulator's Netvisor API says independently
(account balances by month, open invoices by due date); the latest month's P&L and balance
sheet are tables in the assets' metadata; a selection that leaves a table (or a column a report
reads) out leaves out exactly the reports that read it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import dagster as dg
import pytest

from netvisor_assets import reports
from netvisor_assets.selection import Selection, load_selection
from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.tables import TABLES
from netvisor_assets.warehouse import WarehouseSettings, warehouse_from_env
from netvisor_assets_tests.harness import definitions, run_full_sync, sync_env

LEDGER_START = dt.date(2025, 1, 1)
YEAR_END = dt.date(2025, 12, 31)
# The company's clock runs a month past its first year: the year is closed (income tax on
# 31 December, the result transferred on 1 January) and January is a month of the next year.
LAST_DAY = dt.date(2026, 1, 31)
CENT = Decimal("0.01")


def _selection_without(
    table: str | None = None, column: tuple[str, str] | None = None
) -> Selection:
    base = load_selection()
    columns = dict(base.columns)
    if table:
        del columns[table]
    if column:
        name, col = column
        columns[name] = tuple(c for c in columns[name] if c != col)
    return Selection(columns=columns)


def _report_tables() -> Selection:
    """The default selection narrowed to the tables the reports read (a customer may sync
    just these); the others only make the syncs longer."""
    needs = reports.source_columns(reports.load_manifest())
    full = load_selection()
    return Selection(columns={t: full.columns[t] for t in needs})


# ---------------------------------------------------------------- without a warehouse


def test_every_column_the_reports_read_is_a_registry_column() -> None:
    needs = reports.source_columns(reports.load_manifest())
    assert needs, "sources.yml lists the tables the reports read"
    for table, columns in needs.items():
        assert table in TABLES, table
        known = {c.name for c in TABLES[table].columns}
        assert columns and columns <= known, (table, columns - known)


def test_a_report_is_built_only_when_its_tables_and_columns_are_selected() -> None:
    manifest = reports.load_manifest()
    everything = reports.buildable_models(manifest, load_selection())
    assert not any(everything.values()), everything
    # No purchase invoices: AP ageing alone goes; the ledger reports stay.
    without = reports.buildable_models(manifest, _selection_without("purchase_invoices"))
    assert {m for m, why in without.items() if why} == {"ap_ageing"}
    assert "purchase_invoices is not selected" in without["ap_ageing"]
    # A column the ledger needs: everything built on the ledger goes, with the reason.
    gone = reports.buildable_models(
        manifest, _selection_without(column=("voucher_lines", "account_number"))
    )
    assert "voucher_lines lacks account_number" in gone["general_ledger"]
    assert gone["profit_and_loss_monthly"] and gone["ar_ageing"] and not gone["accounts_mapped"]


def test_every_dbt_test_reads_only_its_model_and_what_the_model_is_built_from() -> None:
    """A test runs in whichever run builds its model (a UI backfill builds the reports in
    several runs): anything else it read might not exist yet."""
    manifest = reports.load_manifest()
    nodes = manifest["nodes"]

    def ancestors(unique_id: str) -> set[str]:
        seen, stack = set(), [unique_id]
        while stack:
            for parent in nodes.get(stack.pop(), {}).get("depends_on", {}).get("nodes", []):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    tests = [n for n in nodes.values() if n["resource_type"] == "test"]
    assert tests
    for test in tests:
        ref = (test.get("config", {}).get("meta") or {}).get("dagster", {}).get("ref")
        attached = test.get("attached_node") or (
            f"model.netvisor_reports.{ref['name']}" if ref else None
        )
        assert attached in nodes, test["name"]
        allowed = ancestors(attached) | {attached}
        reads = set(test["depends_on"]["nodes"])
        assert reads <= allowed, (test["name"], sorted(reads - allowed))


def test_the_reports_are_dagster_assets_downstream_of_the_tables(tmp_path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETVISOR_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
        settings = WarehouseSettings.from_env()
    assets = reports.build_report_assets(_selection_without("purchase_invoices"), settings)
    assert assets is not None
    keys = {k.path[-1] for k in assets.keys if k.path[0] == reports.KEY_PREFIX}
    assert "ap_ageing" not in keys and {"general_ledger", "ar_ageing"} <= keys
    for key in assets.keys:
        spec = assets.get_asset_spec(key)
        assert spec.group_name == reports.GROUP
        assert spec.automation_condition is not None
    ledger = assets.get_asset_spec(dg.AssetKey(["reports", "general_ledger"]))
    assert {d.asset_key for d in ledger.deps} >= {
        dg.AssetKey(["netvisor", "voucher_lines"]),
        dg.AssetKey(["netvisor", "vouchers"]),
    }
    checks = {(k.asset_key.path[-1], k.name) for k in assets.check_keys}
    assert ("balance_sheet_monthly", "balance_sheet_balances") in checks
    assert ("ar_ageing", "ar_ageing_ties_to_receivables") in checks
    assert not [c for c in checks if c[0] == "ap_ageing"]


# ---------------------------------------------------------------- built on the small company


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    company = generate_company(seed=3, size="small", start_date=LEDGER_START)
    company.advance((LAST_DAY - company.today).days)
    tmp = tmp_path_factory.mktemp("reports")
    with (
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(sim, tmp, LEDGER_START.isoformat()),
    ):
        defs = definitions(_report_tables())
        instance = dg.DagsterInstance.ephemeral()
        run_full_sync(defs, LEDGER_START, LAST_DAY, instance, with_checks=False)
        result = defs.resolve_job_def(reports.JOB).execute_in_process(instance=instance)
        settings = WarehouseSettings.from_env()
        yield {
            "company": company,
            "result": result,
            "instance": instance,
            "tables": warehouse_from_env(),
            "reports": reports._reports_warehouse(settings),
        }


@pytest.mark.slow
def test_every_dbt_test_passes_as_an_asset_check(built) -> None:
    result = built["result"]
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    names = {e.check_name for e in evaluations}
    assert {
        "balance_sheet_balances",
        "pnl_result_equals_change_in_period_result",
        "trial_balance_ties_to_netvisor_balances",
        "ar_ageing_ties_to_receivables",
        "ap_ageing_ties_to_payables",
        "cash_flow_ties_to_cash_accounts",
        "every_account_is_mapped",
    } <= names
    assert all(e.passed for e in evaluations), [e.check_name for e in evaluations if not e.passed]


def _balances_by_month_end(company, numbers: list[str]) -> dict[tuple[str, dt.date], Decimal]:
    keys = {company.account_key(n): n for n in numbers}
    ends = [dt.date(2025, m, 1) for m in range(2, 13)]
    ends = [d - dt.timedelta(days=1) for d in ends] + [YEAR_END]
    out = {}
    for row in company.balances(list(keys), ends):
        out[(keys[row["netvisorkey"]], row["date"])] = row["balance"]
    return out


@pytest.mark.slow
def test_the_statements_agree_with_netvisors_balances(built) -> None:
    """Revenue per month of the first year and the year-end balance sheet from
    accountbalance.nv's figures."""
    company, rep = built["company"], built["reports"]
    numbers = [a["number"] for a in company.accounts if a["number"]]
    revenue_accounts = [n for n in numbers if n.startswith("3")]
    balances = _balances_by_month_end(company, revenue_accounts)
    pnl = rep.read("profit_and_loss_monthly", where="line_code = @c", params={"c": "PL01"})
    by_month = {r.month_start: r.amount for r in pnl.itertuples()}
    assert len(by_month) == 13
    previous = dict.fromkeys(revenue_accounts, Decimal(0))
    for month in range(1, 13):
        end = (dt.date(2025, month % 12 + 1, 1) - dt.timedelta(days=1)) if month < 12 else YEAR_END
        closing = {n: balances[(n, end)] for n in revenue_accounts}
        expected = -sum(closing[n] - previous[n] for n in revenue_accounts)
        assert by_month[dt.date(2025, month, 1)] == expected, month
        previous = closing
    assert sum(by_month.values()) > 0
    # Year end: total assets are the asset accounts' balances, and the sheet balances.
    bs = rep.read("balance_sheet_monthly", where="month_end = @d", params={"d": YEAR_END})
    lines = {r.line_code: r.amount for r in bs.itertuples()}
    asset_accounts = [n for n in numbers if n.startswith("1")]
    year_end = _balances_by_month_end(company, asset_accounts)
    assert lines["BA.T"] == sum(year_end[(n, YEAR_END)] for n in asset_accounts)
    assert lines["BA.T"] == lines["BL.T"] > 0
    # The period's result on the balance sheet is the P&L's year to date.
    year = rep.read("profit_and_loss_monthly", where="line_code = @c", params={"c": "PL15"})
    assert (
        lines["BL.A.7"]
        == year[year["month_start"] == dt.date(2025, 12, 1)]["amount_year_to_date"].iloc[0]
    )


@pytest.mark.slow
def test_ar_ageing_buckets_equal_the_open_invoices_by_due_date(built) -> None:
    """At the last month end (the company's clock), the open amounts Netvisor lists per
    invoice, bucketed by days past due, equal the ageing report's buckets."""
    tables, rep = built["tables"], built["reports"]
    invoices = tables.read("sales_invoices", columns=["open_amount", "due_date"])
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in invoices.itertuples():
        if row.open_amount:
            days = (LAST_DAY - row.due_date).days
            bucket = (
                "not due"
                if days <= 0
                else "1-30"
                if days <= 30
                else "31-60"
                if days <= 60
                else "61-90"
                if days <= 90
                else "over 90"
            )
            expected[bucket] += row.open_amount
    ageing = rep.read("ar_ageing", where="month_end = @d", params={"d": LAST_DAY})
    got: dict[str, Decimal] = defaultdict(Decimal)
    for row in ageing.itertuples():
        got[row.ageing_bucket] += row.open_amount
    assert dict(got) == dict(expected)
    assert len(expected) >= 3, "a year of invoices has several age buckets"


@pytest.mark.slow
def test_latest_month_statements_are_tables_in_the_metadata(built) -> None:
    instance = built["instance"]
    for model in reports.STATEMENT_MODELS:
        event = instance.get_latest_materialization_event(dg.AssetKey(["reports", model]))
        assert event is not None, model
        metadata = event.asset_materialization.metadata
        assert metadata["latest_month"].value == "2026-01-01"
        table = metadata["latest_month_statement"]
        assert isinstance(table, dg.TableMetadataValue)
        codes = [r.data["code"] for r in table.records]
        # Every line of the statement for that month, in the statement's order.
        rows = built["reports"].read(
            model, where="month_start = @m", params={"m": dt.date(2026, 1, 1)}
        )
        assert codes == list(rows.sort_values("sort")["line_code"])
        assert ("PL15" in codes) if model.startswith("profit") else ("BL.T" in codes)


# ---------------------------------------------------------------- BigQuery


def test_every_compiled_bigquery_statement_parses(tmp_path) -> None:
    """The same models compile for BigQuery (no credentials needed to compile), and every
    compiled model and test is one valid BigQuery SELECT by sqlglot's BigQuery grammar."""
    import sqlglot

    env = {
        "NETVISOR_DBT_TARGET": "bigquery_emulator",
        "NETVISOR_DBT_PROJECT": "acme-finance",
        "NETVISOR_DBT_SCHEMA": "netvisor_reports",
        "NETVISOR_DBT_SOURCE_SCHEMA": "netvisor",
    }
    done = reports.run_dbt("compile", tmp_path, env, "--no-populate-cache")
    assert done.returncode == 0, done.stdout + done.stderr
    compiled = sorted((tmp_path / "compiled" / "netvisor_reports").rglob("*.sql"))
    models = [p for p in compiled if p.parent.name == "models"]
    assert {p.stem for p in models} == set(reports.buildable_models(
        reports.load_manifest(), load_selection()))  # fmt: skip
    for path in compiled:
        sql = path.read_text()
        statements = [s for s in sqlglot.parse(sql, read="bigquery") if s is not None]
        assert len(statements) == 1, path.name
        assert isinstance(statements[0], sqlglot.exp.Query), path.name
        # Sources and models are fully qualified, in the configured project and datasets.
        tables = {(t.catalog, t.db) for t in statements[0].find_all(sqlglot.exp.Table) if t.db}
        assert tables <= {("acme-finance", "netvisor"), ("acme-finance", "netvisor_reports")}, (
            path.name,
            tables,
        )


@pytest.mark.slow
@pytest.mark.bigquery
def test_reports_build_and_pass_on_the_bigquery_emulator(tmp_path, bigquery_emulator) -> None:
    """A month of the tiny company synced into the emulator: every model builds there and
    every dbt test passes, with the P&L equal to Netvisor's revenue balances."""
    import uuid

    company = generate_company(seed=5, size="tiny", start_date=LEDGER_START)
    with (
        SimulatorServer(company=company, credentials=Credentials.demo()) as sim,
        sync_env(
            sim,
            tmp_path,
            LEDGER_START.isoformat(),
            NETVISOR_WAREHOUSE="bigquery",
            BIGQUERY_EMULATOR_HOST=bigquery_emulator.url,
            BIGQUERY_PROJECT=bigquery_emulator.project,
            BIGQUERY_DATASET=f"rep_{uuid.uuid4().hex[:8]}",
        ),
    ):
        # Only the tables the reports read: the emulator's loads are slow.
        defs = definitions(_report_tables())
        instance = dg.DagsterInstance.ephemeral()
        last = dt.date(2025, 1, 31)
        run_full_sync(defs, LEDGER_START, last, instance, with_checks=False)
        result = defs.resolve_job_def(reports.JOB).execute_in_process(instance=instance)
        assert result.success
        evaluations = result.get_asset_check_evaluations()
        assert evaluations and all(e.passed for e in evaluations), [
            e.check_name for e in evaluations if not e.passed
        ]
        rep = reports._reports_warehouse(WarehouseSettings.from_env())
        pnl = rep.read("profit_and_loss_monthly", where="line_code = @c", params={"c": "PL01"})
        numbers = [a["number"] for a in company.accounts if (a["number"] or "").startswith("3")]
        keys = [company.account_key(n) for n in numbers]
        revenue = -sum(r["balance"] for r in company.balances(keys, [last]))
        assert list(pnl["amount"]) == [revenue] and revenue > 0


@pytest.mark.slow
def test_the_readmes_example_queries_run(built) -> None:
    """The three queries the README shows run on the built reports and return rows."""
    import duckdb

    from netvisor_assets.reports import PROJECT_DIR

    readme = (PROJECT_DIR.parents[2] / "README.md").read_text()
    block = readme[readme.index("```sql") + len("```sql") :]
    block = block[: block.index("```")]
    queries = [q for q in block.split(";") if q.strip()]
    assert len(queries) == 3
    path = built["tables"].path
    con = duckdb.connect(str(path), read_only=True)
    try:
        for query in queries:
            assert con.sql(query).fetchall(), query
    finally:
        con.close()
