"""Checks that need more than one source: Netvisor's own balances, completeness, freshness.

- `netvisor_ledger_reconciliation` runs after the assets it reads, in the same run (its specs
  name them as `additional_deps`): every account's balance computed from the synced valid
  voucher lines equals `accountbalance.nv` for each day of the run's window, and the open
  sales and purchase invoices add up to the receivables and payables accounts.
- `netvisor_completeness` compares, month by month, the document keys Netvisor lists with the
  keys the warehouse holds and re-syncs exactly the days that differ (through
  `loading.sync_source`, the assets' own code path). Netvisor's change filters can miss
  vouchers and its deletion lists keep 7 days only, so the weekly job is what proves the
  ledger complete. It lists every month, so the sync jobs leave it out.
- `netvisor_freshness` looks at the Dagster instance, per partition: yesterday's partition
  (Helsinki) must exist by 06:00, and tables without partitions must have been refreshed within
  26 hours. Dagster's `FreshnessPolicy` (on the asset specs) only sees the latest
  materialization of any partition: a backfill of an old day would make a table look fresh.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd

from netvisor_assets import checks
from netvisor_assets.assets import asset_key, check_result
from netvisor_assets.loading import sync_source
from netvisor_assets.netvisor.paging import month_windows
from netvisor_assets.resources import NetvisorResource
from netvisor_assets.selection import Selection
from netvisor_assets.tables import SOURCES, TABLES, Source, SyncMode, Table
from netvisor_assets.tables.source import day_ranges
from netvisor_assets.timezone import HELSINKI
from netvisor_assets.warehouse.base import Warehouse
from netvisor_assets.warehouse.io_manager import WarehouseIOManager

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
# Yesterday's partition must exist by this Helsinki time (the daily schedule runs at 03:00).
FRESH_BY = dt.time(6, 0)
REFRESH_WITHIN = dt.timedelta(hours=26)


# Set by a sync that cuts a history into runs on every run but its last (`sync.run_chunks`).
LATER_RUN_TAG = "netvisor/later_run_follows"
BACKFILL_TAG = "dagster/backfill"


def tie_skipped_because(tags: dict[str, str], yesterday: dt.date) -> str | None:
    """Why the open-invoice ties cannot be judged in this run, or None when they can.

    An invoice's open amount is what Netvisor says now, so the open invoices tie only to the
    balance of the latest day. A run that ends in the past - any run but the last of a sync
    cut into runs, a backfill chunk before the last - would compare today's open amounts with
    an older balance and fail on every invoice paid since. Those runs report the tie as not
    judged (passed, with the reason); the run that reaches the latest day judges it.
    """
    window = run_window(tags)
    if tags.get(LATER_RUN_TAG) == "true":
        end = f" (it ends {window[1]})" if window else ""
        return f"a later run of this sync reaches the latest day{end}"
    if window is not None and BACKFILL_TAG in tags and window[1] < yesterday:
        return f"this backfill run ends {window[1]}, before the latest day {yesterday}"
    return None


def run_window(tags: dict[str, str]) -> tuple[dt.date, dt.date] | None:
    """The partition window a run covers (inclusive days), None for an unpartitioned run."""
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return dt.date.fromisoformat(tags[RANGE_START_TAG]), dt.date.fromisoformat(
            tags[RANGE_END_TAG]
        )
    if PARTITION_TAG in tags:
        day = dt.date.fromisoformat(tags[PARTITION_TAG])
        return day, day
    return None


def _read(
    warehouse: Warehouse,
    name: str,
    columns: list[str],
    where: str | None = None,
    params: dict[str, Any] | None = None,
) -> pd.DataFrame | None:
    stored = warehouse.table_columns(name)
    if not stored:
        return None
    return warehouse.read(
        name, columns=[c for c in columns if c in stored], where=where, params=params
    )


# ------------------------------------------------------------------------- ledger


def balances_outcome(
    warehouse: Warehouse, window: tuple[dt.date, dt.date] | None
) -> checks.Outcome:
    """`ties_to_netvisor_balances` for a window (None: every stored day)."""
    if window is None:
        low = _read(warehouse, "account_balances", ["balance_date"])
        if low is None or not len(low):
            return checks.Outcome(False, "account_balances is not synced", {}, warn_only=True)
        window = (min(low["balance_date"]), max(low["balance_date"]))
    first, last = window
    accounts = _read(warehouse, "accounts", ["account_key", "account_number"])
    if accounts is None or _read(warehouse, "voucher_lines", ["voucher_key"]) is None:
        return checks.Outcome(
            False, "accounts or voucher_lines is not synced: nothing to compare with", {}, True
        )
    between = "balance_date >= @first AND balance_date <= @last"
    balances = _read(
        warehouse,
        "account_balances",
        ["account_key", "balance_date", "balance"],
        between,
        {"first": first, "last": last},
    )
    assert balances is not None
    previous = first - dt.timedelta(days=1)
    anchor_rows = _read(
        warehouse,
        "account_balances",
        ["account_key", "balance"],
        "balance_date = @day",
        {"day": previous},
    )
    anchor: dict[str, Any] = {}
    if anchor_rows is not None and len(anchor_rows):
        # The day before the window is stored (and was checked by its own run): start there.
        numbers = dict(zip(accounts["account_key"], accounts["account_number"], strict=True))
        for key, balance in zip(anchor_rows["account_key"], anchor_rows["balance"], strict=True):
            number = numbers.get(key)
            if isinstance(number, str):
                anchor[number] = balance
    else:
        # Nothing stored before the window (its first day is the ledger start): the opening
        # balances come from Netvisor's first day, and every later day's movement is checked.
        anchor = checks.opening_balances(
            balances, _postings(warehouse, first, first), accounts, first
        )
    postings = _postings(warehouse, first, last)
    return checks.balance_differences(balances, postings, accounts, anchor, first, last)


def _postings(warehouse: Warehouse, first: dt.date, last: dt.date) -> Iterator[checks.Posting]:
    """The valid voucher lines dated `first..last`, read a slice of days at a time (five years
    of a large company's lines would not fit in memory at once)."""
    lines_table = TABLES["voucher_lines"]
    for low, high in checks.scope_slices(warehouse, lines_table, (first, last)) or [(first, last)]:
        where = "voucher_date >= @first AND voucher_date <= @last"
        params: dict[str, Any] = {"first": low, "last": high}
        columns = ["voucher_key", "voucher_date", "account_number", "line_sum", "status"]
        lines = _read(warehouse, "voucher_lines", columns, where, params)
        headers = _read(warehouse, "vouchers", ["voucher_key", "status"], where, params)
        assert lines is not None
        yield from checks.valid_postings(lines, headers)


def open_items_outcome(warehouse: Warehouse, table: str) -> checks.Outcome:
    """`open_invoices_tie_to_receivables` / `..._payables` on the latest stored balance day."""
    invoices = _read(warehouse, table, ["open_amount"])
    if invoices is None or "open_amount" not in invoices:
        return checks.Outcome(False, f"{table}.open_amount is not synced", {}, warn_only=True)
    day = warehouse.max_value("account_balances", "balance_date")
    balances = (
        None
        if day is None
        else _read(
            warehouse,
            "account_balances",
            ["account_key", "balance_date", "balance"],
            "balance_date = @day",
            {"day": day},
        )
    )
    sales = table == "sales_invoices"
    return checks.open_items_tie(
        what="sales invoices" if sales else "purchase invoices",
        role="salesreceivables" if sales else "tradepayables",
        open_amounts=invoices["open_amount"].tolist(),
        defaults=_read(warehouse, "default_accounts", ["role", "account_number"]),
        accounts=_read(warehouse, "accounts", ["account_key", "account_number"]),
        balances=balances,
        # Receivables are a debit balance; payables a credit balance (negative in Netvisor).
        sign=1 if sales else -1,
    )


def ledger_reconciliation_specs(selection: Selection) -> list[dg.AssetCheckSpec]:
    """The ledger reconciliation's checks for the selected tables."""
    selected = {name for name in TABLES if selection.is_selected(name)}

    def deps(*names: str) -> list[dg.AssetKey]:
        return [asset_key(n) for n in names if n in selected]

    specs: list[dg.AssetCheckSpec] = []
    if "account_balances" in selected:
        specs.append(
            dg.AssetCheckSpec(
                checks.BALANCES_CHECK,
                asset=asset_key("account_balances"),
                additional_deps=deps("vouchers", "voucher_lines", "accounts"),
                description=(
                    "Every account's balance computed from the synced valid voucher lines "
                    "equals accountbalance.nv's figure for each day of the run's window; a "
                    "difference names the accounts, days and amounts."
                ),
            )
        )
    for table, check, what in (
        ("sales_invoices", checks.RECEIVABLES_CHECK, "receivables"),
        ("purchase_invoices", checks.PAYABLES_CHECK, "payables"),
    ):
        if table in selected:
            specs.append(
                dg.AssetCheckSpec(
                    check,
                    asset=asset_key(table),
                    additional_deps=deps("account_balances", "accounts", "default_accounts"),
                    description=(
                        f"The open invoices' total (open_amount) equals the {what} account's "
                        "balance (from default_accounts) on the latest synced day."
                    ),
                )
            )
    return specs


def build_ledger_reconciliation(selection: Selection) -> dg.AssetChecksDefinition | None:
    """The multi-asset check that ties the synced ledger to Netvisor's own numbers."""
    specs = ledger_reconciliation_specs(selection)
    if not specs:
        return None

    @dg.multi_asset_check(
        name="netvisor_ledger_reconciliation",
        specs=specs,
        can_subset=True,
        description="Ties the synced ledger to Netvisor's balances and control accounts.",
    )
    def _reconcile(
        context: dg.AssetCheckExecutionContext,
        io_manager: dg.ResourceParam[WarehouseIOManager],
    ) -> Iterator[dg.AssetCheckResult]:
        warehouse = io_manager.warehouse()
        tags = dict(context.run.tags)
        window = run_window(tags)
        yesterday = dt.datetime.now(HELSINKI).date() - dt.timedelta(days=1)
        skipped = tie_skipped_because(tags, yesterday)
        for key in context.selected_asset_check_keys:
            if key.name == checks.BALANCES_CHECK:
                outcome = balances_outcome(warehouse, window)
            elif skipped is not None:
                outcome = checks.Outcome(
                    True,
                    f"not judged: open amounts are today's and {skipped}",
                    {"judged": False},
                )
            else:
                outcome = open_items_outcome(warehouse, key.asset_key.path[-1])
            yield check_result(key.asset_key, key.name, outcome)

    return _reconcile


# ------------------------------------------------------------------------- completeness


def differing_days(
    listed: list[tuple[Any, dt.date | None]], stored: pd.DataFrame, header: Table
) -> tuple[set[dt.date], list[str], list[str]]:
    """Days whose documents differ between Netvisor's list and the warehouse.

    A key Netvisor lists that the warehouse lacks (missed by a change filter), a key the
    warehouse holds that Netvisor no longer lists (a deletion older than 7 days), and a key
    filed under another day: each marks its day(s).
    """
    key, col = header.primary_key[0], header.partition_column
    assert col is not None
    theirs = {k: d for k, d in listed if k is not None and d is not None}
    ours = dict(zip(stored[key].tolist(), stored[col].tolist(), strict=True))
    days: set[dt.date] = set()
    missing, extra = [], []
    for k, d in theirs.items():
        if k not in ours:
            missing.append(f"{k} ({d})")
            days.add(d)
        elif ours[k] != d:
            missing.append(f"{k} ({d}, stored under {ours[k]})")
            days |= {d, ours[k]}
    for k, d in ours.items():
        if k not in theirs:
            extra.append(f"{k} ({d})")
            days.add(d)
    return days, missing, extra


def completeness_outcome(
    source: Source,
    tables: list[Table],
    client: Any,
    warehouse: Warehouse,
    scope: tuple[dt.date, dt.date],
    *,
    run_id: str,
    log: Any,
) -> tuple[checks.Outcome, list[tuple[dt.date, dt.date]]]:
    """Compare one source month by month and re-sync the days that differ."""
    assert source.reconciled_by_listing
    header = source.tables[0]
    before = client.requests_made
    listed: list[tuple[Any, dt.date | None]] = []
    for first, last in month_windows(scope[0], scope[1], source.max_days_per_request):
        listed.extend(source.list_keys(client, first, last))
    listed = [(k, d) for k, d in listed if d is None or scope[0] <= d <= scope[1]]
    col = header.partition_column
    stored = _read(
        warehouse,
        header.name,
        [header.primary_key[0], col or ""],
        f"{col} >= @first AND {col} <= @last",
        {"first": scope[0], "last": scope[1]},
    )
    if stored is None:
        stored = pd.DataFrame({header.primary_key[0]: [], col: []})
    days, missing, extra = differing_days(listed, stored, header)
    repaired = day_ranges(days)
    for first, last in repaired:
        sync_source(source, tables, client, warehouse, run_id=run_id, window=(first, last), log=log)
    metadata = {
        "window": f"{scope[0]}..{scope[1]}",
        "keys_listed": len(listed),
        "keys_stored": len(stored),
        "missing_in_warehouse": len(missing),
        "gone_from_netvisor": len(extra),
        "days_differing": len(days),
        "days_resynced": ", ".join(
            f"{a}" if a == b else f"{a}..{b}" for a, b in repaired[: checks.SAMPLE]
        ),
        "sample": "\n".join([*missing[: checks.SAMPLE], *extra[: checks.SAMPLE]]),
        "requests": client.requests_made - before,
    }
    if not days:
        return checks.Outcome(True, f"all {len(listed)} listed keys are stored", metadata), []
    text = (
        f"{len(missing)} keys missing, {len(extra)} gone from Netvisor on {len(days)} days; "
        "those days were re-synced"
    )
    return checks.Outcome(False, text, metadata, warn_only=True), repaired


def completeness_specs(selection: Selection) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            checks.COMPLETENESS_CHECK,
            asset=asset_key(source.tables[0]),
            description=(
                "Weekly: the keys Netvisor lists, month by month, are exactly the keys the "
                "warehouse holds; the days that differ are re-synced (a warning says so)."
            ),
        )
        for source in SOURCES
        if source.reconciled_by_listing and selection.is_selected(source.tables[0].name)
    ]


