"""End to end through the real UI: with no NETVISOR_* credentials, the simulator plus `dagster dev`
(what `scripts/dev` starts) materialize every asset when a person selects all assets on the
Assets page and clicks Materialize.

The test starts the simulator (`tiny` company, which has data for January 2025 only) and
`dagster dev` on free ports with a temporary DAGSTER_HOME holding the project's dagster.yaml and a
temporary DuckDB warehouse, then drives headless Debian Chromium with playwright: Assets page,
select all, Materialize selected, partitions 2025-01-01...2025-01-31, Launch backfill. It waits on
the GraphQL API until the backfill and its runs succeed, checks the UI shows every asset as
materialized, and checks every table in the DuckDB file against the simulator's own counts.

Needs /usr/bin/chromium (`scripts/install_chromium.sh`) and the `playwright` package (the test
extra); never downloads a browser. Without them it is skipped, except with CI=true where it
fails. Screenshots of every step land in UI_TEST_SCREENSHOT_DIR (default: the test's tmp dir).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from netvisor_assets.loading import ORGANISATION_TABLE
from netvisor_assets.tables import TABLES

# Startup ~15 s, the UI ~10 s, the backfill ~50 s: 5 minutes means something hangs.
pytestmark = [pytest.mark.slow, pytest.mark.ui, pytest.mark.timeout(300)]

PROJECT_DIR = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIMULATOR_SIZE = "tiny"
SIMULATOR_SEED = 1
# The tiny company's books: January 2025 (its clock ends on 2025-01-31). 31 days is one run of
# the partitioned assets' backfill policy (multi_run(183)).
FIRST_DAY = dt.date(2025, 1, 1)
LAST_DAY = dt.date(2025, 1, 31)
N_DAYS = (LAST_DAY - FIRST_DAY).days + 1
PARTITION_RANGE = f"[{FIRST_DAY.isoformat()}...{LAST_DAY.isoformat()}]"

STARTUP_TIMEOUT_S = 90
# The tables (two runs of the partitioned assets, then the others) and the reports after them
# (built in two or three runs, level by level); on a busy 2-core machine this takes minutes.
BACKFILL_TIMEOUT_S = 360
UI_TIMEOUT_MS = 30_000
BACKFILL_TERMINAL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
RUN_TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def _require_browser() -> None:
    """Skip (fail under CI=true) when Chromium or playwright is missing."""
    missing = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"{CHROMIUM} (install: bash scripts/install_chromium.sh)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[test]')")
    if not missing:
        return
    reason = "UI test needs " + " and ".join(missing)
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: the UI test must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "<no log>"


@contextmanager
def _process_group(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run `cmd` in a new session; on exit TERM, then KILL, its whole process group."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    pgid = proc.pid  # start_new_session: the child leads its own process group
    for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        if _group_gone(proc, grace):
            break
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _group_gone(proc: subprocess.Popen, grace: float) -> bool:
    """Whether nobody is left in the process group (dagster dev's children too) within `grace`."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader, else its zombie keeps the group alive
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}:\n{_tail(log)}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    pytest.fail(f"{what} did not listen on port {port} in {STARTUP_TIMEOUT_S}s:\n{_tail(log)}")


class GraphQL:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables})
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]


CHECKS_QUERY = """
{ assetNodes { assetKey { path }
    assetChecksOrError { ... on AssetChecks { checks { name } } } } }
"""
VOUCHER_LINE_CHECKS = ("primary_key", "pandera_schema", "vouchers_balance", "accounts_exist")

WORKSPACE_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""
BACKFILL_QUERY = """
query ($id: String!) { partitionBackfillOrError(backfillId: $id) {
    __typename ... on PartitionBackfill { status error { message } }
    ... on PythonError { message }
} }
"""
RUNS_QUERY = """
query ($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    __typename ... on Runs { results { runId status startTime endTime } }
  }
}
"""
ASSETS_QUERY = """
{ assetsOrError { __typename ... on AssetConnection { nodes {
    key { path }
    assetMaterializations(limit: 1) { partition }
} } } }
"""


