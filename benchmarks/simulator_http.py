"""Throughput of the Netvisor simulator over real loopback HTTP.

Prints requests/s and MB/s for representative reads of the company a sync walks: a one-month
voucher window (the ledger's unit of work), a 500-key sales-invoice detail batch, a
500-row sales-invoice list page, and a tiny reference list (the per-request floor: auth,
envelope, one-in-flight bookkeeping). Requests are sequential, as Netvisor requires.

Then one table of per-call times of the list calls a sync makes (a month's window, changes
since the first of the last month, a key watermark): each should cost what its answer costs,
whatever the company's size (`--size large`).

    .venv/bin/python benchmarks/simulator_http.py [--size small] [--seconds 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import httpx

from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.simulator.auth import signed_headers
from netvisor_assets.simulator.company import Company
from netvisor_assets.simulator.handlers import handle
from netvisor_assets.simulator.render import stream_document


def measure(http: httpx.Client, url: str, seconds: float) -> tuple[float, float, int]:
    creds = Credentials.demo()
    count = 0
    size = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = http.get(url, headers=signed_headers(url, creds))
        response.raise_for_status()
        size = len(response.content)
        count += 1
    elapsed = time.perf_counter() - started
    return count / elapsed, count * size / elapsed / 1e6, size


def list_calls(company: Company) -> dict[str, str]:
    """The list calls of a sync against `company`, by label: windows in the last full month."""
    last = company.today.replace(day=1) - dt.timedelta(days=1)
    first = last.replace(day=1)

    def month(begin: str, end: str) -> str:
        return f"{begin}={first}&{end}={last}"

    invoiced, limited, dated = (
        month("begininvoicedate", "endinvoicedate"),
        month("limitbegindate", "limitenddate"),
        month("begindate", "enddate"),
    )
    changed = f"lastmodifiedstart={first}&lastmodifiedend={company.today}"
    keys = company.keys("sales_invoices")
    batch = ",".join(str(k) for k in keys[-500:])
    return {
        "salesinvoicelist month": f"salesinvoicelist.nv?{invoiced}",
        "salesinvoicelist changed": f"salesinvoicelist.nv?{changed}",
        "salesinvoicelist changed+payments": (
            f"salesinvoicelist.nv?{changed}&includemodifiedpayments=1"
        ),
        "salesinvoicelist above key": (
            f"salesinvoicelist.nv?invoicesabovenetvisorkey={keys[len(keys) // 2]}"
        ),
        "getsalesinvoice 500 keys": f"getsalesinvoice.nv?netvisorkeylist={batch}",
        "purchaseinvoicelist month": f"purchaseinvoicelist.nv?{invoiced}",
        "purchaseinvoicelist changed": f"purchaseinvoicelist.nv?{changed}",
        "purchaseorderlist month": f"purchaseorderlist.nv?{limited}",
        "accountingledger month": f"accountingledger.nv?{month('startdate', 'enddate')}",
        "accountingledger changedsince": f"accountingledger.nv?changedsince={first}",
        "salespaymentlist month": f"salespaymentlist.nv?{dated}",
        "salespaymentlist changed": f"salespaymentlist.nv?{changed}",
        "paymentlist month": f"paymentlist.nv?{limited}",
        "customerlist changedsince": f"customerlist.nv?changedsince={first}",
        "getvendor changedsince": f"getvendor.nv?changedsince={first}",
    }


def time_calls(http: httpx.Client, base: str, calls: dict[str, str], repeat: int) -> None:
    """One row per call: the best of `repeat` sequential requests, and the response size."""
    creds = Credentials.demo()
    print(f"{'list call':36s} {'ms/call':>9s} {'kB':>8s}")
    for label, path in calls.items():
        url = f"{base}/{path}"
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            response = http.get(url, headers=signed_headers(url, creds))
            best = min(best, time.perf_counter() - started)
            response.raise_for_status()
        print(f"{label:36s} {best * 1e3:9.1f} {len(response.content) / 1e3:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3, help="requests per list call timed")
    args = parser.parse_args()
    started = time.perf_counter()
    company = generate_company(seed=args.seed, size=args.size)
    print(f"company {args.size}: generated in {time.perf_counter() - started:.2f}s")
    month = f"startdate={company.start_date.replace(month=3)}&enddate=" + str(
        company.start_date.replace(month=3, day=31)
    )
    batch = ",".join(str(k) for k in company.keys("sales_invoices")[:500])
    cases = {
        "accountingledger one month": f"accountingledger.nv?{month}",
        "getsalesinvoice 500 keys": f"getsalesinvoice.nv?netvisorkeylist={batch}&pdfimage=nopdf",
        "salesinvoicelist 500 rows": "salesinvoicelist.nv?invoicesabovenetvisorkey=0",
        "paymenttermlist (floor)": "paymenttermlist.nv",
    }
    with SimulatorServer(company) as sim, httpx.Client(timeout=120) as http:
        for label, path in cases.items():
            rate, mbps, size = measure(http, f"{sim.url}/{path}", args.seconds)
            print(f"{label:30s} {rate:8.1f} req/s {mbps:7.1f} MB/s  ({size / 1e3:.0f} kB)")
        print()
        time_calls(http, sim.url, list_calls(company), args.repeat)
        print()
    reply = handle(company, "accountingledger", dict(p.split("=") for p in month.split("&")))
    started = time.perf_counter()
    for _ in range(10):
        body = b"".join(stream_document(reply.parts, reply.style))
    per = (time.perf_counter() - started) / 10
    print(
        f"in-process render, one voucher month: {per * 1e3:.1f} ms "
        f"({len(reply.records)} vouchers, {len(body) / 1e3:.0f} kB)"
    )


if __name__ == "__main__":
    main()
