"""The timing protocol: how long to warm up, when to stop timing, what to report."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields
from typing import Callable

import numpy as np

from hwnas import ConfigError, Measurement

__all__ = ["TimingProtocol", "fastest_session", "time_callable"]


@dataclass(frozen=True)
class TimingProtocol:
    """How one piece (a unit or a whole network) is timed, after ``torch.utils.benchmark``.

    Warm-up runs last at least ``warmup_s`` seconds and ``warmup_runs`` calls (first-call
    allocation, caches, branch predictors). Each timed run is a block of back-to-back calls lasting
    at least ``block_ms`` (so that microsecond kernels are not drowned by timer resolution), and
    reports the mean call time of its block. Timed runs continue until there are ``min_runs`` and
    the relative IQR (IQR / median) is at most ``rel_iqr``, or until ``max_time_s`` of timing or
    ``max_runs`` runs. A result still above ``rel_iqr`` is re-measured once when ``remeasure``
    (the lower-noise result is kept) and flagged as noisy if it stays above.

    A whole network is timed in ``network_sessions`` fresh sessions (built, exported and compiled
    anew each time) and the session with the lowest median is kept; a unit in ``unit_sessions``.
    How fast a fresh session runs varies far more than the runs within one. On this project's
    2-core VM (``benchmarks/latency_sessions.py``, 30 networks per space, two passes), one session
    per network repeated within +-10% for 93% (NB201), 80% (FBNet) and 47% (MBConv) of networks;
    the fastest of 3 for 100%, 100% and 97% (the median of 3: 100%, 83%, 73%). Longer timing within
    one session does not help. Units default to one session: a network's unit sum averages their
    session noise out, and they are the bulk of a profile's time.

    The protocol is recorded in a profile's manifest: tables measured under different protocols
    are not mixed. A manifest written before sessions existed reads as one session each.
    """

    warmup_s: float = 0.01
    warmup_runs: int = 3
    block_ms: float = 0.5
    min_runs: int = 7
    max_runs: int = 50
    max_time_s: float = 0.25
    rel_iqr: float = 0.05
    remeasure: bool = True
    network_sessions: int = 3
    unit_sessions: int = 1

    def __post_init__(self) -> None:
        for name in ("warmup_s", "block_ms", "max_time_s", "rel_iqr"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"timing protocol: {name} must be a finite number >= 0, got {value!r}")
        for name in ("network_sessions", "unit_sessions"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"timing protocol: {name} must be an integer >= 1, got {getattr(self, name)!r}")
        for name in ("warmup_runs", "min_runs", "max_runs"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ConfigError(f"timing protocol: {name} must be an integer >= 0, got {getattr(self, name)!r}")
        if self.min_runs < 1 or self.max_runs < self.min_runs:
            raise ConfigError(f"timing protocol: need 1 <= min_runs <= max_runs, "
                              f"got {self.min_runs} and {self.max_runs}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TimingProtocol":
        """A protocol from a manifest; unknown keys are an error (a newer or foreign manifest)."""
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"timing protocol: unknown settings {', '.join(sorted(unknown))}")
        return cls(**{**BEFORE_SESSIONS, **d})


# What a manifest written before the session settings existed was measured with.
BEFORE_SESSIONS = {"network_sessions": 1, "unit_sessions": 1}


def fastest_session(measure: Callable[[], Measurement], sessions: int) -> Measurement:
    """``measure`` (one fresh session each call) run ``sessions`` times; the lowest median is kept."""
    return min((measure() for _ in range(max(1, sessions))), key=lambda m: m.median_ms)


def time_callable(fn: Callable[[], object], protocol: TimingProtocol,
                  sync: Callable[[], None] | None = None) -> Measurement:
    """Time ``fn`` (one forward pass) under ``protocol``; ``sync`` waits for an asynchronous device."""
    sync = sync or (lambda: None)
    clock = time.perf_counter
    warm_times: list[float] = []
    start = clock()
    while len(warm_times) < max(protocol.warmup_runs, 1) or clock() - start < protocol.warmup_s:
        t0 = clock()
        fn()
        sync()
        warm_times.append(clock() - t0)
    # The median warm-up call, not the first one (allocation), sizes the blocks.
    per_call = max(float(np.median(warm_times[len(warm_times) // 2:])), 1e-7)
    number = max(1, math.ceil(protocol.block_ms / 1000.0 / per_call))
    times_ms: list[float] = []
    timed_start = clock()
    while len(times_ms) < protocol.max_runs:
        t0 = clock()
        for _ in range(number):
            fn()
        sync()
        times_ms.append((clock() - t0) * 1000.0 / number)
        if len(times_ms) >= protocol.min_runs:
            if clock() - timed_start >= protocol.max_time_s:
                break
            if Measurement.from_times(times_ms).relative_iqr <= protocol.rel_iqr:
                break
    return Measurement.from_times(times_ms, warmup_runs=len(warm_times))
