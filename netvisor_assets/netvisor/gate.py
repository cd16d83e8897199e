"""One request at a time per Netvisor company, across threads and processes on one host.

Netvisor serves one request at a time per customer environment ("overlapping calls cause
various errors"). A Dagster deployment has several processes that talk to the same company:
the run worker of a materialization, the daemon's changes sensor, an admin command. The gate
is therefore keyed on the organisation id (the company, whatever the URL's spelling: 127.0.0.1
and localhost are one company) and held with an exclusive `flock` on a file in a lock folder
shared by every process of the host (`NETVISOR_LOCK_DIR`, default the system temp folder), on
top of a thread lock within the process.

The lock file also remembers, across processes, when the last request started (for the
optional minimum interval) and until when the company must be left alone after a request
timed out on our side: Netvisor keeps working on a request whose client gave up, and a new
request sent meanwhile would collide with it ("simultaneous requests"). How long Netvisor goes
on is undocumented; the pause is a setting (`timeout_cooldown` of the client).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone serialises a process
    fcntl = None  # type: ignore[assignment]

LOCK_DIR_VAR = "NETVISOR_LOCK_DIR"
_POLL_INITIAL = 0.01
_POLL_MAX = 0.25


def lock_dir() -> Path:
    """The folder every process of this host uses for company locks."""
    configured = (os.environ.get(LOCK_DIR_VAR) or "").strip()
    folder = Path(configured) if configured else Path(tempfile.gettempdir()) / "netvisor_assets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class GateBusy(TimeoutError):
    """Another process held the company's gate for longer than a request may take."""


class Gate:
    """The per-company lock; `turn()` is held for exactly one request, body included."""

    def __init__(self, organisation_id: str) -> None:
        self.organisation_id = organisation_id
        self._thread_lock = threading.Lock()
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", organisation_id) or "company"
        self._name = f"{safe}.lock"
        self.last_start = float("-inf")
        self._busy_until = 0.0

    @property
    def path(self) -> Path:
        return lock_dir() / self._name

    @contextlib.contextmanager
    def turn(self, min_interval: float, wait_limit: float) -> Iterator[Gate]:
        """Wait for the company to be free (up to `wait_limit` s), then hold it."""
        started = time.monotonic()
        if not self._thread_lock.acquire(timeout=wait_limit):
            raise GateBusy(f"another request to {self.organisation_id} held the gate")
        try:
            with self._file_lock(wait_limit - (time.monotonic() - started)) as state:
                last_start, busy_until = state
                now = time.time()
                wait = max(last_start + min_interval - now if min_interval > 0 else 0.0, 0.0)
                wait = max(wait, busy_until - now)
                if wait > 0:
                    time.sleep(wait)
                self.last_start = time.time()
                self._busy_until = busy_until
                try:
                    yield self
                finally:
                    # Also after a failed request: a cool-down set by a timeout must reach
                    # the next process that asks.
                    self._write_state(self.last_start, self._busy_until)
        finally:
            self._thread_lock.release()

    def cool_down(self, seconds: float) -> None:
        """Keep every process away from the company for `seconds` after this request."""
        self._busy_until = max(self._busy_until, time.time() + seconds)

    # -- the shared file -----------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self, wait_limit: float) -> Iterator[tuple[float, float]]:
        if fcntl is None:  # pragma: no cover
            self._fd = None
            yield (self.last_start, self._busy_until)
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._fd = fd
        try:
            deadline = time.monotonic() + max(wait_limit, 0.0)
            delay = _POLL_INITIAL
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise GateBusy(
                            f"another process kept the Netvisor gate of {self.organisation_id} "
                            f"for over {wait_limit:.0f} s ({self.path})"
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, _POLL_MAX)
            try:
                yield self._read_state(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
            self._fd = None

    @staticmethod
    def _read_state(fd: int) -> tuple[float, float]:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 128).decode("ascii", "replace").split()
        try:
            return float(raw[0]), float(raw[1])
        except (IndexError, ValueError):
            return float("-inf"), 0.0

    def _write_state(self, last_start: float, busy_until: float) -> None:
        fd = getattr(self, "_fd", None)
        if fd is None:
            return
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, f"{last_start:.6f} {busy_until:.6f}\n".encode("ascii"))


_GATES: dict[str, Gate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(organisation_id: str) -> Gate:
    """The process-wide gate of one company (keyed on the organisation id alone)."""
    key = organisation_id.strip()
    with _GATES_LOCK:
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = Gate(key)
        return gate