def _wait_for_code_location(gql: GraphQL, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last: Any = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster dev exited with {proc.returncode}:\n{_tail(log)}")
        try:
            last = gql(WORKSPACE_QUERY)["workspaceOrError"]
        except (httpx.HTTPError, AssertionError) as exc:
            last = exc
        else:
            entries = last.get("locationEntries") or []
            for entry in entries:
                loaded = entry["locationOrLoadError"] or {}
                if loaded.get("__typename") == "PythonError":
                    pytest.fail(f"code location {entry['name']} failed to load: {loaded}")
                if entry["loadStatus"] == "LOADED" and loaded.get("__typename"):
                    return
        time.sleep(1)
    pytest.fail(f"code location not loaded in {STARTUP_TIMEOUT_S}s: {last}\n{_tail(log)}")


def _wait_for_backfill(gql: GraphQL, backfill_id: str, log: Path) -> list[dict[str, Any]]:
    """Wait until the backfill is over and none of its runs is still going; return its runs."""
    deadline = time.monotonic() + BACKFILL_TIMEOUT_S
    status, runs = None, []
    while time.monotonic() < deadline:
        backfill = gql(BACKFILL_QUERY, id=backfill_id)["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        status = backfill["status"]
        runs = gql(RUNS_QUERY, id=backfill_id)["runsOrError"]["results"]
        if status in BACKFILL_TERMINAL and all(r["status"] in RUN_TERMINAL for r in runs):
            assert status == "COMPLETED_SUCCESS", (backfill, runs, _tail(log))
            return runs
        time.sleep(2)
    pytest.fail(
        f"backfill {backfill_id} not done in {BACKFILL_TIMEOUT_S}s: {status}, {runs}\n{_tail(log)}"
    )


def _expected_counts() -> dict[str, int]:
    """Rows per table the simulator's tiny company holds (all of it lies in January 2025)."""
    from netvisor_assets.simulator import generate_company

    counts = generate_company(seed=SIMULATOR_SEED, size=SIMULATOR_SIZE).counts()
    expected = {name: counts[name] for name in TABLES if name in counts}
    expected["accounts"] = counts["accounts"] + counts["account_groups"]
    expected["dimensions"] = counts["dimension_items"]
    expected["accounting_periods"] = counts["periods"]
    return expected


def _warehouse_counts(path: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        # The file's catalog is named after the file (netvisor), like the schema: qualify fully.
        (catalog,) = con.execute("SELECT current_database()").fetchone()
        names = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_catalog = ? AND table_schema = 'netvisor'",
                [catalog],
            ).fetchall()
        ]
        return {
            name: con.execute(f'SELECT count(*) FROM "{catalog}".netvisor."{name}"').fetchone()[0]
            for name in names
        }
    finally:
        con.close()


def _drive_ui(base_url: str, shots: Path, n_assets: int) -> str:
    """Assets page -> select all -> Materialize selected -> January 2025 -> launch; backfill id."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            try:
                page.goto(f"{base_url}/assets", wait_until="domcontentloaded")
                page.locator('a[href="/assets/netvisor/account_balances"]').first.wait_for()
                page.screenshot(path=shots / "01_assets.png")

                # The header checkbox of the asset table selects every asset.
                # The table renders after the asset list arrives; on a busy machine that takes
                # longer than the default 30 s click timeout (seen once in CI).
                header = page.locator("label[for=checkbox-0]").first
                header.wait_for(state="visible", timeout=120_000)
                header.click(timeout=60_000)
                materialize = page.get_by_role("button", name=re.compile(r"Materialize selected"))
                expect(materialize).to_contain_text(f"({n_assets})")
                page.screenshot(path=shots / "02_all_selected.png")
                materialize.click()

                dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
                expect(dialog).to_contain_text(f"Launch runs to materialize {n_assets} assets")
                page.screenshot(path=shots / "03_launch_dialog.png")
                show_all = dialog.get_by_text("Show all partitions")
                if show_all.is_visible():  # the dialog starts on the last 90 days
                    show_all.click()
                partitions = dialog.get_by_placeholder(re.compile(r"^ex: "))
                partitions.fill(PARTITION_RANGE)
                partitions.press("Enter")
                expect(dialog).to_contain_text(f"{N_DAYS} partitions")
                page.screenshot(path=shots / "04_partitions_chosen.png")

                dialog.get_by_role("button", name="Launch backfill").click()
                toast = page.get_by_text(re.compile(r"Created backfill"))
                toast.wait_for()
                page.wait_for_timeout(500)  # the toast slides in
                page.screenshot(path=shots / "05_backfill_created.png")
                match = re.search(r"Created backfill\s+(\w+)", toast.first.inner_text())
                assert match, toast.first.inner_text()
                return match.group(1)
            except Exception:
                page.screenshot(path=shots / "99_failure.png")
                raise
        finally:
            browser.close()


def _report_assets() -> set[str]:
    """The reports' asset keys (dbt models and seeds) the default selection builds."""
    from netvisor_assets.reports import KEY_PREFIX, buildable_models, load_manifest
    from netvisor_assets.selection import load_selection

    manifest = load_manifest()
    built = {m for m, why in buildable_models(manifest, load_selection()).items() if not why}
    seeds = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "seed"}
    return {f"{KEY_PREFIX}/{name}" for name in built | seeds}


