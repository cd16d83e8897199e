"""The reports: a dbt project (`project/`) whose models are Dagster assets in group `reporting`.

Why this shape:
- dbt owns the SQL, so a controller can read, test and extend the reports with the tool finance
  teams already use; Dagster owns when they run and shows them beside the tables they read.
- The same models run on DuckDB and BigQuery: the warehouse differences live in a few
  dispatched macros (`project/macros`), and the profile is filled in from the warehouse
  settings the tables use, so the reports always read the tables this code location writes.
- A report is built only when every table it reads is selected with the columns it reads
  (the columns listed in `project/models/sources.yml`); a partial selection builds the rest.
- They refresh by declarative automation on a cron (`AutomationCondition.on_cron`, 02:00
  Helsinki, before the daily syncs): once every table a report reads has been synced after
  the tick, the report is built once. A job-based schedule would race the syncs, and eager
  automation would rebuild after every run of a backfill.
- No `from __future__ import annotations`: Dagster reads the asset function's `context`
  annotation at definition time.
- The manifest is parsed once per version of the project (a hash of its files) and cached, so
  loading the code location does not run dbt each time.
"""

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from netvisor_assets.automation import AssetJob
from netvisor_assets.selection import Selection
from netvisor_assets.warehouse.config import DEFAULT_DUCKDB_SCHEMA, WarehouseSettings

PROJECT_DIR = Path(__file__).parent / "project"
GROUP = "reporting"
KEY_PREFIX = "reports"
JOB = "netvisor_reports"
AUTOMATION_SENSOR = "netvisor_reports_automation"
# Before the daily syncs (02:30 reference, 02:45 merge, 03:00 partitions): the reports wait
# for every table they read to be synced after this tick, then build once.
REFRESH_CRON = "0 2 * * *"
REFRESH_TIMEZONE = "Europe/Helsinki"
DUCKDB_REPORTS_SCHEMA = "reports"
# The models whose latest month is shown in the asset's metadata, as a table.
STATEMENT_MODELS = ("profit_and_loss_monthly", "balance_sheet_monthly")
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
_PROJECT_DIRS = ("models", "seeds", "tests", "macros")


class ReportsError(RuntimeError):
    """The dbt project could not be parsed or run; the message says what dbt said."""


def reports_dataset(settings: WarehouseSettings) -> str:
    """Where the reports are written: beside the tables, never in the tables' own schema."""
    if settings.backend == "bigquery":
        return f"{settings.bigquery_dataset}_reports"
    return DUCKDB_REPORTS_SCHEMA


def dbt_env(settings: WarehouseSettings) -> dict[str, str]:
    """The variables profiles.yml and sources.yml read, from the tables' warehouse settings."""
    if settings.backend == "bigquery":
        env = {
            # The emulator takes any token; real BigQuery uses Google's default credentials.
            "NETVISOR_DBT_TARGET": "bigquery_emulator" if settings.emulator_host else "bigquery",
            "NETVISOR_DBT_API_ENDPOINT": settings.emulator_host or "",
            "NETVISOR_DBT_PROJECT": settings.bigquery_project or "",
            "NETVISOR_DBT_LOCATION": settings.bigquery_location or "EU",
            "NETVISOR_DBT_SOURCE_SCHEMA": settings.bigquery_dataset,
        }
    else:
        env = {
            "NETVISOR_DBT_TARGET": "duckdb",
            "NETVISOR_DBT_DUCKDB_PATH": str(settings.duckdb_path),
            "NETVISOR_DBT_SOURCE_SCHEMA": DEFAULT_DUCKDB_SCHEMA,
        }
    env["NETVISOR_DBT_SCHEMA"] = reports_dataset(settings)
    # A run that builds some of the models (a UI backfill builds them in several runs, level
    # by level) runs a test only once everything it reads is built: its own models or their
    # ancestors. dbt's default (eager) would run a test as soon as any model it reads is.
    env["DBT_INDIRECT_SELECTION"] = "buildable"
    return env