def build_completeness(
    selection: Selection, ledger_start: dt.date
) -> dg.AssetChecksDefinition | None:
    specs = completeness_specs(selection)
    if not specs:
        return None
    by_table = {s.tables[0].name: s for s in SOURCES}

    @dg.multi_asset_check(
        name="netvisor_completeness_check",
        specs=specs,
        can_subset=True,
        description="Netvisor's document keys against the warehouse's, month by month.",
    )
    def _complete(
        context: dg.AssetCheckExecutionContext,
        netvisor: NetvisorResource,
        io_manager: dg.ResourceParam[WarehouseIOManager],
    ) -> Iterator[dg.AssetCheckResult]:
        warehouse = io_manager.warehouse()
        yesterday = dt.datetime.now(HELSINKI).date() - dt.timedelta(days=1)
        scope = run_window(dict(context.run.tags)) or (ledger_start, yesterday)
        scope = (max(scope[0], ledger_start), scope[1])
        with netvisor.get_client() as client:
            for key in sorted(context.selected_asset_check_keys, key=str):
                source = by_table[key.asset_key.path[-1]]
                tables = [
                    selection.table(t.name) for t in source.tables if selection.is_selected(t.name)
                ]
                outcome, repaired = completeness_outcome(
                    source,
                    tables,
                    client,
                    warehouse,
                    scope,
                    run_id=context.run.run_id,
                    log=context.log.info,
                )
                for first, last in repaired:
                    day = first
                    while day <= last:
                        for table in tables:
                            context.op_execution_context.log_event(
                                dg.AssetMaterialization(
                                    asset_key=asset_key(table),
                                    partition=day.isoformat(),
                                    metadata={"resynced_by": "netvisor_completeness"},
                                )
                            )
                        day += dt.timedelta(days=1)
                yield check_result(key.asset_key, key.name, outcome)

    return _complete