def _screenshot_materialized(base_url: str, backfill_id: str, shots: Path) -> str:
    """After the runs: the backfill page and the Assets page as a person sees them."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            # Tall enough for the virtualised asset table to render every row at once.
            page = browser.new_page(viewport={"width": 1400, "height": 2600})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(f"{base_url}/runs/b/{backfill_id}", wait_until="domcontentloaded")
            expect(page.get_by_text("Succeeded", exact=True).first).to_be_visible()
            page.screenshot(path=shots / "06_backfill_page.png")
            page.goto(f"{base_url}/assets", wait_until="domcontentloaded")
            for name in TABLES:
                page.locator(f'a[href="/assets/netvisor/{name}"]').first.wait_for()
            # Each row's status has loaded: "N partitions" under a partitioned asset's counts,
            # "Materialized <time>" for the others (not "Loading..." nor "- partitions").
            n_partitioned = sum(1 for t in TABLES.values() if t.partition_column)
            expect(page.get_by_text(re.compile(r"^\d+ partitions$"))).to_have_count(n_partitioned)
            expect(page.get_by_text("Materialized", exact=True)).to_have_count(
                len(TABLES) - n_partitioned + len(_report_assets())
            )
            page.screenshot(path=shots / "07_assets_after.png")
            text = page.locator("body").inner_text()
            # The checks of a ledger table, as a controller opens them: every check by name.
            page.goto(
                f"{base_url}/assets/netvisor/voucher_lines?view=checks",
                wait_until="domcontentloaded",
            )
            for name in VOUCHER_LINE_CHECKS:
                expect(page.get_by_text(name, exact=True).first).to_be_visible()
            page.screenshot(path=shots / "08_voucher_lines_checks.png")
            # The reports the backfill built after the tables: the latest month's statements
            # are tables in the materialization's metadata.
            for model, line in (
                ("profit_and_loss_monthly", "LIIKEVAIHTO"),
                ("balance_sheet_monthly", "VASTAAVAA YHTEENSÄ"),
            ):
                page.goto(f"{base_url}/assets/reports/{model}", wait_until="domcontentloaded")
                expect(page.get_by_text(line, exact=True).first).to_be_visible()
                page.screenshot(path=shots / f"09_{model}.png")
            return text
        finally:
            browser.close()


def test_every_asset_materializes_from_the_ui(tmp_path: Path) -> None:
    _require_browser()
    shots = Path(os.environ.get("UI_TEST_SCREENSHOT_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {shots}")

    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_DIR / "dagster.yaml", dagster_home / "dagster.yaml")
    # As scripts/dev does: register pool `netvisor` with its limit before the daemon starts.
    subprocess.run(
        [str(VENV_BIN / "dagster"), "instance", "concurrency", "set", "netvisor", "1"],
        env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
        check=True,
        capture_output=True,
    )
    warehouse = tmp_path / "warehouse" / "netvisor.duckdb"
    warehouse.parent.mkdir()
    sim_port, web_port = _free_port(), _free_port()
    while web_port == sim_port:
        web_port = _free_port()

    # No NETVISOR_* credentials (nor any other NETVISOR_* setting) leak in from the caller.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVISOR_")}
    env.update(
        DAGSTER_HOME=str(dagster_home),
        NETVISOR_BASE_URL=f"http://127.0.0.1:{sim_port}",
        NETVISOR_DUCKDB_PATH=str(warehouse),
        PYTHONUNBUFFERED="1",
    )
    base_url = f"http://127.0.0.1:{web_port}"
    sim_log, dev_log = tmp_path / "simulator.log", tmp_path / "dagster_dev.log"
    # Select all on the Assets page takes the reports too: they run after the tables.
    n_assets = len(TABLES) + len(_report_assets())

    with ExitStack() as stack:
        sim = stack.enter_context(
            _process_group(
                [
                    str(VENV_BIN / "python"),
                    "-m",
                    "netvisor_assets.simulator",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(sim_port),
                    "--seed",
                    str(SIMULATOR_SEED),
                    "--size",
                    SIMULATOR_SIZE,
                ],  # fmt: skip
                env,
                sim_log,
            )
        )
        dev = stack.enter_context(
            _process_group(
                [
                    str(VENV_BIN / "dagster"),
                    "dev",
                    "-w",
                    "workspace.yaml",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(web_port),
                ],  # fmt: skip
                env,
                dev_log,
            )
        )
        gql = GraphQL(base_url)
        stack.callback(gql.client.close)
        _wait_for_port(sim_port, sim, sim_log, "the simulator")
        _wait_for_port(web_port, dev, dev_log, "dagster dev")
        _wait_for_code_location(gql, dev, dev_log)

        # A fresh instance greets the first visitor with a newsletter dialog a second after
        # loading, in front of whatever is clicked then; its Skip button sends this mutation.
        gql("mutation { setNuxSeen }")
        assert gql("{ shouldShowNux }")["shouldShowNux"] is False
        backfill_id = _drive_ui(base_url, shots, n_assets)
        runs = _wait_for_backfill(gql, backfill_id, dev_log)
        assert runs and all(r["status"] == "SUCCESS" for r in runs), runs
        # Pool `netvisor` admits one run at a time: the backfill's runs never overlapped.
        spans = sorted((r["startTime"], r["endTime"]) for r in runs)
        assert len(spans) >= 2, runs
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end, f"runs overlapped despite pool netvisor: {spans}"

        # Every asset has a materialization, and the UI shows it.
        nodes = gql(ASSETS_QUERY)["assetsOrError"]["nodes"]
        materialized = {"/".join(n["key"]["path"]) for n in nodes if n["assetMaterializations"]}
        assert materialized == {f"netvisor/{name}" for name in TABLES} | _report_assets()
        # Every table shows its checks, and the backfill's runs evaluated them.
        checks_by_asset = {
            "/".join(n["assetKey"]["path"]): {c["name"] for c in n["assetChecksOrError"]["checks"]}
            for n in gql(CHECKS_QUERY)["assetNodes"]
        }
        tables = {a: n for a, n in checks_by_asset.items() if a.startswith("netvisor/")}
        assert set(tables) == {f"netvisor/{name}" for name in TABLES}
        # The reports' dbt tests are checks on their models.
        assert "balance_sheet_balances" in checks_by_asset["reports/balance_sheet_monthly"]
        assert "ar_ageing_ties_to_receivables" in checks_by_asset["reports/ar_ageing"]
        for asset, names in tables.items():
            assert {"primary_key", "pandera_schema", "rows_accounted"} <= names, (asset, names)
        page_text = _screenshot_materialized(base_url, backfill_id, shots)
        assert "Never materialized" not in page_text, page_text

    # The processes are gone (the warehouse file is no longer held open): read the warehouse.
    counts = _warehouse_counts(warehouse)
    # Every registry table, plus the record of which company the warehouse holds (one row).
    assert set(counts) == {*TABLES, ORGANISATION_TABLE.name}, (
        f"tables in netvisor schema: {sorted(counts)}"
    )
    assert counts[ORGANISATION_TABLE.name] == 1
    empty = sorted(name for name, n in counts.items() if n == 0)
    assert not empty, f"empty tables: {empty}; rows: {counts}"
    expected = _expected_counts()
    assert {name: counts[name] for name in expected} == expected
