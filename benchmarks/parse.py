"""Throughput of the project's XML parser against the parsers it could have been.

Two bodies come from the simulator company of the given size: a ledger response
(accountingledger.nv, one quarter of vouchers with their lines) and a sales-invoice detail
batch (getsalesinvoice.nv, up to 500 keys). Each is parsed by

- `project`: `netvisor_assets.netvisor.xml.parse_records`, typed records (Decimal, dates,
  bools, REPEATED lists), with defusedxml's protections and the body's decoding checks;
- `iterparse`: raw defusedxml `iterparse` on end events, a plain dict of child tag -> text per
  record element, which is then cleared (the floor of any safe streaming parser);
- `xmltodict`: `xmltodict.parse` of the whole body (untyped strings, no streaming);
- `lxml`: `lxml.etree.iterparse` on the record tag, a dict of child tag -> text, cleared.

The parsers run interleaved, round-robin, in one process, so machine noise hits them all
alike; the figures are the median over the rounds, after an untimed warm-up round. The
project's cache of parsed values is emptied before each of its runs, so a round is not
flattered by values it parsed in the round before. The ratios are the project's MB/s over the
other parser's (rows/s ratios are the same: every parser counts the same records).

    .venv/bin/python benchmarks/parse.py [--size small] [--rounds 7]

`--size tiny` is a smoke run of a few seconds. xmltodict and lxml come with the `bench`
extra (`pip install -e '.[bench]'`); without them their columns are skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import statistics
import time
from collections.abc import Callable

from defusedxml.ElementTree import iterparse

from netvisor_assets.netvisor import xml as project_xml
from netvisor_assets.netvisor.xml import RecordPath, parse_records
from netvisor_assets.simulator import generate_company
from netvisor_assets.simulator.handlers import handle
from netvisor_assets.simulator.render import stream_document

try:
    import xmltodict
except ImportError:
    xmltodict = None
try:
    from lxml import etree as lxml_etree
except ImportError:
    lxml_etree = None

Parser = Callable[[bytes], int]


def _body(company, resource: str, params: dict[str, str]) -> bytes:
    reply = handle(company, resource, params)
    return b"".join(stream_document(reply.parts, reply.style))


def bodies(size: str) -> dict[str, tuple[bytes, RecordPath]]:
    company = generate_company(seed=1, size=size)
    first = company.start_date
    quarter_end = (first.replace(day=1) + dt.timedelta(days=95)).replace(day=1)
    ledger = _body(
        company,
        "accountingledger",
        {
            "startdate": str(first),
            "enddate": str(quarter_end - dt.timedelta(days=1)),
            "voucherstatus": "1",
        },
    )
    keys = ",".join(str(k) for k in company.keys("sales_invoices")[:500])
    invoices = _body(
        company,
        "getsalesinvoice",
        {"netvisorkeylist": keys, "pdfimage": "nopdf", "showcommentlines": "1"},
    )
    return {
        "ledger": (ledger, ("vouchers", "voucher")),
        "invoices": (invoices, ("salesinvoices", "salesinvoice")),
    }


def _tag(body: bytes, key: str) -> str:
    """The spelling of element `key` in this body (the baselines match tags exactly)."""
    found = re.search(rf"<({key})[\s/>]", body.decode("utf-8"), re.IGNORECASE)
    assert found, key
    return found.group(1)


def parsers(body: bytes, path: RecordPath) -> dict[str, Parser]:
    tag = _tag(body, path[-1])
    wrapper = _tag(body, path[-2])

    def project(data: bytes) -> int:
        return len(parse_records(data, [path]))

    def raw_iterparse(data: bytes) -> int:
        rows = 0
        for _, elem in iterparse(io.BytesIO(data), events=("end",)):
            if elem.tag == tag:
                _ = {child.tag: child.text for child in elem}
                rows += 1
                elem.clear()
        return rows

    found: dict[str, Parser] = {"project": project, "iterparse": raw_iterparse}
    if xmltodict is not None:

        def to_dict(data: bytes) -> int:
            items = xmltodict.parse(data)["Root"][wrapper][tag]
            return len(items) if isinstance(items, list) else 1

        found["xmltodict"] = to_dict
    if lxml_etree is not None:

        def lxml_iterparse(data: bytes) -> int:
            rows = 0
            for _, elem in lxml_etree.iterparse(io.BytesIO(data), events=("end",), tag=tag):
                _ = {child.tag: child.text for child in elem}
                rows += 1
                elem.clear()
            return rows

        found["lxml"] = lxml_iterparse
    return found


def _forget_values() -> None:
    """Empty the parser's cache of parsed values, so that every round parses the body's
    values as a new response would (only the names and types stay known, as in a sync)."""
    for cache in project_xml._VALUES.values():
        cache.clear()


def measure(cases: dict[str, tuple[bytes, RecordPath]], rounds: int) -> dict[tuple, list]:
    """(body, parser) -> [(seconds, rows)] over `rounds` round-robin rounds, after one
    untimed warm-up round (imports, the registry, name caches)."""
    plan = {name: (body, parsers(body, path)) for name, (body, path) in cases.items()}
    times: dict[tuple, list] = {}
    for round_ in range(rounds + 1):
        for name, (body, funcs) in plan.items():
            for label, func in funcs.items():
                if label == "project":
                    _forget_values()
                started = time.perf_counter()
                rows = func(body)
                if round_:
                    times.setdefault((name, label), []).append(
                        (time.perf_counter() - started, rows)
                    )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="small", help="simulator company size (tiny, small)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    missing = [name for name, mod in (("xmltodict", xmltodict), ("lxml", lxml_etree)) if not mod]
    if missing:
        print(f"{' and '.join(missing)} not installed: pip install -e '.[bench]' (skipped)")
    cases = bodies(args.size)
    times = measure(cases, args.rounds)
    print(
        f"company {args.size}, {args.rounds} interleaved rounds, median\n"
        f"{'body':9} {'parser':10} {'MB':>6} {'rows':>6} {'MB/s':>8} {'rows/s':>9} "
        f"{'project/this':>12}"
    )
    for name, (body, _) in cases.items():
        mb = len(body) / 1e6
        medians = {
            label: statistics.median(t for t, _ in runs)
            for (body_name, label), runs in times.items()
            if body_name == name
        }
        for label, seconds in medians.items():
            rows = times[(name, label)][0][1]
            # Speed ratio project/this is this parser's time over the project's.
            ratio = "" if label == "project" else f"{seconds / medians['project']:.2f}x"
            print(
                f"{name:9} {label:10} {mb:6.2f} {rows:6d} {mb / seconds:8.2f} "
                f"{rows / seconds:9.0f} {ratio:>12}"
            )


if __name__ == "__main__":
    main()
