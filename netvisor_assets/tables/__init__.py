"""The table registry: the single source of truth for every warehouse table.

Adding a table is one `Table` entry plus the `Source` that fetches and parses it; the assets,
the warehouse DDL, the checks, the column selection and the README's table reference are all
derived from `SOURCES`.
"""

from __future__ import annotations

from netvisor_assets.tables.ledger import BALANCE_SOURCE, VOUCHER_SOURCE
from netvisor_assets.tables.partners import CUSTOMER_SOURCE, PRODUCT_SOURCE, VENDOR_SOURCE
from netvisor_assets.tables.purchases import (
    PURCHASE_INVOICE_SOURCE,
    PURCHASE_ORDER_SOURCE,
    PURCHASE_PAYMENT_SOURCE,
)
from netvisor_assets.tables.reference import (
    ACCOUNT_SOURCE,
    DEFAULT_ACCOUNT_SOURCE,
    DIMENSION_SOURCE,
    PAYMENT_TERM_SOURCE,
    PERIOD_SOURCE,
    VOUCHER_TYPE_SOURCE,
)
from netvisor_assets.tables.sales import (
    SALES_INVOICE_SOURCE,
    SALES_ORDER_SOURCE,
    SALES_PAYMENT_SOURCE,
)
from netvisor_assets.tables.schema import SYSTEM_COLUMNS, Column, SyncMode, Table
from netvisor_assets.tables.source import Source

SOURCES: tuple[Source, ...] = (
    VOUCHER_SOURCE,
    SALES_INVOICE_SOURCE,
    SALES_ORDER_SOURCE,
    PURCHASE_INVOICE_SOURCE,
    PURCHASE_ORDER_SOURCE,
    SALES_PAYMENT_SOURCE,
    PURCHASE_PAYMENT_SOURCE,
    BALANCE_SOURCE,
    CUSTOMER_SOURCE,
    VENDOR_SOURCE,
    PRODUCT_SOURCE,
    ACCOUNT_SOURCE,
    DEFAULT_ACCOUNT_SOURCE,
    DIMENSION_SOURCE,
    PERIOD_SOURCE,
    VOUCHER_TYPE_SOURCE,
    PAYMENT_TERM_SOURCE,
)

TABLES: dict[str, Table] = {table.name: table for src in SOURCES for table in src.tables}
SOURCE_OF_TABLE: dict[str, Source] = {t.name: src for src in SOURCES for t in src.tables}


def get_table(name: str) -> Table:
    """The registry entry of a warehouse table."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown Netvisor table {name!r}; known: {', '.join(TABLES)}") from None


def get_source(name: str) -> Source:
    """The source with this name."""
    for source in SOURCES:
        if source.name == name:
            return source
    raise KeyError(f"unknown Netvisor source {name!r}")


__all__ = [
    "SOURCES",
    "SOURCE_OF_TABLE",
    "SYSTEM_COLUMNS",
    "TABLES",
    "Column",
    "Source",
    "SyncMode",
    "Table",
    "get_source",
    "get_table",
]