# ------------------------------------------------------------------------- freshness


def required_partition(now: dt.datetime) -> dt.date:
    """The newest day whose partition must exist at `now` (Helsinki): yesterday from 06:00."""
    local = now.astimezone(HELSINKI)
    back = 1 if local.time() >= FRESH_BY else 2
    return local.date() - dt.timedelta(days=back)


def partition_freshness(
    required: dt.date, present: bool, latest: str | None, ledger_start: dt.date
) -> checks.Outcome:
    """Yesterday's partition, by 06:00: checked per partition, not by the latest run."""
    metadata = {"required_partition": required.isoformat(), "latest_partition": latest or ""}
    if required < ledger_start:
        return checks.Outcome(True, "no complete day after the ledger start yet", metadata)
    if present:
        return checks.Outcome(True, f"partition {required} exists", metadata)
    return checks.Outcome(
        False,
        f"partition {required} is missing (latest materialized partition: {latest or 'none'})",
        metadata,
    )


def refresh_freshness(now: dt.datetime, last: dt.datetime | None) -> checks.Outcome:
    """A table without partitions was refreshed within 26 hours."""
    if last is None:
        return checks.Outcome(False, "never materialized", {"last_refresh": ""})
    age = now - last
    metadata = {"last_refresh": last.isoformat(), "age_hours": round(age.total_seconds() / 3600)}
    if age <= REFRESH_WITHIN:
        return checks.Outcome(True, f"refreshed {age} ago", metadata)
    return checks.Outcome(False, f"last refreshed {age} ago, more than 26 hours", metadata)


