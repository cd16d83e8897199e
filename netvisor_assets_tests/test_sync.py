"""The main command (`python -m netvisor_assets.sync`) as a customer runs it.

Contract: with the customer's own credentials (read from the environment or from `.env` in the
working directory, as `dagster dev` reads them) the command checks the connection and syncs
every table from a simulator started with the same credentials; a bad setting, an empty
selection, a future or missing ledger start date or a missing DuckDB folder ends in one clear
line and a non-zero exit, never a traceback; keys never reach the output.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company

CUSTOMER = Credentials(
    customer_id="ACME_API_USER",
    customer_key="s3cr3t-customer-key-7f1e",
    partner_id="ACME_PARTNER",
    partner_key="s3cr3t-partner-key-9a2c",
    organisation_id="0737546-2",
)
START = dt.date(2026, 9, 1)


@pytest.fixture(scope="module")
def customer_sim() -> Iterator[SimulatorServer]:
    company = generate_company(
        seed=7, size="tiny", start_date=START, organisation_id=CUSTOMER.organisation_id
    )
    with SimulatorServer(company=company, credentials=CUSTOMER, port=0) as sim:
        yield sim


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NETVISOR_", "BIGQUERY_")) and k != "DAGSTER_HOME"
    }
    env["DAGSTER_HOME"] = str(tmp / "home")
    (tmp / "home").mkdir(exist_ok=True)
    env.update(extra)
    return env


def _run(
    args: list[str], cwd: Path, env: dict[str, str], module: str = "netvisor_assets.sync"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )


def _dotenv(sim: SimulatorServer, tmp: Path, **overrides: str) -> dict[str, str]:
    values = {
        "NETVISOR_BASE_URL": sim.url,
        # Pasted with surrounding whitespace: validated stripped, so it must be sent stripped.
        "NETVISOR_CUSTOMER_ID": f"  {CUSTOMER.customer_id} ",
        "NETVISOR_CUSTOMER_KEY": CUSTOMER.customer_key + " ",
        "NETVISOR_PARTNER_ID": CUSTOMER.partner_id,
        "NETVISOR_PARTNER_KEY": f" {CUSTOMER.partner_key}",
        "NETVISOR_ORGANISATION_ID": CUSTOMER.organisation_id,
        "NETVISOR_LEDGER_START_DATE": START.isoformat(),
        "NETVISOR_DUCKDB_PATH": str(tmp / "acme.duckdb"),
        **overrides,
    }
    lines = [f'{k}="{v}"' for k, v in values.items() if v is not None]
    (tmp / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return values


@pytest.mark.slow
def test_full_sync_with_customer_credentials_from_dotenv(
    customer_sim: SimulatorServer, tmp_path: Path
) -> None:
    _dotenv(customer_sim, tmp_path)
    before = customer_sim.requests_served
    result = _run([], tmp_path, _env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "connection: " in result.stdout and "Traceback" not in output
    assert customer_sim.requests_served > before
    for secret in (CUSTOMER.customer_key, CUSTOMER.partner_key):
        assert secret not in output
    company = customer_sim.company
    vouchers = list(company.by_date("vouchers", START, dt.date.today()))
    con = duckdb.connect(str(tmp_path / "acme.duckdb"), read_only=True)
    try:
        stored = con.execute("select count(*) from netvisor.vouchers").fetchone()
    finally:
        con.close()
    assert stored is not None and stored[0] == len(vouchers) > 0
    # Then the reports, built from those tables, and the latest month's figures.
    assert "reports (dbt build): " in result.stdout
    assert "LIIKEVAIHTO: " in result.stdout
    con = duckdb.connect(str(tmp_path / "acme.duckdb"), read_only=True)
    try:
        months = con.execute(
            "select count(distinct month_start) from reports.profit_and_loss_monthly"
        ).fetchall()
    finally:
        con.close()
    assert months[0][0] >= 1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"NETVISOR_LEDGER_START_DATE": ""}, "NETVISOR_LEDGER_START_DATE: missing"),
        ({"NETVISOR_LEDGER_START_DATE": "2999-01-01"}, "is in the future"),
        ({"NETVISOR_DUCKDB_PATH": "/nonexistent/folder/w.duckdb"}, "does not exist"),
        ({"NETVISOR_TIMEOUT_SECONDS": "soon"}, "NETVISOR_TIMEOUT_SECONDS"),
        ({"NETVISOR_PARTNER_KEY": "wrong-key"}, "connection: "),
    ],
)
def test_bad_settings_end_in_one_clear_line(
    customer_sim: SimulatorServer, tmp_path: Path, overrides: dict[str, str], expected: str
) -> None:
    _dotenv(customer_sim, tmp_path, **overrides)
    result = _run([], tmp_path, _env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert expected in output
    assert "Traceback" not in output
    assert CUSTOMER.customer_key not in output
    assert not Path("/nonexistent").exists()


def test_empty_selection_is_a_message(customer_sim: SimulatorServer, tmp_path: Path) -> None:
    selection = tmp_path / "selection.yaml"
    selection.write_text("tables: {}\n", encoding="utf-8")
    _dotenv(customer_sim, tmp_path, NETVISOR_SELECTION=str(selection))
    result = _run([], tmp_path, _env(tmp_path))
    assert result.returncode == 2
    assert "lists no tables" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_failing_admin_command_is_one_message(
    customer_sim: SimulatorServer, tmp_path: Path
) -> None:
    _dotenv(customer_sim, tmp_path, NETVISOR_PARTNER_KEY="wrong-key")
    result = _run(["check-connection"], tmp_path, _env(tmp_path), "netvisor_assets.admin")
    output = result.stdout + result.stderr
    assert result.returncode == 1
    failed = [ln for ln in result.stderr.splitlines() if "netvisor_check_connection failed" in ln]
    assert len(failed) == 1 and "Netvisor rejected the credentials" in failed[0]
    assert "Traceback" not in output and "CheckError" not in output
    assert "Stack Trace" not in output and "dagster._core" not in output
    refresh = _run(
        ["full-refresh", "no_such_table"], tmp_path, _env(tmp_path), "netvisor_assets.admin"
    )
    assert refresh.returncode == 1
    assert "not selected or unknown tables: no_such_table" in refresh.stderr
    assert "Traceback" not in refresh.stdout + refresh.stderr


def test_a_warehouse_holding_another_company_is_refused(
    customer_sim: SimulatorServer, tmp_path: Path
) -> None:
    """The demo first, then your own credentials into the same file: nothing is mixed."""
    from netvisor_assets.loading import claim_warehouse
    from netvisor_assets.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(tmp_path / "acme.duckdb")
    claim_warehouse(warehouse, "1967543-8", "demo-run")  # the demo company synced here first
    _dotenv(customer_sim, tmp_path)
    result = _run([], tmp_path, _env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "holds organisation 1967543-8, not 0737546-2" in result.stderr
    assert "Traceback" not in output
    assert warehouse.table_columns("customers") is None  # nothing of the new company written
