"""The allocator settings: applied on glibc (mallopt accepts each), and a deployment's own
variables win."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

PROBE = "from netvisor_assets.memory import tune_allocator\nprint(','.join(tune_allocator()))\n"


def _run(env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_every_setting_applies_on_glibc() -> None:
    assert _run({"PATH": "/usr/bin:/bin"}) == [
        "MALLOC_MMAP_THRESHOLD_,MALLOC_TRIM_THRESHOLD_,MALLOC_ARENA_MAX"
    ]


def test_a_variable_the_deployment_set_wins() -> None:
    out = _run({"PATH": "/usr/bin:/bin", "MALLOC_MMAP_THRESHOLD_": "1048576"})
    assert out == ["MALLOC_TRIM_THRESHOLD_,MALLOC_ARENA_MAX"]
