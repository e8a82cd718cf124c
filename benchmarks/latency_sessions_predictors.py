"""Do the latency predictors fit one-session or fastest-of-3 network timings better? A paired test.

For each space, the whole networks of the default profile (``profiles/<space>-ort-cpu-t1-b1``) are
timed again, each in 3 fresh sessions back to back; the first session is the one-session value,
the fastest of the 3 the ``network_sessions=3`` value, so both are taken at the same moments. The
predictors are then fitted and scored on each (5 folds of 80 networks, the profile's lookup table
for both), as in ``benchmarks/latency_profile.py``. Timing-sensitive: run on a quiet core.

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/latency_sessions_predictors.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, write_results  # noqa: E402
from latency_profile import cross_validate  # noqa: E402

PREDICTORS = (("lut", {"correction": "affine"}), ("lut", {"correction": "per_type"}), ("xgb", {}), ("fewshot", {}))


def time_sessions(prof, archs: list, sessions: int, seed: int) -> np.ndarray:
    """(n, sessions) medians, each network's sessions back to back."""
    from tqdm.auto import tqdm

    from hwnas.profiler import TimingProtocol, create_target, measure_architecture

    one = TimingProtocol.from_dict({**prof.protocol.to_dict(), "network_sessions": 1})
    runner = create_target(prof.target.name, threads=prof.target.threads, batch_size=prof.target.batch_size)
    return np.array([[measure_architecture(prof.space, a, runner, one, prof.input_shape, seed + j).median_ms
                      for j in range(sessions)] for a in tqdm(archs, desc=prof.space.name, leave=False)])


def score_predictors(prof, archs: list, ms: np.ndarray, folds: int, seed: int, **row: object) -> list[dict]:
    """One row per predictor of ``PREDICTORS``: cross-validated scores on ``(archs, ms)``, with ``row``."""
    rows = []
    for name, params in PREDICTORS:
        s, _ = cross_validate(prof, archs, ms, name, params, folds, seed)
        rows.append({**row, "predictor": name + "".join(f"/{v}" for v in params.values()),
                     "within5": s["within5"], "within10": s["within10"], "mape": s["mape"], "kendall": s["kendall"]})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    from hwnas.profiler import default_profile_dir, load_profile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", nargs="+", default=["nb201", "fbnet", "mbconv"])
    ap.add_argument("--root", default=str(REPO / "profiles"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="latency_sessions_predictors")
    args = ap.parse_args()
    started, rows = time.time(), []
    for space in args.spaces:
        prof = load_profile(default_profile_dir(space, root=args.root))
        archs, _ = prof.network_latencies()
        timed = time_sessions(prof, archs, 3, args.seed)
        for label, ms in (("one session", timed[:, 0]), ("fastest of 3", timed.min(axis=1))):
            rows += score_predictors(prof, archs, ms, args.folds, args.seed, space=space, timing=label)
    best = {}
    for r in rows:
        key = f"{r['space']} {r['timing']}: best within10"
        best[key] = max(best.get(key, 0.0), r["within10"])
    print(write_results(args.name, rows, best, started=started,
                        notes="Both timings of a network come from the same 3 back-to-back sessions (the first; "
                              "the fastest); the lookup table is the profile's for both."))


if __name__ == "__main__":
    main()
