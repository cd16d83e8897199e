"""The reports on the simulated company: sync, build, and the figures a controller reads.

For each size: the full sync (tables, then the dbt build, exactly as `scripts/sync`), which
prints the sync and build times and the checks (dbt tests included); then the last complete
month's P&L and balance sheet, the AR and AP ageing at the last month end with their tie-out
to the control accounts, and the year's cash flow.

    .venv/bin/python benchmarks/reports.py --size small
    .venv/bin/python benchmarks/reports.py --size tiny --size small --size medium
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import duckdb


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def report(path: Path) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        month = con.execute(
            "select max(month_start) from reports.report_months where is_complete"
        ).fetchall()[0][0]
        month = (
            month
            or con.execute("select max(month_start) from reports.report_months").fetchall()[0][0]
        )
        print(f"\nprofit and loss, {month:%Y-%m} (month | fiscal year to date)")
        for code, level, name, amount, ytd in con.execute(
            "select line_code, level, name_fi, amount, amount_year_to_date "
            "from reports.profit_and_loss_monthly where month_start = ? order by sort",
            [month],
        ).fetchall():
            print(
                f"  {code:<9} {'  ' * (level - 1)}{name:<58} {_money(amount):>15} {_money(ytd):>16}"
            )
        revenue, operating = con.execute(
            "select sum(case when line_code = 'PL01' then amount_year_to_date end), "
            "sum(case when line_code = 'PL09' then amount_year_to_date end) "
            "from reports.profit_and_loss_monthly where month_start = ?",
            [month],
        ).fetchall()[0]
        if revenue:
            print(f"  operating margin, year to date: {100 * operating / revenue:.1f} %")
        print(f"\nbalance sheet at the end of {month:%Y-%m}")
        for code, level, name, amount in con.execute(
            "select line_code, level, name_fi, amount from reports.balance_sheet_monthly "
            "where month_start = ? order by sort",
            [month],
        ).fetchall():
            print(f"  {code:<9} {'  ' * level}{name:<58} {_money(amount):>15}")
        for model, role, sign in (
            ("ar_ageing", "salesreceivables", 1),
            ("ap_ageing", "tradepayables", -1),
        ):
            end = con.execute(f"select max(month_end) from reports.{model}").fetchall()[0][0]
            print(f"\n{model} at {end}")
            total = Decimal(0)
            for bucket, n, amount in con.execute(
                f"select ageing_bucket, count(*), sum(open_amount) from reports.{model} "
                "where month_end = ? group by ageing_bucket, bucket_sort order by bucket_sort",
                [end],
            ).fetchall():
                total += amount
                print(f"  {bucket:<8} {n:>5} invoices {_money(amount):>15}")
            account, balance = con.execute(
                "select t.account_number, t.closing_balance from reports.trial_balance_monthly t "
                "join netvisor.default_accounts d on d.account_number = t.account_number "
                "and d.role = ? where t.month_end = ?",
                [role, end],
            ).fetchall()[0]
            print(
                f"  total {_money(total)}; account {account} closing balance "
                f"{_money(sign * balance)}: difference {_money(total - sign * balance)}"
            )
        print("\ncash flow, whole period (direct method)")
        for activity, category, amount in con.sql(
            "select activity, category_en, sum(amount) from reports.cash_flow_monthly "
            "group by activity, category_en, sort order by sort"
        ).fetchall():
            print(f"  {activity:<10} {category:<48} {_money(amount):>15}")
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", help="tiny, small, medium or large")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from netvisor_assets import sync

    for size in args.size or ["small"]:
        folder = Path(tempfile.mkdtemp(prefix=f"reports-{size}-"))
        os.environ["NETVISOR_DUCKDB_PATH"] = str(folder / "warehouse.duckdb")
        os.environ["DAGSTER_HOME"] = str(folder)
        print(f"=== size {size}, seed {args.seed}, warehouse {folder}")
        started = time.monotonic()
        code = sync.main(["--size", size, "--seed", str(args.seed)])
        print(f"sync and reports: exit {code} in {time.monotonic() - started:.1f} s")
        if code:
            return code
        report(folder / "warehouse.duckdb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
