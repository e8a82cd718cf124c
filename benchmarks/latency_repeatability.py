"""Repeatability of whole-network measurements: the ceiling any latency predictor meets.

A predictor is scored against measured networks; if measuring the same network again gives a
different number, no predictor can do better than that disagreement. For each profile (default:
the three ``ort-cpu`` profiles of ``benchmarks/profile_budget.py``) this re-measures N of its
profiled networks twice in this process, each time built afresh (a new ONNX Runtime session for
``ort-*`` targets; ``--target torch-cuda`` re-measures a GPU profile), with the
profile's own protocol, and once with a longer protocol (more warm-up, more runs), and reports
how often the numbers agree within +-5% / +-10% (re-run against re-run, and re-run against the
value stored in the profile), the median absolute difference and Kendall tau.

Timing-sensitive: run on a quiet machine (the load average before and after is recorded).

    python benchmarks/latency_repeatability.py                 # 30 networks per profile
    python benchmarks/latency_repeatability.py --networks 5 --spaces nb201
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, write_results  # noqa: E402

LONG = {"warmup_s": 0.2, "warmup_runs": 10, "min_runs": 25, "max_runs": 200, "max_time_s": 2.0}


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    """How well two measurements of the same networks agree (``b`` as the reference)."""
    from scipy.stats import kendalltau

    err = np.abs(a - b) / b
    return {"within5_pct": float(100 * np.mean(err <= 0.05)), "within10_pct": float(100 * np.mean(err <= 0.10)),
            "median_abs_pct": float(100 * np.median(err)), "max_abs_pct": float(100 * err.max()),
            "kendall": float(kendalltau(a, b).statistic)}


def remeasure(profile, archs: list, protocol, seed: int) -> np.ndarray:
    """Median latency (ms) of each architecture, each in its own fresh session."""
    from tqdm.auto import tqdm

    from hwnas.profiler import create_target, measure_architecture

    runner = create_target(profile.target.name, threads=profile.target.threads,
                           batch_size=profile.target.batch_size)
    return np.array([measure_architecture(profile.space, a, runner, protocol, profile.input_shape, seed).median_ms
                     for a in tqdm(archs, desc=f"re-measure {profile.space.name}", leave=False)])


def run_profile(path: Path, n: int, seed: int) -> list[dict]:
    from hwnas.profiler import TimingProtocol, load_profile

    profile = load_profile(path)
    nets = profile.networks.sample(n=min(n, len(profile.networks)), random_state=seed)
    archs = [profile.space.parse(s) for s in nets["arch"]]
    stored = nets["median_ms"].to_numpy(float)
    base = profile.protocol
    first = remeasure(profile, archs, base, seed)
    second = remeasure(profile, archs, base, seed + 1)
    long = remeasure(profile, archs, TimingProtocol.from_dict({**base.to_dict(), **LONG}), seed + 2)
    rows = []
    for label, a, b in (("rerun vs rerun (profile protocol)", second, first),
                        ("rerun vs profile", first, stored),
                        ("long protocol vs rerun", long, first),
                        ("long protocol vs profile", long, stored)):
        rows.append({"space": profile.space.name, "comparison": label, "networks": len(archs), **agreement(a, b)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", nargs="+", default=["nb201", "fbnet", "mbconv"])
    ap.add_argument("--root", default=str(REPO / "profiles"), help="profiles root")
    ap.add_argument("--networks", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", default="ort-cpu", help="the profiles' target (their folder is <space>-<target>-t1-b1)")
    ap.add_argument("--name", default="latency_repeatability", help="result file name (another machine's run)")
    args = ap.parse_args()
    started, load_before = time.time(), os.getloadavg()[0]
    rows = []
    for name in args.spaces:
        path = Path(args.root) / f"{name}-{args.target}-t1-b1"
        if not (path / "manifest.json").is_file():
            print(f"skipped {name}: no profile at {path} (run benchmarks/profile_budget.py first)")
            continue
        rows += run_profile(path, args.networks, args.seed)
    summary = {f"{r['space']} {r['comparison']}: within10_pct": r["within10_pct"] for r in rows}
    summary.update({"load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)})
    print(write_results(args.name, rows, summary, started=started,
                        notes=f"Target {args.target}. Each re-measurement builds the network afresh (and, for ONNX "
                              f"Runtime targets, exports it and opens a new session). Long protocol: the "
                              f"profile's protocol with {LONG}."))


if __name__ == "__main__":
    main()
