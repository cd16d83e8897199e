"""Throughput of the Netvisor simulator over real loopback HTTP.

Prints requests/s and MB/s for representative reads of the company a sync walks: a one-month
voucher window (the ledger's unit of work), a 500-key sales-invoice detail batch, a
500-row sales-invoice list page, and a tiny reference list (the per-request floor: auth,
envelope, one-in-flight bookkeeping). Requests are sequential, as Netvisor requires.

    .venv/bin/python benchmarks/simulator_http.py [--size small] [--seconds 5]
"""

from __future__ import annotations

import argparse
import time

import httpx

from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
from netvisor_assets.simulator.auth import signed_headers
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
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
