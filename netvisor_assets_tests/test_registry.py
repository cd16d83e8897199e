"""The registry is whole: every table has each piece a sync of it needs, or this test names it.

Adding a table is one entry in its family's module (`netvisor_assets.tables.<family>`), data in
the simulator where it lacks them, and `python -m netvisor_assets.tables.docs`. Until all of
that exists, the test below lists, per table, exactly what is missing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from netvisor_assets.selection import load_selection
from netvisor_assets.simulator import SimulatorServer, generate_company
from netvisor_assets.simulator import handlers as sim_handlers
from netvisor_assets.simulator.truth import source_records
from netvisor_assets.tables import FAMILIES, SOURCES, TABLES, SyncMode
from netvisor_assets.tables.docs import (
    DEFAULT_SELECTION,
    README,
    render_default_selection,
    render_table_reference,
)
from netvisor_assets.tables.source import Rerun, Source

START = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def sim() -> SimulatorServer:
    # Not started: the ground truth is read from the company, no HTTP involved.
    return SimulatorServer(generate_company(seed=2, size="tiny", start_date=START))


def _missing(source: Source, sim: SimulatorServer, readme: str, selected: set[str]) -> list[str]:
    """What one source lacks, in words a person adding a table can act on."""
    out: list[str] = []
    endpoint = source.endpoint
    header = source.tables[0]
    if (
        not endpoint.list.name.endswith(".nv")
        or not endpoint.list.paths
        and not (endpoint.list.whole_document)
    ):
        out.append("request declaration: a list resource with record paths")
    declared = {r for t in source.tables for r in source.resources_of(t)}
    if source.mode is SyncMode.PARTITIONED and endpoint.list.window is None:
        out.append("request declaration: a partitioned source needs a date window")
    if source.mode is SyncMode.MERGE and not source.has_change_filter:
        out.append("request declaration: a merged source needs a change filter")
    if source.rerun is Rerun.FROM_FIRST_CHANGE and source.moved_by not in {s.name for s in SOURCES}:
        out.append("registry entry: `moved_by` names no source")
    unserved = [r for r in sorted(declared) if sim_handlers.resource_name(f"/{r}") is None]
    if unserved:
        out.append(f"simulator data: no handler for {unserved}")
    try:
        records = source_records(sim, source.name, START, sim.company.today)
    except KeyError:
        out.append("simulator data: no ground truth in netvisor_assets/simulator/truth.py")
    else:
        rows = source.to_rows(records)
        empty = [t.name for t in source.tables if not rows.get(t.name)]
        if empty:
            out.append(f"simulator data: the tiny company has no rows for {empty}")
    for table in source.tables:
        if table.name not in selected:
            out.append(f"selection default: {table.name} is not in selection/default.yaml")
        if f"### {table.name}\n" not in readme:
            out.append(f"docs: the README has no section for {table.name}")
    if header.primary_key and any(k not in header.column_names for k in header.primary_key):
        out.append("registry entry: a primary key column is not a column")
    return out


def test_every_table_is_whole(sim: SimulatorServer) -> None:
    readme = README.read_text(encoding="utf-8")
    selected = set(load_selection(DEFAULT_SELECTION).columns)
    missing = {
        f"{source.name} ({', '.join(source.table_names)})": pieces
        for source in SOURCES
        if (pieces := _missing(source, sim, readme, selected))
    }
    assert not missing, "tables that are not whole:\n" + "\n".join(
        f"- {name}: " + "; ".join(pieces) for name, pieces in missing.items()
    )


def test_generated_files_are_current() -> None:
    """The README's table reference and the default selection are what the registry makes:
    run `python -m netvisor_assets.tables.docs` after changing the registry."""
    assert render_table_reference() in README.read_text(encoding="utf-8")
    assert DEFAULT_SELECTION.read_text(encoding="utf-8") == render_default_selection()


def test_every_source_sits_in_one_family_and_every_table_once() -> None:
    names = [s.name for family in FAMILIES for s in family.SOURCES]
    assert len(names) == len(set(names))
    assert [s.name for s in SOURCES] == names
    tables = [t.name for s in SOURCES for t in s.tables]
    assert len(tables) == len(set(tables)) and set(tables) == set(TABLES)


def test_the_meta_test_names_what_a_half_added_table_lacks(sim: SimulatorServer) -> None:
    """A table declared in the registry alone is reported for every piece it lacks."""
    from netvisor_assets.netvisor.endpoints import Endpoint, Resource
    from netvisor_assets.tables.columns import c
    from netvisor_assets.tables.schema import Table
    from netvisor_assets.tables.source import single_table_rows

    table = Table(
        name="bank_accounts",
        description="Bank accounts.",
        primary_key=("bank_account_key",),
        mode=SyncMode.FULL_REFRESH,
        columns=(c("NetvisorKey", "bank_account_key", "Key."),),
    )
    source = Source(
        "bank_accounts",
        "Bank accounts.",
        (table,),
        single_table_rows(table),
        Endpoint(list=Resource("getbankaccounts.nv", (("bankaccounts", "bankaccount"),))),
    )
    pieces = " | ".join(_missing(source, sim, "", set()))
    for piece in ("simulator data: no handler", "no ground truth", "selection default", "docs"):
        assert piece in pieces, pieces
    assert not _missing(SOURCES[0], sim, README.read_text(encoding="utf-8"), set(TABLES))
