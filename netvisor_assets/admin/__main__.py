"""`python -m netvisor_assets.admin`: the admin jobs, run in-process from the command line."""

import argparse
import os
import re
import sys
from collections.abc import Sequence

import dagster as dg

from netvisor_assets.admin import CHECK_JOB, DELETE_JOB, FULL_REFRESH_JOB


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line face of the admin jobs."""
    parser = argparse.ArgumentParser(prog="python -m netvisor_assets.admin")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check-connection", help="check credentials and rights")
    refresh = sub.add_parser("full-refresh", help="drop and rebuild tables")
    refresh.add_argument("tables", nargs="*", help="tables (default: every selected table)")
    delete = sub.add_parser("delete-all-data", help="drop every synced table")
    delete.add_argument("--confirm", required=True, help="the organisation id (Y-tunnus)")
    args = parser.parse_args(argv)
    from netvisor_assets.settings import SettingsError, load_dotenv_file
    from netvisor_assets.warehouse import WarehouseSettingsError

    load_dotenv_file()
    try:
        from netvisor_assets.definitions import defs
    except (SettingsError, WarehouseSettingsError) as exc:
        print(exc, file=sys.stderr)
        return 2

    if args.command == "check-connection":
        job, config = CHECK_JOB, {}
    elif args.command == "full-refresh":
        job, config = (
            FULL_REFRESH_JOB,
            {"ops": {"rebuild_tables": {"config": {"tables": args.tables}}}},
        )
    else:
        job = DELETE_JOB
        config = {
            "ops": {"delete_all_synced_data": {"config": {"confirm_organisation_id": args.confirm}}}
        }
    instance = dg.DagsterInstance.get() if _has_home() else dg.DagsterInstance.ephemeral()
    # A person reads this: Dagster's event log (stack traces of a failed step included) stays
    # in the instance; the command prints one line per outcome.
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    result = defs.resolve_job_def(job).execute_in_process(
        run_config={**config, **quiet}, instance=instance, raise_on_error=False
    )
    if not result.success:
        # Only step failures carry step_failure_data; the run's own failure event does not.
        messages = [
            _PREFIX.sub("", event.step_failure_data.error.message.strip()).splitlines()[0]
            for event in result.all_events
            if event.is_step_failure and event.step_failure_data and event.step_failure_data.error
        ]
        print(f"{job} failed: " + ("; ".join(messages) or "see the Dagster UI"), file=sys.stderr)
        return 1
    print(f"{job}: ok")
    return 0


# "dagster._core.definitions.events.Failure: ..." -> "..."
_PREFIX = re.compile(r"^(?:[A-Za-z_]\w*\.)*\w*(?:Error|Failure|Exception)\w*: ")


def _has_home() -> bool:
    return bool(os.environ.get("DAGSTER_HOME"))


if __name__ == "__main__":
    sys.exit(main())
