"""Start and stop local-bigquery (a DuckDB-backed BigQuery REST emulator) for tests.

The emulator needs Python >= 3.13, so it runs from its own venv built by
`scripts/bigquery_emulator.sh` (default folder `.bqemu/`, or `$NETVISOR_BQEMU_DIR`). It binds
127.0.0.1 on free ports and keeps its data in a temporary folder, so parallel sessions and
developer machines never share state. See /work/shared/bigquery-emulator.md for what it
covers and where it is more lenient than BigQuery.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = PROJECT_DIR / "scripts" / "bigquery_emulator.sh"
DEFAULT_PROJECT = "netvisor-test"
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


class EmulatorUnavailable(RuntimeError):
    """The emulator venv has not been built on this machine."""


@dataclasses.dataclass(frozen=True)
class Emulator:
    """A running emulator: `url` is what BIGQUERY_EMULATOR_HOST must hold."""

    url: str
    project: str
    port: int

    def client(self) -> Any:  # google.cloud.bigquery.Client, imported lazily
        """A client that talks to the emulator and never looks for Google credentials."""
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.url),
        )


def emulator_dir() -> Path:
    return Path(os.environ.get("NETVISOR_BQEMU_DIR") or PROJECT_DIR / ".bqemu")


def emulator_command() -> Path:
    """Path of the `local-bigquery` executable; raise EmulatorUnavailable if not built."""
    folder = emulator_dir()
    command = folder / "venv" / "bin" / "local-bigquery"
    if not (folder / ".ready").exists() or not command.exists():
        raise EmulatorUnavailable(
            f"BigQuery emulator not built in {folder}; run {BUILD_SCRIPT.relative_to(PROJECT_DIR)}"
        )
    return command


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(url: str, project: str) -> bool:
    try:
        with urllib.request.urlopen(  # noqa: S310 - fixed local http URL
            f"{url}/bigquery/v2/projects/{project}/datasets", timeout=2
        ) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextlib.contextmanager
def running_emulator(project: str = DEFAULT_PROJECT) -> Iterator[Emulator]:
    """Run the emulator for the duration of the block; its data is deleted afterwards."""
    command = emulator_command()
    data_dir = Path(tempfile.mkdtemp(prefix="bqemu-data-"))
    port, grpc_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "emulator.log"
    env = {
        **os.environ,
        # The DuckDB extensions were installed under this private HOME by the build script.
        "HOME": str(emulator_dir() / "home"),
    }
    # An inherited emulator variable would make the emulator's own client libraries loop.
    env.pop("BIGQUERY_EMULATOR_HOST", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(command),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--grpc-port",
                str(grpc_port),
                "--project",
                project,
                "--data-dir",
                str(data_dir / "data"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=data_dir,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not _ready(url, project):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"BigQuery emulator did not start on {url}:\n{output}")
            time.sleep(0.2)
        yield Emulator(url=url, project=project, port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
