"""Whole networks timed near the latency budget, so that the latency surrogate is checked and
refitted where the search decides.

A profile's whole networks are random ones, and a random network can be far slower than the
budget: in one default run on this project's AMD host the origin CNN (the default budget)
measured 0.105 ms while the profile's 60 MBConv networks measured 0.35-4 ms. The surrogate's
correction, fitted on those alone, extrapolates to the budget; that run's pick was predicted at
0.103 ms and measured 0.060 ms (``hwnas explain latency``: its measured/unit-sum ratio 0.52,
outside the profile networks' 0.71-1.19), so the search had left 40% of the budget unused. So
before the search a dozen networks spread around the budget are timed with the profile's own
protocol, and the surrogate is refitted on them next to the profile's networks; the run records
how far the profile-only fit was from them (out of sample). How much that moves depends on the
machine and the moment: the next two default runs' calibrations found the profile-only fit a
median 1.03x and 0.84x off (``benchmarks/results/run_default.md`` has the second), and on this VM
even the origin CNN measured 0.105 ms in one run and 0.157 ms in the next, half an hour later.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hwnas import DataError, SearchSpace

from ._io import write_json_atomic
from ._sampling import architectures_in_band

__all__ = ["calibration_networks", "CALIBRATION_FILE"]

CALIBRATION_FILE = "calibration.json"
_BAND = (0.5, 1.5)  # x the smallest and the largest budget: where the search's answers lie


def calibration_networks(space: SearchSpace, prof, latency_pred, budgets_ms, n: int, seed: int, out: Path,
                         progress: bool = False) -> tuple[list, np.ndarray]:
    """``n`` networks spread over the predicted band around the budgets, timed on the profile's
    target with its protocol (the fastest of its network sessions, as its own networks); each
    timing is saved to ``out/calibration.json`` as it is taken, and a rerun times only the rest.
    Returns the architectures and their latencies (ms)."""
    from tqdm.auto import tqdm

    from hwnas.profiler import create_target, measure_architecture

    path = out / CALIBRATION_FILE
    done = _read(path)
    archs = architectures_in_band(space, latency_pred, _BAND[0] * min(budgets_ms), _BAND[1] * max(budgets_ms),
                                  n, seed)
    keys = [space.format(a) for a in archs]
    target = prof.target
    runner = create_target(target.name, target.threads, target.batch_size)
    for arch, key in tqdm(list(zip(archs, keys)), desc="calibrate near the budget", unit="net", disable=not progress):
        if key not in done:
            done[key] = measure_architecture(space, arch, runner, prof.protocol, prof.input_shape,
                                             seed).median_ms
            write_json_atomic(path, {"target": target.label, "median_ms": done})
    return archs, np.array([done[k] for k in keys], dtype=np.float64)


def _read(path: Path) -> dict[str, float]:
    """The timings a (possibly interrupted) earlier pass saved; a damaged file is a clear error."""
    import json

    if not path.is_file():
        return {}
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text())["median_ms"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"{path}: not a calibration file ({exc}); delete it to time the networks again") from None
