"""The per-company gate: one request at a time per organisation, across threads and processes.

Contract: the gate is keyed on the organisation id, not the URL's spelling; a request waits
while another process holds the company's gate; a cool-down set after a timeout in one
process delays the next request of another process.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from netvisor_assets.netvisor.client import NetvisorClient
from netvisor_assets.netvisor.gate import gate_for

ORG = "1967543-8"

HOLDER = """
import sys, time
from netvisor_assets.netvisor.gate import gate_for
with gate_for(sys.argv[1]).turn(0.0, wait_limit=30) as gate:
    gate.cool_down(float(sys.argv[3]))
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _client(url: str) -> NetvisorClient:
    return NetvisorClient(url, "tests", "C", "ck", "P", "pk", ORG)


def test_gate_is_keyed_on_the_organisation_not_the_url_spelling() -> None:
    a, b = _client("http://127.0.0.1:9"), _client("http://localhost:9/")
    try:
        assert a._gate is b._gate is gate_for(ORG)
    finally:
        a.close()
        b.close()


def _hold_in_other_process(hold: float, cool_down: float, env_dir: Path) -> subprocess.Popen:
    import os

    env = {**os.environ, "NETVISOR_LOCK_DIR": str(env_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, ORG, str(hold), str(cool_down)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_request_waits_while_another_process_holds_the_company(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NETVISOR_LOCK_DIR", str(tmp_path))
    proc = _hold_in_other_process(hold=1.0, cool_down=0.0, env_dir=tmp_path)
    started = time.monotonic()
    with gate_for(ORG).turn(0.0, wait_limit=30):
        waited = time.monotonic() - started
    proc.wait(timeout=30)
    assert waited >= 0.7


def test_a_cool_down_set_in_another_process_is_honoured(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NETVISOR_LOCK_DIR", str(tmp_path))
    proc = _hold_in_other_process(hold=0.0, cool_down=1.5, env_dir=tmp_path)
    proc.wait(timeout=30)
    started = time.monotonic()
    with gate_for(ORG).turn(0.0, wait_limit=30):
        waited = time.monotonic() - started
    assert waited >= 1.0
