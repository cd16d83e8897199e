"""Shared fixtures. The BigQuery emulator runs once per session; each test gets its own dataset."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from netvisor_assets_tests.bq_emulator import (
    Emulator,
    EmulatorUnavailable,
    emulator_command,
    running_emulator,
)


@pytest.fixture(autouse=True)
def _private_netvisor_gates(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Each test gets its own company lock folder: a cool-down one test provokes after a
    timeout must not slow down the next test, which talks to the same organisation id."""
    monkeypatch.setenv("NETVISOR_LOCK_DIR", str(tmp_path_factory.mktemp("gates")))


@pytest.fixture(scope="session")
def bigquery_emulator() -> Iterator[Emulator]:
    """A running local-bigquery; skipped where it is not built, but CI must have it."""
    try:
        emulator_command()
    except EmulatorUnavailable as exc:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{exc} (CI=true: the BigQuery tests must run)")
        pytest.skip(str(exc))
    with running_emulator() as emulator:
        yield emulator


@pytest.fixture
def bigquery_warehouse(bigquery_emulator: Emulator):  # -> BigQueryWarehouse
    """A BigQueryWarehouse on the emulator, in a dataset of its own that is deleted afterwards."""
    from netvisor_assets.warehouse.bigquery import BigQueryWarehouse, emulator_client

    dataset = f"test_{uuid.uuid4().hex[:12]}"
    warehouse = BigQueryWarehouse(
        lambda: emulator_client(bigquery_emulator.url, bigquery_emulator.project),
        dataset=dataset,
    )
    yield warehouse
    client = bigquery_emulator.client()
    try:
        client.delete_dataset(
            f"{bigquery_emulator.project}.{dataset}", delete_contents=True, not_found_ok=True
        )
    finally:
        client.close()


@pytest.fixture
def duckdb_warehouse(tmp_path: Path):  # -> DuckDBWarehouse
    """A DuckDBWarehouse in a fresh file."""
    from netvisor_assets.warehouse.duckdb_warehouse import DuckDBWarehouse

    return DuckDBWarehouse(tmp_path / "warehouse.duckdb")