def project_hash() -> str:
    """A hash of every file of the dbt project: a new version gets a new manifest."""
    digest = hashlib.sha256()
    paths = [PROJECT_DIR / name for name in _PROJECT_FILES]
    for folder in _PROJECT_DIRS:
        paths.extend(sorted(p for p in (PROJECT_DIR / folder).rglob("*") if p.is_file()))
    for path in paths:
        digest.update(str(path.relative_to(PROJECT_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_root() -> Path:
    """The project's own target folder when writable (an editable checkout), else a temp one."""
    target = PROJECT_DIR / "target"
    try:
        target.mkdir(exist_ok=True)
        probe = target / ".write-probe"
        probe.touch()
        probe.unlink()
        return target
    except OSError:
        return Path(tempfile.gettempdir()) / "netvisor_reports"


def dbt_executable() -> str:
    """The dbt of this interpreter's environment (not whichever dbt is first on PATH)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(
    command: str, target: Path, env: Mapping[str, str] | None = None, *extra: str
) -> subprocess.CompletedProcess[str]:
    """One dbt command on the project outside Dagster (parse, compile), quietly, with its
    target and logs in `target` and `env` over this process's environment."""
    return subprocess.run(  # noqa: S603 - our own dbt with fixed arguments
        [
            dbt_executable(), command,
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(target), "--quiet", *extra,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})},
        check=False,
    )  # fmt: skip


def manifest_path() -> Path:
    """The parsed manifest of the current project version, parsing it when missing.

    Parsing needs no warehouse connection: the profile's defaults suffice. It is written to a
    fresh folder and renamed into place, so two processes starting at once cannot read half a
    manifest.
    """
    target = _cache_root() / f"manifest-{project_hash()}"
    manifest = target / "manifest.json"
    if manifest.exists():
        return manifest
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="parse-", dir=target.parent))
    result = run_dbt("parse", scratch)
    if result.returncode != 0 or not (scratch / "manifest.json").exists():
        shutil.rmtree(scratch, ignore_errors=True)
        said = (result.stdout + result.stderr).strip().splitlines()
        raise ReportsError("dbt parse failed: " + (said[-1] if said else "no output"))
    try:
        scratch.rename(target)
    except OSError:  # another process got there first: use its manifest
        shutil.rmtree(scratch, ignore_errors=True)
    return manifest


def load_manifest() -> dict[str, Any]:
    return json.loads(manifest_path().read_text())


def source_columns(manifest: Mapping[str, Any]) -> dict[str, set[str]]:
    """Netvisor table -> the columns the reports read from it (sources.yml)."""
    out: dict[str, set[str]] = {}
    for source in manifest["sources"].values():
        out[source["name"]] = set(source.get("columns", {}))
    return out


def _upstream_sources(manifest: Mapping[str, Any], unique_id: str) -> set[str]:
    """Source tables a node reads, directly or through other models."""
    seen: set[str] = set()
    tables: set[str] = set()
    stack = [unique_id]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.startswith("source."):
            tables.add(manifest["sources"][node]["name"])
            continue
        props = manifest["nodes"].get(node)
        if props is not None:
            stack.extend(props.get("depends_on", {}).get("nodes", []))
    return tables


def buildable_models(manifest: Mapping[str, Any], selection: Selection) -> dict[str, str]:
    """Model name -> why it is left out, for every model; '' for a model that is built."""
    needs = source_columns(manifest)
    out: dict[str, str] = {}
    for unique_id, props in manifest["nodes"].items():
        if props["resource_type"] != "model":
            continue
        missing: list[str] = []
        for table in sorted(_upstream_sources(manifest, unique_id)):
            if not selection.is_selected(table):
                missing.append(f"table {table} is not selected")
                continue
            absent = sorted(needs.get(table, set()) - set(selection.columns[table]))
            if absent:
                missing.append(f"{table} lacks {', '.join(absent)}")
        out[props["name"]] = "; ".join(missing)
    return out


class ReportsTranslator(DagsterDbtTranslator):
    """Sources are the synced tables (`netvisor/<table>`); models are `reports/<model>`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["netvisor", dbt_resource_props["name"]])
        return dg.AssetKey([KEY_PREFIX, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        return dg.AutomationCondition.on_cron(REFRESH_CRON, REFRESH_TIMEZONE)


def translator() -> ReportsTranslator:
    return ReportsTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _reports_warehouse(settings: WarehouseSettings) -> Any:
    """A warehouse handle on the reports' schema, to read the statements back."""
    if settings.backend == "bigquery":
        from dagster_gcp import BigQueryResource

        from netvisor_assets.warehouse.bigquery import BigQueryWarehouse

        resource = BigQueryResource(
            project=settings.bigquery_project, location=settings.bigquery_location
        )
        return BigQueryWarehouse.from_resource(resource, dataset=reports_dataset(settings))
    from netvisor_assets.warehouse.duckdb_warehouse import DuckDBWarehouse

    return DuckDBWarehouse(settings.duckdb_path, schema=reports_dataset(settings))