def freshness_specs(selection: Selection) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            checks.PARTITION_FRESHNESS_CHECK
            if table.mode is SyncMode.PARTITIONED
            else checks.REFRESH_FRESHNESS_CHECK,
            asset=asset_key(table),
            description=(
                "Yesterday's partition (Europe/Helsinki) exists by 06:00, checked per partition."
                if table.mode is SyncMode.PARTITIONED
                else "Refreshed within the last 26 hours."
            ),
        )
        for table in TABLES.values()
        if selection.is_selected(table.name)
    ]


def build_freshness(selection: Selection, ledger_start: dt.date) -> dg.AssetChecksDefinition:
    specs = freshness_specs(selection)

    @dg.multi_asset_check(
        name="netvisor_freshness_check",
        specs=specs,
        can_subset=True,
        description="Per-partition freshness in Helsinki time.",
    )
    def _fresh(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        now = dt.datetime.now(dt.UTC)
        required = required_partition(now)
        instance = context.instance
        for key in context.selected_asset_check_keys:
            latest_event = instance.get_latest_materialization_event(key.asset_key)
            if key.name == checks.PARTITION_FRESHNESS_CHECK:
                records = instance.fetch_materializations(
                    dg.AssetRecordsFilter(
                        asset_key=key.asset_key, asset_partitions=[required.isoformat()]
                    ),
                    limit=1,
                ).records
                latest = None
                if latest_event is not None and latest_event.dagster_event is not None:
                    latest = latest_event.dagster_event.partition
                outcome = partition_freshness(required, bool(records), latest, ledger_start)
            else:
                last = (
                    None
                    if latest_event is None
                    else dt.datetime.fromtimestamp(latest_event.timestamp, dt.UTC)
                )
                outcome = refresh_freshness(now, last)
            yield check_result(key.asset_key, key.name, outcome)

    return _fresh
