"""Which tables and columns are synced: a YAML file the user owns.

The file named by `NETVISOR_SELECTION` (default: `default.yaml` beside this module) lists the
tables to sync and, per table, its columns. Personal data is opt-in: `default` means every
registry column that is not marked personal. A field Netvisor returns that the registry or the
selection does not know is never added by itself; it is reported on each materialization.

```yaml
tables:
  vouchers: default             # every non-personal column
  customers:
    columns: default
    include: [email]            # opt in to personal columns one by one
  sales_invoices:
    columns: [sales_invoice_key, sales_invoice_date, amount, status]
  products: all                 # every column, personal ones included
```
A table that is not listed is not synced: it has no asset and no schedule.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netvisor_assets.tables import TABLES, Table

DEFAULT_SELECTION = Path(__file__).with_name("default.yaml")
ENV_VAR = "NETVISOR_SELECTION"


class SelectionError(ValueError):
    """The selection file is invalid; one line per problem."""


@dataclass(frozen=True)
class Selection:
    """Selected data columns per selected table, in registry order."""

    columns: Mapping[str, tuple[str, ...]]
    path: Path | None = None

    def is_selected(self, table: str) -> bool:
        return table in self.columns

    def table(self, name: str) -> Table:
        """The registry table narrowed to the selected columns."""
        return TABLES[name].with_columns(self.columns[name])

    def unselected_columns(self, name: str) -> tuple[str, ...]:
        """Registry columns of a selected table that the user left out."""
        chosen = set(self.columns[name])
        return tuple(c.name for c in TABLES[name].columns if c.name not in chosen)


def _resolve(name: str, spec: Any, errors: list[str]) -> tuple[str, ...]:
    table = TABLES[name]
    known = [c.name for c in table.columns]
    non_personal = [c.name for c in table.columns if not c.personal]
    if spec in (None, "default", True):
        return tuple(non_personal)
    if spec == "all":
        return tuple(known)
    if not isinstance(spec, Mapping):
        errors.append(f"{name}: expected default, all or a mapping, got {spec!r}")
        return ()
    unknown_keys = set(spec) - {"columns", "include", "exclude"}
    if unknown_keys:
        errors.append(f"{name}: unknown keys {sorted(unknown_keys)} (use columns/include/exclude)")
    columns = spec.get("columns", "default")
    if columns == "default":
        chosen = list(non_personal)
    elif columns == "all":
        chosen = list(known)
    elif isinstance(columns, list):
        chosen = [str(c) for c in columns]
    else:
        errors.append(f"{name}: columns must be default, all or a list")
        return ()
    chosen += [str(c) for c in spec.get("include") or []]
    excluded = {str(c) for c in spec.get("exclude") or []}
    for col in sorted(set(chosen) | excluded):
        if col not in known:
            errors.append(f"{name}: unknown column {col!r}; known: {', '.join(known)}")
    protected = set(table.primary_key) | {table.partition_column}
    for col in sorted(excluded & protected):
        errors.append(
            f"{name}: column {col!r} is the key or partition column and cannot be excluded"
        )
    wanted = (set(chosen) - excluded) | (protected - {None})
    return tuple(c for c in known if c in wanted)


def load_selection(path: str | Path | None = None) -> Selection:
    """Read and validate a selection file (default: NETVISOR_SELECTION or the packaged one)."""
    chosen = path or os.environ.get(ENV_VAR) or DEFAULT_SELECTION
    file = Path(chosen)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SelectionError(f"{ENV_VAR}: selection file {str(file)!r} does not exist") from None
    except yaml.YAMLError as exc:
        raise SelectionError(f"{file}: not valid YAML: {exc}") from None
    tables = data.get("tables") if isinstance(data, Mapping) else None
    if not isinstance(tables, Mapping):
        raise SelectionError(f"{file}: expected a top-level `tables:` mapping")
    errors: list[str] = []
    columns: dict[str, tuple[str, ...]] = {}
    for name, spec in tables.items():
        if name not in TABLES:
            errors.append(f"unknown table {name!r}; known: {', '.join(TABLES)}")
            continue
        columns[name] = _resolve(name, spec, errors)
    if errors:
        raise SelectionError(f"Invalid selection {file}:\n" + "\n".join(errors))
    ordered = {name: columns[name] for name in TABLES if name in columns}
    return Selection(columns=ordered, path=file)
