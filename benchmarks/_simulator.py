"""The simulator in a process of its own, for benchmarks that time a client against it.

Its own process so that its CPU (rendering responses) is not counted as the client's; it
answers every request `latency_ms` after it arrived, its rendering inside that time (as a real
server's latency holds its own work), so requests x latency is the floor. A response that takes
longer to build is late, and counted (`late_responses` of `/_admin/stats`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def simulator_process(
    size: str,
    seed: int,
    latency_ms: float,
    env: Mapping[str, str],
    *,
    port: int | None = None,
    start_date: dt.date | None = None,
    timeout: float = 600.0,
) -> Iterator[str]:
    """Run this checkout's simulator until the block ends; yields its base URL."""
    port = port or free_port()
    command = [sys.executable, "-m", "netvisor_assets.simulator", "--host", "127.0.0.1",
               "--port", str(port), "--size", size, "--seed", str(seed),
               "--fixed-latency-ms", str(latency_ms)]  # fmt: skip
    if start_date is not None:
        command += ["--start-date", start_date.isoformat()]
    process = subprocess.Popen(
        command, cwd=PROJECT, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the simulator did not start: {process.stderr.read()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(30)


def late_responses(url: str) -> int:
    """How many responses the simulator built in more than their delay so far (each was sent
    late: its time counts as waiting on the API beyond the floor)."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{url}/_admin/stats", timeout=30) as response:
        return int(json.load(response)["late_responses"])
