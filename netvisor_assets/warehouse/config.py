"""Warehouse settings, read from environment variables and validated once.

`NETVISOR_WAREHOUSE` picks the backend: `duckdb` (the default, a local file that needs no
account) or `bigquery` (production). Each invalid variable gives one line of the error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from netvisor_assets.warehouse.base import IDENTIFIER

BACKENDS = ("duckdb", "bigquery")
DEFAULT_DATASET = "netvisor"
DEFAULT_DUCKDB_SCHEMA = "netvisor"
DEFAULT_LOCATION = "EU"
# Not "netvisor.duckdb": DuckDB names the catalog after the file, and a catalog "netvisor"
# beside the schema "netvisor" makes `select * from netvisor.vouchers` ambiguous.
DUCKDB_FILE_NAME = "warehouse.duckdb"
# Checked by the google-cloud-bigquery client itself too; the scheme (http://) is required.
EMULATOR_HOST_VAR = "BIGQUERY_EMULATOR_HOST"


class WarehouseSettingsError(ValueError):
    """Raised with one line per invalid environment variable."""


@dataclass(frozen=True)
class WarehouseSettings:
    """Which backend to use and where it keeps the tables."""

    backend: str
    duckdb_path: Path
    bigquery_project: str | None
    bigquery_dataset: str
    bigquery_location: str | None
    emulator_host: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WarehouseSettings:
        env = os.environ if environ is None else environ
        errors: list[str] = []
        backend = (env.get("NETVISOR_WAREHOUSE") or "duckdb").strip().lower()
        if backend not in BACKENDS:
            errors.append(
                f"NETVISOR_WAREHOUSE: {env.get('NETVISOR_WAREHOUSE')!r} must be duckdb or bigquery"
            )
        dataset = branch_dataset((env.get("BIGQUERY_DATASET") or DEFAULT_DATASET).strip(), env)
        if not IDENTIFIER.match(dataset):
            errors.append(
                f"BIGQUERY_DATASET: {dataset!r} must be lower-case letters, digits, underscores"
            )
        project = (env.get("BIGQUERY_PROJECT") or "").strip() or None
        emulator = (env.get(EMULATOR_HOST_VAR) or "").strip() or None
        if emulator and not emulator.startswith(("http://", "https://")):
            errors.append(
                f"{EMULATOR_HOST_VAR}: {emulator!r} needs a scheme, e.g. http://host:port"
            )
        if backend == "bigquery" and project is None and emulator:
            errors.append("BIGQUERY_PROJECT: required when BIGQUERY_EMULATOR_HOST is set")
        explicit = (env.get("NETVISOR_DUCKDB_PATH") or "").strip()
        if backend == "duckdb" and explicit:
            folder = Path(explicit).expanduser().parent
            if not folder.is_dir():
                # A typo in the path would otherwise create a fresh folder and an empty
                # warehouse beside the real one.
                errors.append(
                    f"NETVISOR_DUCKDB_PATH: folder {str(folder)!r} does not exist; create it "
                    "or fix the path"
                )
        if errors:
            raise WarehouseSettingsError("Invalid warehouse settings:\n" + "\n".join(errors))
        return cls(
            backend=backend,
            duckdb_path=duckdb_path_from_env(env),
            bigquery_project=project,
            bigquery_dataset=dataset,
            # Finnish accounting data must not land in BigQuery's US default by accident.
            bigquery_location=(env.get("BIGQUERY_LOCATION") or "").strip() or DEFAULT_LOCATION,
            emulator_host=emulator,
        )


def branch_dataset(dataset: str, env: Mapping[str, str]) -> str:
    """A Dagster+ branch deployment writes to a dataset of its own, never production's.

    Dagster+ sets DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT=1 and names the branch deployment in
    DAGSTER_CLOUD_DEPLOYMENT_NAME (or the branch in DAGSTER_CLOUD_GIT_BRANCH): the dataset
    becomes `<dataset>_branch_<name>`, lower case, at most 128 characters.
    """
    if (env.get("DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT") or "").strip() != "1":
        return dataset
    name = (
        env.get("DAGSTER_CLOUD_DEPLOYMENT_NAME") or env.get("DAGSTER_CLOUD_GIT_BRANCH") or "branch"
    )
    suffix = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_") or "branch"
    return f"{dataset}_branch_{suffix}"[:128]


def duckdb_path_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """NETVISOR_DUCKDB_PATH, else $DAGSTER_HOME/warehouse.duckdb, else ./.dagster_home/...

    Next to the Dagster instance because that is the folder a local deployment already keeps.
    """
    env = os.environ if environ is None else environ
    explicit = (env.get("NETVISOR_DUCKDB_PATH") or "").strip()
    if explicit:
        return Path(explicit).expanduser()
    home = (env.get("DAGSTER_HOME") or "").strip()
    base = Path(home).expanduser() if home else Path.cwd() / ".dagster_home"
    # The default folder is the instance's own; creating it is what a first run expects.
    base.mkdir(parents=True, exist_ok=True)
    return base / DUCKDB_FILE_NAME


def emulator_host(environ: Mapping[str, str] | None = None) -> str | None:
    """The BigQuery emulator endpoint if one is configured (tests, local development)."""
    env = os.environ if environ is None else environ
    return (env.get(EMULATOR_HOST_VAR) or "").strip() or None
