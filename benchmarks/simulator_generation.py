"""Benchmark of the simulated company: generation time, counts and peak memory per size.

Each size runs in its own child process so that the peak RSS (`resource.getrusage`) belongs to
that size alone. Also times rendering every voucher record and one `advance(7)`, the two other
costs the simulator's HTTP app pays.

    .venv/bin/python benchmarks/simulator_generation.py [tiny small medium large] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

SIZES = ("tiny", "small", "medium", "large")
SHOWN = ("customers", "sales_invoices", "purchase_invoices", "sales_orders", "purchase_orders",
         "vouchers", "voucher_lines", "sales_payments", "purchase_payments")  # fmt: skip


def measure(size: str, seed: int) -> dict:
    """Generate one company in this process and report its figures."""
    from netvisor_assets.simulator.company import generate_company

    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    company = generate_company(seed=seed, size=size)
    generated = time.perf_counter() - started
    peak_generation_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = company.counts()
    started = time.perf_counter()
    rendered = sum(1 for _ in company.records("vouchers"))
    render = time.perf_counter() - started
    started = time.perf_counter()
    company.advance(7)
    advance = time.perf_counter() - started
    return {
        "size": size,
        "seconds": round(generated, 2),
        "peak_rss_mb_after_generation": round(peak_generation_mb, 1),
        "rss_mb_after_imports": round(baseline_mb, 1),
        "render_all_vouchers_seconds": round(render, 2),
        "vouchers_rendered": rendered,
        "advance_7_days_seconds": round(advance, 3),
        "counts": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=list(SIZES), help=" ".join(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; use {', '.join(SIZES)}")
    if args.child:
        print(json.dumps(measure(args.sizes[0], args.seed)))
        return
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, size, "--seed", str(args.seed), "--child"],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout)
        counts = result["counts"]
        print(
            f"{size:>6}: {result['seconds']:6.2f} s  peak RSS "
            f"{result['peak_rss_mb_after_generation']:6.1f} MB (imports "
            f"{result['rss_mb_after_imports']:.1f} MB)  render vouchers "
            f"{result['render_all_vouchers_seconds']:5.2f} s  advance(7) "
            f"{result['advance_7_days_seconds']:.3f} s"
        )
        print("        " + ", ".join(f"{k}={counts[k]}" for k in SHOWN))


if __name__ == "__main__":
    main()
