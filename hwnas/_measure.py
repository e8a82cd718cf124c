"""`Target` and `Measurement`: plain typed records the profiler, predictors and search share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

__all__ = ["Target", "Measurement"]


@dataclass(frozen=True)
class Target:
    """A runtime with its settings, e.g. ONNX Runtime on the CPU with one intra-op thread.

    ``name`` is the registered target kind (``ort-cpu``, ``torch-cpu``, ``ort-cuda``,
    ``torch-cuda``); the machine it runs on is recorded separately (the device fingerprint).
    """

    name: str
    runtime: str
    device: str
    threads: int = 1
    batch_size: int = 1
    options: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        """A short, unique, filesystem-safe label, e.g. ``ort-cpu-t1-b1``."""
        extra = "".join(f"-{k}={v}" for k, v in self.options)
        return f"{self.name}-t{self.threads}-b{self.batch_size}{extra}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["options"] = dict(self.options)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Target":
        return cls(
            name=str(d["name"]), runtime=str(d["runtime"]), device=str(d["device"]),
            threads=int(d.get("threads", 1)), batch_size=int(d.get("batch_size", 1)),
            options=tuple(sorted((str(k), str(v)) for k, v in dict(d.get("options", {})).items())),
        )


@dataclass(frozen=True)
class Measurement:
    """Summary of repeated timings in milliseconds, after ``torch.utils.benchmark``'s record."""

    median_ms: float
    iqr_ms: float
    mean_ms: float
    p90_ms: float
    min_ms: float
    runs: int
    warmup_runs: int

    @property
    def relative_iqr(self) -> float:
        return self.iqr_ms / self.median_ms if self.median_ms > 0 else float("inf")

    @classmethod
    def from_times(cls, times_ms: Sequence[float], warmup_runs: int = 0) -> "Measurement":
        t = np.asarray(times_ms, dtype=np.float64)
        if t.size == 0:
            raise ValueError("no timings to summarise")
        q25, q50, q75, q90 = np.percentile(t, [25, 50, 75, 90])
        return cls(
            median_ms=float(q50), iqr_ms=float(q75 - q25), mean_ms=float(t.mean()),
            p90_ms=float(q90), min_ms=float(t.min()), runs=int(t.size), warmup_runs=int(warmup_runs),
        )

    def to_dict(self) -> dict:
        return asdict(self)
