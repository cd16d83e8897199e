"""What every check returns (`Outcome`), the checks' names, and the few helpers all of them
use to name what failed: amounts as a controller writes them, values without numpy wrappers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

KEY_CHECK = "primary_key"
SCHEMA_CHECK = "pandera_schema"
ROWS_CHECK = "rows_accounted"
BALANCED_CHECK = "vouchers_balance"
AMOUNT_CHECK = "amount_equals_lines"
ACCOUNTS_CHECK = "accounts_exist"
LOCKED_CHECK = "locked_periods_unchanged"
BALANCES_CHECK = "ties_to_netvisor_balances"
RECEIVABLES_CHECK = "open_invoices_tie_to_receivables"
PAYABLES_CHECK = "open_invoices_tie_to_payables"
COMPLETENESS_CHECK = "complete_against_netvisor"
PARTITION_FRESHNESS_CHECK = "yesterday_partition_present"
REFRESH_FRESHNESS_CHECK = "refreshed_within_26_hours"

SAMPLE = 10
CENT = Decimal("0.01")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Outcome:
    """One evaluated check: pass or fail, what it looked at, and what failed."""

    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)
    warn_only: bool = False


def money(value: Any) -> str:
    """An amount as a controller writes it: cents, or every digit it really has."""
    if not isinstance(value, Decimal):
        return str(value)
    cents = value.quantize(CENT)
    return str(cents if cents == value else value.normalize())


def plain_value(value: Any) -> Any:
    """A value as plain Python for metadata: None for any missing marker, numpy unwrapped."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
