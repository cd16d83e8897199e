"""Seeded fault injection: the failures a Netvisor client must survive, on demand.

Faults apply only to Netvisor resources and only after authentication succeeded, so a fault
never hides an auth bug. Each authenticated request gets a sequence number n; everything
random about request n is drawn from `random.Random(f"{seed}:{n}")`. The same fault seed and
the same request sequence therefore give the same faults, whatever the thread timing, and
enabling latency does not shift which requests fail.

Fault kinds (at most one per request, drawn by cumulative rate):
- `technical_error`: `TECHNICAL_ERROR` envelope with HTTP 500 (200 without
  UseHTTPResponseStatusCodes) - Netvisor's own server-side fault, retryable;
- `http_503`: a plain-text 503 from "the load balancer", no XML at all;
- `reset`: the TCP connection is aborted (RST) before any response byte;
- `truncate`: HTTP 200 whose XML body is cut at a random point - what a proxy timeout or a
  dropped stream looks like to the parser;
- `not_unique`: `REQUEST_NOT_UNIQUE` (HTTP 400) although the id was fresh - what a client sees
  when its own retry raced the original request at Netvisor;
- `trickle`: the right body, sent a few bytes at a time (`trickle_bytes_per_second`): a read
  never stalls, so only a total deadline ends it;
- `encoding_mismatch`: the right body, UTF-8 bytes under a declaration that says ISO-8859-15
  (seen from Netvisor); a client trusting the declaration writes mojibake;
- `malformed_error`: a TECHNICAL_ERROR envelope whose message holds a raw `&`, so the error
  body is not well-formed XML (Netvisor's test environment echoes such text).
Latency (`LatencyConfig`) is added on top: an exponential delay with the configured mean, and
with `stall_rate` a stall of `stall_seconds` that exercises client timeouts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# The order of the cumulative draw; each kind has a `FaultConfig.<kind>_rate` and a CLI flag.
FAULT_KINDS = (
    "technical_error",
    "http_503",
    "reset",
    "truncate",
    "not_unique",
    # Appended last: the cumulative draw keeps every earlier kind's requests.
    "trickle",
    "encoding_mismatch",
    "malformed_error",
)


@dataclass(frozen=True)
class FaultConfig:
    """Per-request fault probabilities (each in [0, 1], summing to at most 1) and the seed."""

    technical_error_rate: float = 0.0
    http_503_rate: float = 0.0
    reset_rate: float = 0.0
    truncate_rate: float = 0.0
    not_unique_rate: float = 0.0
    trickle_rate: float = 0.0
    encoding_mismatch_rate: float = 0.0
    malformed_error_rate: float = 0.0
    seed: int = 0
    trickle_bytes_per_second: float = 200.0

    def __post_init__(self) -> None:
        rates = self.rates()
        for kind, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{kind} rate must be within [0, 1], got {rate}")
        if sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault rates must sum to at most 1")

    def rates(self) -> dict[str, float]:
        """Kind -> rate in `FAULT_KINDS` order, the order of the cumulative draw."""
        return {kind: getattr(self, f"{kind}_rate") for kind in FAULT_KINDS}

    @property
    def active(self) -> bool:
        return any(self.rates().values())


@dataclass(frozen=True)
class LatencyConfig:
    """Response delay: exponential with mean `mean_ms`, plus rare stalls of `stall_seconds`.

    `fixed_ms` is added to every response: the benchmarks' constant round trip, so that
    (requests) x (latency) is exactly the floor a sync is measured against. Every delay is a
    response time counted from the request's arrival, the server's own work (rendering an
    11 MB ledger takes a third of a second) inside it, as in Netvisor.
    """

    mean_ms: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float = 30.0
    fixed_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.mean_ms < 0 or self.stall_seconds < 0 or self.fixed_ms < 0:
            raise ValueError("latency values must not be negative")
        if not 0.0 <= self.stall_rate <= 1.0:
            raise ValueError(f"stall rate must be within [0, 1], got {self.stall_rate}")

    @property
    def active(self) -> bool:
        return self.mean_ms > 0 or self.stall_rate > 0 or self.fixed_ms > 0


@dataclass(frozen=True)
class Decision:
    """What happens to one request: a fault kind (or None), a delay, a truncation point."""

    fault: str | None
    delay_seconds: float
    stalled: bool
    cut_fraction: float


def decide(
    sequence: int, faults: FaultConfig | None, latency: LatencyConfig | None, seed: int = 0
) -> Decision:
    """The deterministic fate of authenticated request number `sequence`."""
    base_seed = faults.seed if faults is not None else seed
    rng = random.Random(f"{base_seed}:{sequence}")
    # Draw in a fixed order, always, so one setting never shifts another's stream.
    fault_draw = rng.random()
    latency_draw = rng.random()
    stall_draw = rng.random()
    cut_fraction = 0.1 + 0.8 * rng.random()
    fault = None
    if faults is not None:
        edge = 0.0
        for kind, rate in faults.rates().items():
            edge += rate
            if fault_draw < edge:
                fault = kind
                break
    delay = 0.0
    stalled = False
    if latency is not None:
        delay = latency.fixed_ms / 1000.0
        if latency.mean_ms > 0:
            # Inverse-CDF exponential from the uniform draw (guarding log(0)).
            delay += -math.log(max(1.0 - latency_draw, 1e-12)) * latency.mean_ms / 1000.0
        if stall_draw < latency.stall_rate:
            stalled = True
            delay += latency.stall_seconds
    return Decision(fault=fault, delay_seconds=delay, stalled=stalled, cut_fraction=cut_fraction)
