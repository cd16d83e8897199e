"""Checks that prove every sync: schema, keys, accounting invariants, Netvisor's own numbers.

Which Dagster API does what, and why:
- In-asset checks (`AssetCheckSpec`s on each source's multi-asset, results yielded after the
  commit): the pandera schema, the primary key, rows accounted for, balanced vouchers, invoice
  totals, accounts that exist and untouched locked periods. They read back exactly what the run
  committed (its window, or the whole table), so they cost no request and no extra step, and
  Dagster's own advice is to use pandera directly inside checks (`dagster-pandera` only offers a
  beta output type). The primary key check is `blocking`: downstream assets do not run on a
  duplicate or NULL key.
- `multi_asset_check`s with `additional_deps` for what needs other tables first: the tie of
  account balances to the synced voucher lines and of open invoices to the receivables and
  payables accounts (they run after every asset they read, in the same run), completeness
  against Netvisor's lists (its own weekly job, see `automation`) and per-partition freshness.
- `FreshnessPolicy` on the asset specs, so the UI shows each asset's health; it looks at the
  latest materialization of any partition, which is why the per-partition freshness check
  exists beside it: a backfill of an old day must not make a table look fresh.

Every failing check names what failed (count and a sample of keys, days, amounts) in its
metadata, so a controller knows where to look without opening a notebook.
"""

from __future__ import annotations

from netvisor_assets.checks.accounting import (
    Posting,
    accounts_exist,
    amount_equals_lines,
    balance_differences,
    locked_changes,
    open_items_tie,
    opening_balances,
    rounded_to_cents,
    valid_postings,
    vouchers_balance,
)
from netvisor_assets.checks.evaluate import (
    check_description,
    evaluate_table_checks,
    table_check_names,
)
from netvisor_assets.checks.outcome import (
    ACCOUNTS_CHECK,
    AMOUNT_CHECK,
    BALANCED_CHECK,
    BALANCES_CHECK,
    CENT,
    COMPLETENESS_CHECK,
    KEY_CHECK,
    LOCKED_CHECK,
    PARTITION_FRESHNESS_CHECK,
    PAYABLES_CHECK,
    RECEIVABLES_CHECK,
    REFRESH_FRESHNESS_CHECK,
    ROWS_CHECK,
    SAMPLE,
    SCHEMA_CHECK,
    ZERO,
    Outcome,
    money,
)
from netvisor_assets.checks.tables import (
    key_schema,
    pandera_schema,
    read_scope,
    rows_accounted,
    run_schema,
    scope_slices,
    scope_where,
)

__all__ = [
    "ACCOUNTS_CHECK",
    "AMOUNT_CHECK",
    "BALANCED_CHECK",
    "BALANCES_CHECK",
    "CENT",
    "COMPLETENESS_CHECK",
    "KEY_CHECK",
    "LOCKED_CHECK",
    "PARTITION_FRESHNESS_CHECK",
    "PAYABLES_CHECK",
    "RECEIVABLES_CHECK",
    "REFRESH_FRESHNESS_CHECK",
    "ROWS_CHECK",
    "SAMPLE",
    "SCHEMA_CHECK",
    "ZERO",
    "Outcome",
    "Posting",
    "accounts_exist",
    "amount_equals_lines",
    "balance_differences",
    "check_description",
    "evaluate_table_checks",
    "key_schema",
    "locked_changes",
    "money",
    "open_items_tie",
    "opening_balances",
    "pandera_schema",
    "read_scope",
    "rounded_to_cents",
    "rows_accounted",
    "run_schema",
    "scope_slices",
    "scope_where",
    "table_check_names",
    "valid_postings",
    "vouchers_balance",
]
