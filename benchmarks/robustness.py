"""Figures for the transport's limits: memory on a huge response, a trickling body, a
deterministic failure, and memory against range length for a streamed ranged sync.

    .venv/bin/python benchmarks/robustness.py [--mb 300] [--sizes medium]

Each measurement runs in a fresh subprocess so its peak RSS (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

HUGE_RESPONSE = textwrap.dedent(
    """
    import http.server, json, resource, socketserver, sys, threading, time
    from netvisor_assets.netvisor.client import NetvisorClient
    from netvisor_assets.tables.partners import CUSTOMER_ENDPOINT

    target = int(sys.argv[1]) * 1024 * 1024
    record = (
        "<Customer><Netvisorkey>{k}</Netvisorkey><Name>Kahvipaahtimö Oy {k}</Name>"
        "<Code>C{k}</Code><OrganisationIdentifier>1234567-8</OrganisationIdentifier>"
        "<CustomerGroupID>1</CustomerGroupID><CustomerGroupName>Yritykset</CustomerGroupName>"
        "</Customer>\\r\\n"
    )
    head = (
        '<?xml version="1.0" encoding="utf-8"?><Root><ResponseStatus><Status>OK</Status>'
        "<TimeStamp>1.1.2025 12:00:00</TimeStamp></ResponseStatus><Customerlist>"
    ).encode()
    tail = b"</Customerlist></Root>"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.end_headers()
            self.wfile.write(head)
            sent, k, chunk = 0, 1, []
            while sent < target:
                text = "".join(record.format(k=k + i) for i in range(2000)).encode()
                k += 2000
                self.wfile.write(text)
                sent += len(text)
            self.wfile.write(tail)
            self.server.sent = sent

        def log_message(self, *a):
            pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    client = NetvisorClient(url, "b", "C", "ck", "P", "pk", "1967543-8",
                            max_response_bytes=4 * target, timeout=600)
    started = time.monotonic()
    n = len(client.list_rows(CUSTOMER_ENDPOINT))
    elapsed = time.monotonic() - started
    print(json.dumps({"records": n, "mb": server.sent / 2**20, "seconds": elapsed,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """
)

TRICKLE = textwrap.dedent(
    """
    import json, time
    from netvisor_assets.netvisor.client import NetvisorClient
    from netvisor_assets.netvisor.errors import DeadlineExceeded
    from netvisor_assets.tables.partners import CUSTOMER_ENDPOINT
    from netvisor_assets.simulator import (
        Credentials, FaultConfig, SimulatorServer, generate_company,
    )
    c = Credentials.demo()
    faults = FaultConfig(trickle_rate=1.0, trickle_bytes_per_second=1)
    with SimulatorServer(generate_company(seed=1, size="tiny"), c, faults=faults) as sim:
        client = NetvisorClient(sim.url, "b", c.customer_id, c.customer_key, c.partner_id,
                                c.partner_key, c.organisation_id, timeout=5.0, max_attempts=1,
                                timeout_cooldown=0)
        started = time.monotonic()
        try:
            client.fetch(CUSTOMER_ENDPOINT)
        except DeadlineExceeded:
            pass
        cut = time.monotonic() - started
        print(json.dumps({"deadline_s": 5.0, "cut_after_s": cut, "requests": client.requests_made}))
    """
)

DETERMINISTIC = textwrap.dedent(
    """
    import datetime as dt, json, os, tempfile, time
    from decimal import Decimal
    import dagster as dg
    from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
    company = generate_company(seed=3, size="tiny", start_date=dt.date(2025, 1, 1))
    build = company._builder
    def builder(kind):
        b = build(kind)
        if kind != "vouchers":
            return b
        def bad(i):
            r = b(i)
            if r["voucherline"]:
                r["voucherline"][0]["linesum"] = Decimal("1.123456789012")
            return r
        return bad
    company._builder = builder
    with SimulatorServer(company=company, credentials=Credentials.demo()) as sim:
        tmp = tempfile.mkdtemp()
        os.environ.update(NETVISOR_BASE_URL=sim.url, NETVISOR_LEDGER_START_DATE="2025-01-01",
                          NETVISOR_DUCKDB_PATH=tmp + "/w.duckdb")
        from netvisor_assets.definitions import build_definitions
        defs = build_definitions()
        job = defs.get_implicit_global_asset_job_def()
        before = sim.requests_served
        started = time.monotonic()
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            asset_selection=[
                dg.AssetKey(["netvisor", "vouchers"]), dg.AssetKey(["netvisor", "voucher_lines"])
            ],
            tags={"dagster/asset_partition_range_start": "2025-01-01",
                  "dagster/asset_partition_range_end": "2025-01-31"},
            raise_on_error=False,
        )
        retries = sum(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
        print(json.dumps({"success": result.success, "requests": sim.requests_served - before,
                          "step_retries": retries, "seconds": time.monotonic() - started}))
    """
)

RANGED = textwrap.dedent(
    """
    import datetime as dt, json, os, resource, tempfile, time, sys
    from netvisor_assets.simulator import Credentials, SimulatorServer, generate_company
    size, months = sys.argv[1], int(sys.argv[2])
    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = dt.date(2025, 1, 1)
    company = generate_company(seed=1, size=size, start_date=start)
    with SimulatorServer(company=company, credentials=Credentials.demo()) as sim:
        tmp = tempfile.mkdtemp()
        os.environ.update(NETVISOR_BASE_URL=sim.url, NETVISOR_LEDGER_START_DATE=start.isoformat(),
                          NETVISOR_DUCKDB_PATH=tmp + "/w.duckdb")
        from netvisor_assets.loading import sync_source
        from netvisor_assets.resources import client_from_settings
        from netvisor_assets.settings import NetvisorSettings
        from netvisor_assets.tables import get_source
        from netvisor_assets.warehouse import warehouse_from_env
        source = get_source("vouchers")
        year, month = start.year + (months - 1) // 12, (months - 1) % 12 + 1
        last = min(dt.date(year, month, 28), company.today)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.monotonic()
        with client_from_settings(NetvisorSettings.from_env()) as client:
            out = sync_source(source, source.tables, client, warehouse_from_env(),
                              run_id="bench", window=(start, last), log=lambda m: None)
        print(json.dumps({"size": size, "months": months, "last": last.isoformat(),
                          "lines": out.results["voucher_lines"].rows_written,
                          "seconds": time.monotonic() - started, "rss_before_mb": base,
                          "peak_rss_mb": peak_mb()}))
    """
)


def _run(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=300)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--months", default="3,12")
    args = parser.parse_args()
    huge = _run(HUGE_RESPONSE, str(args.mb))
    print(
        f"huge response: {huge['mb']:.0f} MB, {huge['records']} records in "
        f"{huge['seconds']:.1f} s, peak RSS {huge['peak_rss_mb']:.0f} MB"
    )
    trickle = _run(TRICKLE)
    print(
        f"trickling body (1 byte/s): cut after {trickle['cut_after_s']:.2f} s with a "
        f"{trickle['deadline_s']:.0f} s deadline, {trickle['requests']} request"
    )
    det = _run(DETERMINISTIC)
    print(
        f"deterministic failure (12-dp line amount): success={det['success']}, "
        f"{det['requests']} requests, {det['step_retries']} step retries, {det['seconds']:.1f} s"
    )
    print("ranged vouchers sync, streamed window by window:")
    print("| size | months | voucher lines | seconds | peak RSS MB |")
    print("|---|---|---|---|---|")
    for months in args.months.split(","):
        r = _run(RANGED, args.size, months)
        print(
            f"| {r['size']} | {r['months']} | {r['lines']} | {r['seconds']:.1f} | "
            f"{r['peak_rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
