"""How repeatable a whole-network latency is when timed in one fresh session, or in several.

Each network is built, exported and timed in S fresh sessions (ONNX Runtime sessions on
``ort-cpu``), the sessions of one pass interleaved across the networks so that each session of a
network runs at a different moment; a second pass does the same again. Two passes agree as well
as the statistic kept per network allows: one session, the median of k, or the fastest of k
(``TimingProtocol.network_sessions`` keeps the fastest). Reported per space and statistic: the
share of networks whose two values agree within +-5% / +-10%, the median difference, and the time
one session takes. Timing-sensitive: run on a quiet core.

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/latency_sessions.py
    python benchmarks/latency_sessions.py --spaces nb201 --networks 10 --sessions 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_results  # noqa: E402


def one_pass(space, archs: list, sessions: int, seed: int) -> np.ndarray:
    """Median latency (ms) of each network in each of ``sessions`` fresh sessions: shape (n, S)."""
    from tqdm.auto import tqdm

    from hwnas.profiler import TimingProtocol, create_target, measure_architecture

    runner, single = create_target("ort-cpu"), TimingProtocol(network_sessions=1)
    out = np.empty((len(archs), sessions))
    with tqdm(total=out.size, desc=f"{space.name} pass {seed}", leave=False) as bar:
        for j in range(sessions):
            for i, arch in enumerate(archs):
                out[i, j] = measure_architecture(space, arch, runner, single, None, seed + j).median_ms
                bar.update()
    return out


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    err = np.abs(a / b - 1)
    return {"within5_pct": float(100 * np.mean(err <= 0.05)), "within10_pct": float(100 * np.mean(err <= 0.10)),
            "median_abs_pct": float(100 * np.median(err)), "max_abs_pct": float(100 * err.max())}


def score_space(name: str, n: int, sessions: int, seed: int) -> list[dict]:
    from hwnas import get_space

    space = get_space(name)
    archs = space.sample_many(n, rng=seed)
    started = time.time()
    first, second = one_pass(space, archs, sessions, 0), one_pass(space, archs, sessions, 1000)
    per_session_s = (time.time() - started) / (2 * first.size)
    stats = [("one session", lambda x: x[:, 0])]
    for k in sorted({2, 3, sessions} - {1}):
        if k <= sessions:
            stats += [(f"median of {k}", lambda x, k=k: np.median(x[:, :k], axis=1)),
                      (f"fastest of {k}", lambda x, k=k: x[:, :k].min(axis=1))]
    spread = float(100 * np.median((first.max(1) - first.min(1)) / np.median(first, 1)))
    return [{"space": name, "statistic": label, "networks": n, **agreement(f(second), f(first)),
             "session_s": round(per_session_s, 3), "spread_of_sessions_pct": round(spread, 1)}
            for label, f in stats]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", nargs="+", default=["nb201", "fbnet", "mbconv"])
    ap.add_argument("--networks", type=int, default=30)
    ap.add_argument("--sessions", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="latency_sessions")
    args = ap.parse_args()
    started, load_before = time.time(), os.getloadavg()[0]
    rows = []
    for name in args.spaces:
        rows += score_space(name, args.networks, args.sessions, args.seed)
        print(*[f"{r['space']:6} {r['statistic']:14} within10 {r['within10_pct']:5.1f}%  within5 "
                f"{r['within5_pct']:5.1f}%" for r in rows if r["space"] == name], sep="\n", flush=True)
    summary = {f"{r['space']} {r['statistic']}: within10_pct": r["within10_pct"] for r in rows
               if r["statistic"] in ("one session", "fastest of 3")}
    summary.update({"load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)})
    print(write_results(args.name, rows, summary, started=started,
                        notes="Two passes, each timing every network in S fresh ort-cpu sessions (1 thread, the "
                              "default TimingProtocol otherwise); agreement of pass 2 against pass 1 under each "
                              "statistic. spread_of_sessions_pct: median over networks of (slowest - fastest "
                              "session) / median session, in pass 1."))


if __name__ == "__main__":
    main()
