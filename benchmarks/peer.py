"""The same sales invoices fetched by this client and by Heltti's `netvisor-api-client`.

Both read every sales invoice of the simulated company (the list walked above the last key,
500 rows a page, then the invoices 500 keys a request) from one simulator process that answers
each request after exactly `--latency-ms`. Each side runs in its own process, so its wall time,
CPU time and request count are its own: this client from the project's venv, the peer from a
venv of its own (`benchmarks/.peer-venv`, created here with `netvisor-api-client==0.9.6`; only
this benchmark uses it). Printed, one table: wall, CPU and requests for each, and the ratio.

    .venv/bin/python benchmarks/peer.py [--size medium] [--latency-ms 100] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _simulator import late_responses, simulator_process  # noqa: E402

PEER_VENV = PROJECT / "benchmarks" / ".peer-venv"
PEER_PACKAGE = "netvisor-api-client==0.9.6"

# The peer: the list walked with InvoicesAboveNetvisorKey, then details 500 keys a call, as
# its services offer them. Its parse (xmltodict + marshmallow) is the work measured.
PEER_SCRIPT = r"""
import json, sys, time, resource
from netvisor_api_client import Netvisor
url, customer_id, customer_key, partner_id, partner_key, org = sys.argv[1:7]
wall, cpu = time.perf_counter(), time.process_time()
netvisor = Netvisor(host=url, sender="peer-benchmark", partner_id=partner_id,
                    partner_key=partner_key, customer_id=customer_id,
                    customer_key=customer_key, organization_id=org, language="EN")
requests, keys, above = 0, [], 0
while True:
    page = netvisor.sales_invoices.list(above_id=above) or []
    requests += 1
    found = [row["netvisor_key"] for row in page]
    keys.extend(k for k in found if k > above)
    if len(page) < 500 or not found:
        break
    above = max(found)
invoices = []
for i in range(0, len(keys), 500):
    batch = netvisor.sales_invoices.detail_list(keys[i:i + 500])
    requests += 1
    invoices.extend(batch if isinstance(batch, list) else [batch])
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "requests": requests, "invoices": len(invoices),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# This client: the same walk and batches through `paging.stream` (the sync's own path).
OURS_SCRIPT = r"""
import datetime as dt, json, sys, time, resource
from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.netvisor.paging import stream
from netvisor_assets.tables.sales import SALES_INVOICE_ENDPOINT
url, customer_id, customer_key, partner_id, partner_key, org = sys.argv[1:7]
wall, cpu = time.perf_counter(), time.process_time()
client = NetvisorClient(url, "netvisor_assets", customer_id, customer_key, partner_id,
                        partner_key, org)
with client:
    invoices = 0
    for batch in stream(client, SALES_INVOICE_ENDPOINT, dt.date(2000, 1, 1), dt.date(2100, 1, 1)):
        invoices += len(batch)
    requests = client.requests_made
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "requests": requests, "invoices": invoices,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def peer_python() -> Path:
    """The peer's interpreter, installing it on first use."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(PEER_VENV)], check=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", PEER_PACKAGE],
            check=True,
        )
    return python


def _side(python: Path, script: str, url: str) -> dict:
    from netvisor_assets import settings as s

    args = [url, s.DEMO_CUSTOMER_ID, s.DEMO_CUSTOMER_KEY, s.DEMO_PARTNER_ID, s.DEMO_PARTNER_KEY,
            s.DEMO_ORGANISATION_ID]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVISOR_")}
    done = subprocess.run(
        [str(python), "-c", script, *args], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{python}: failed\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=1, help="alternate the sides this often")
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT))
    peer = peer_python()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVISOR_")}
    results: dict[str, list[dict]] = {"this client": [], "netvisor-api-client": []}
    with simulator_process(args.size, args.seed, args.latency_ms, env) as url:
        for _ in range(args.rounds):
            for name, python, script in (
                ("this client", Path(sys.executable), OURS_SCRIPT),
                ("netvisor-api-client", peer, PEER_SCRIPT),
            ):
                before = late_responses(url)
                side = _side(python, script, url)
                side["late"] = late_responses(url) - before
                results[name].append(side)
    best = {name: min(runs, key=lambda r: r["wall"]) for name, runs in results.items()}
    ours, theirs = best["this client"], best["netvisor-api-client"]
    print(
        f"sales invoices of the simulated {args.size} company, {args.latency_ms:g} ms per "
        f"request, best of {args.rounds}\n"
    )
    print(
        f"  {'':<22}{'invoices':>10}{'requests':>10}{'late':>6}{'wall s':>9}{'CPU s':>8}"
        f"{'RSS MB':>8}"
    )
    for name, r in best.items():
        print(
            f"  {name:<22}{r['invoices']:>10,}{r['requests']:>10,}{r['late']:>6}{r['wall']:>9.1f}"
            f"{r['cpu']:>8.1f}{r['rss_mb']:>8.0f}"
        )
    print(
        f"\n  API floor {ours['requests'] * args.latency_ms / 1000:.1f} s; 'late': responses the "
        "simulator took longer than the latency to build"
    )
    print(f"\n  this client is {theirs['wall'] / ours['wall']:.1f}x faster (wall)")


if __name__ == "__main__":
    main()