def statement_table(settings: WarehouseSettings, model: str) -> tuple[str, dg.TableMetadataValue]:
    """The latest complete month of a statement model (else the latest), as a UI table."""
    warehouse = _reports_warehouse(settings)
    frame = warehouse.read(model, columns=["month_start", "is_complete", "sort", "line_code",
                                           "name_fi", "level", "kind", "amount"])  # fmt: skip
    complete = frame[frame["is_complete"].fillna(False).astype(bool)]
    month = (complete if len(complete) else frame)["month_start"].max()
    rows = frame[frame["month_start"] == month].sort_values("sort")
    records = [
        dg.TableRecord(
            {
                # No-break spaces: the UI collapses ordinary ones.
                "line": "\u00a0\u00a0" * int(r.level) + str(r.name_fi),
                "code": str(r.line_code),
                "amount (EUR)": ""
                if r.amount is None or r.amount != r.amount
                else f"{r.amount:,.2f}",
            }
        )
        for r in rows.itertuples()
    ]
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn("line", "string"),
            dg.TableColumn("code", "string"),
            dg.TableColumn("amount (EUR)", "string"),
        ]
    )
    return str(month), dg.MetadataValue.table(records=records, schema=schema)


def statement_summary(settings: WarehouseSettings) -> dict[str, str]:
    """Headline figures of the latest complete month, for scripts/sync; {} without reports."""
    warehouse = _reports_warehouse(settings)
    if not warehouse.table_columns("profit_and_loss_monthly"):
        return {}
    pnl = warehouse.read("profit_and_loss_monthly")
    complete = pnl[pnl["is_complete"].fillna(False).astype(bool)]
    month = (complete if len(complete) else pnl)["month_start"].max()
    rows = pnl[pnl["month_start"] == month].set_index("line_code")
    out = {"schema": reports_dataset(settings), "latest complete month": str(month)[:7]}
    for code in ("PL01", "PL09", "PL15"):
        r = rows.loc[code]
        out[str(r["name_fi"])] = (
            f"{r['amount']:,.2f} (year to date {r['amount_year_to_date']:,.2f})"
        )
    if warehouse.table_columns("balance_sheet_monthly"):
        bs = warehouse.read("balance_sheet_monthly")
        at = bs[(bs["month_start"] == month) & bs["line_code"].isin(["BA.T", "BL.T"])]
        for r in at.sort_values("sort").itertuples():
            out[str(r.name_fi)] = f"{r.amount:,.2f}"
    if warehouse.table_columns("ar_ageing"):
        ar = warehouse.read("ar_ageing")
        ar = ar[ar["month_end"] == ar["month_end"].max()]
        out["AR ageing " + str(ar["month_end"].max())] = ", ".join(
            f"{b} {v:,.2f}"
            for b, v in ar.groupby(["bucket_sort", "ageing_bucket"])["open_amount"].sum().items()
            for b in [b[1]]
        )
    return out


def build_report_assets(
    selection: Selection, settings: WarehouseSettings
) -> dg.AssetsDefinition | None:
    """The dbt models the selection can feed, as one multi-asset with their tests as checks."""
    manifest = load_manifest()
    built = sorted(name for name, why in buildable_models(manifest, selection).items() if not why)
    if not built:
        return None
    env = dbt_env(settings)

    @dbt_assets(
        manifest=manifest,
        select=" ".join(built) + " resource_type:seed",
        dagster_dbt_translator=translator(),
        name="netvisor_reports_dbt",
    )
    def netvisor_reports(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        # Each run's own target folder, outside the package (which may be read-only).
        target = _cache_root() / "runs" / context.run_id
        statements = {
            context.assets_def.get_output_name_for_asset_key(dg.AssetKey([KEY_PREFIX, m])): m
            for m in STATEMENT_MODELS
            if dg.AssetKey([KEY_PREFIX, m]) in context.assets_def.keys
        }
        with _environment(env):
            invocation = dbt.cli(["build"], context=context, target_path=target)
            for event in invocation.stream():
                if isinstance(event, dg.Output) and event.output_name in statements:
                    month, table = statement_table(settings, statements[event.output_name])
                    event = event.with_metadata(
                        {**event.metadata, "latest_month": month, "latest_month_statement": table}
                    )
                yield event
        shutil.rmtree(target, ignore_errors=True)

    return netvisor_reports


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """dbt reads its profile from the environment; set it for one build, then restore."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(PROJECT_DIR), profiles_dir=str(PROJECT_DIR), dbt_executable=dbt_executable()
    )


def build_reports_job(assets: dg.AssetsDefinition) -> AssetJob:
    """Every report and its checks, for scripts/sync and the UI's launchpad."""
    return dg.define_asset_job(JOB, selection=dg.AssetSelection.assets(assets))


def build_automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the reports' on_cron condition; running by default so reports refresh daily."""
    return dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=dg.AssetSelection.groups(GROUP),
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
