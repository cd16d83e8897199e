"""Admin jobs, in the UI and on the command line.

- `netvisor_check_connection`: calls customerlist.nv and tells apart wrong keys, missing
  rights and an unreachable host.
- `netvisor_full_refresh` (config: tables): rebuilds the chosen tables from Netvisor, every day
  from the ledger start date, month by month, aside; then swaps them in atomically.
- `netvisor_delete_all_data` (config must repeat the organisation id): drops every synced table
  and clears the changes sensor's cursor, for "delete the connector and all of its data".

`python -m netvisor_assets.admin check-connection | full-refresh TABLE... | delete-all-data
--confirm Y-TUNNUS` runs the same jobs in-process (`__main__.py`: it loads the definitions,
which import these jobs, so the command line lives apart from them).
"""

import datetime as dt
from collections.abc import Iterator

import dagster as dg

from netvisor_assets.assets import POOL, asset_key, sync_metadata, sync_window
from netvisor_assets.automation import SENSOR_NAME
from netvisor_assets.loading import stored_organisation
from netvisor_assets.resources import NetvisorResource
from netvisor_assets.selection import Selection
from netvisor_assets.settings import today_in_helsinki
from netvisor_assets.tables import SOURCES, TABLES, SyncMode
from netvisor_assets.warehouse import warehouse_from_env

CHECK_JOB = "netvisor_check_connection"
FULL_REFRESH_JOB = "netvisor_full_refresh"
DELETE_JOB = "netvisor_delete_all_data"


class FullRefreshConfig(dg.Config):
    """Which tables to rebuild from scratch (default: every selected table)."""

    tables: list[str] = []


class DeleteAllConfig(dg.Config):
    """Repeat the organisation id (Y-tunnus) to confirm: this deletes every synced table."""

    confirm_organisation_id: str


def build_admin_jobs(
    selection: Selection, ledger_start: dt.date, organisation_id: str
) -> list[dg.JobDefinition]:
    """The three admin jobs, bound to this deployment's settings and selection.

    Long because it is a factory: each op is a closure over the settings and sits by its job.
    """

    @dg.op(name="check_netvisor_connection")
    def check_connection_op(context: dg.OpExecutionContext, netvisor: NetvisorResource) -> None:
        result = netvisor.check_connection()
        if not result.ok:
            raise dg.Failure(description=str(result))
        context.log.info(str(result))

    @dg.op(name="rebuild_tables", out=dg.Out(dg.Nothing), pool=POOL)
    def full_refresh_op(
        context: dg.OpExecutionContext, config: FullRefreshConfig, netvisor: NetvisorResource
    ) -> Iterator[dg.AssetMaterialization]:
        """Rebuild aside and swap: each source's tables are staged over the whole history and
        replace the stored ones in one transaction, so readers never see a missing or partial
        table. Runs in pool `netvisor` like every sync (one request at a time)."""
        wanted = config.tables or list(selection.columns)
        unknown = [t for t in wanted if t not in TABLES or not selection.is_selected(t)]
        if unknown:
            raise dg.Failure(description=f"not selected or unknown tables: {', '.join(unknown)}")
        warehouse = warehouse_from_env()
        last_day = today_in_helsinki() - dt.timedelta(days=1)
        for source in SOURCES:
            tables = [selection.table(t.name) for t in source.tables if t.name in wanted]
            if not tables:
                continue
            partitioned = source.mode is SyncMode.PARTITIONED
            outcome = sync_window(
                source,
                tables,
                netvisor,
                warehouse,
                run_id=context.run_id,
                window=(ledger_start, last_day) if partitioned else None,
                rebuild=True,
                log=context.log.info,
            )
            for table in tables:
                metadata = sync_metadata(outcome, table, warehouse, selection)
                context.log.info(f"{table.name}: rebuilt with {metadata['dagster/row_count']} rows")
                if not partitioned:
                    yield dg.AssetMaterialization(
                        asset_key=asset_key(table.name), metadata=metadata
                    )

    @dg.op(name="delete_all_synced_data")
    def delete_all_op(context: dg.OpExecutionContext, config: DeleteAllConfig) -> None:
        warehouse = warehouse_from_env()
        # The company whose data is deleted: the one the warehouse holds (it may be the demo
        # company a user tried before setting their own credentials), else this deployment's.
        held = stored_organisation(warehouse) or organisation_id
        if config.confirm_organisation_id.strip() != held:
            raise dg.Failure(
                description=f"confirm_organisation_id does not match organisation {held}, "
                "whose data this warehouse holds; nothing was deleted"
            )
        dropped = warehouse.drop_all()
        context.log.info(f"dropped {len(dropped)} tables: {', '.join(dropped) or 'none'}")
        cleared = clear_sensor_cursor(context.instance)
        context.log.info(f"cleared the {SENSOR_NAME} cursor" if cleared else "no sensor cursor")

    @dg.job(name=CHECK_JOB, description="Check the Netvisor credentials and rights.")
    def check_job() -> None:
        check_connection_op()

    @dg.job(name=FULL_REFRESH_JOB, description="Drop and rebuild the chosen tables.")
    def full_refresh_job() -> None:
        full_refresh_op()

    @dg.job(name=DELETE_JOB, description="Delete every synced table and the sensor cursor.")
    def delete_job() -> None:
        delete_all_op()

    return [check_job, full_refresh_job, delete_job]


def clear_sensor_cursor(instance: dg.DagsterInstance) -> bool:
    """Forget the changes sensor's cursor, so nothing from before a wipe is remembered.

    Through the instance's public state API only: the stored sensor data is kept as it is
    but for its cursor (the tick history and the sensor's on/off state survive the wipe).
    """
    if getattr(instance, "_schedule_storage", None) is None:
        # An in-memory instance (command line without DAGSTER_HOME) keeps no sensor state.
        return False
    cleared = False
    for state in instance.all_instigator_state():
        data = state.instigator_data
        if state.instigator_name != SENSOR_NAME or state.instigator_type.value != "SENSOR":
            continue
        if data is None or not hasattr(data, "cursor"):
            continue
        instance.update_instigator_state(state.with_data(data._replace(cursor=None)))
        cleared = True
    return cleared
