"""Are units worth timing in several sessions too? A paired test, like latency_sessions_predictors.

For each space, the units of the default profile's whole networks are timed again in 3 fresh
sessions back to back (the first session: ``unit_sessions=1``; the fastest: ``unit_sessions=3``)
and the networks in 3 sessions (the fastest kept, the default). Two lookup tables are built from
the same sessions and the predictors fitted and scored on each against the same network timings
(5 folds of 80). Timing-sensitive: run on a quiet core.

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/latency_unit_sessions.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, write_results  # noqa: E402
from latency_sessions_predictors import score_predictors, time_sessions  # noqa: E402


def unit_sessions(prof, units: list, sessions: int, seed: int) -> np.ndarray:
    """(n, sessions) medians of each unit, its sessions back to back."""
    from tqdm.auto import tqdm

    from hwnas import build_unit
    from hwnas.profiler import create_target, measure_module

    t = prof.target
    runner = create_target(t.name, threads=t.threads, batch_size=t.batch_size)
    return np.array([[measure_module(runner, build_unit(u), u.input_shape, prof.protocol, seed + j)[0].median_ms
                      for j in range(sessions)] for u in tqdm(units, desc=f"{prof.space.name} units", leave=False)])


def with_table(prof, units: list, ms: np.ndarray):
    """The profile with its lookup table's medians replaced (only these units kept)."""
    from hwnas import UNIT_FIELDS, Unit
    from hwnas.profiler import Profile

    value = dict(zip(units, ms))
    keys = [Unit(*row) for row in prof.lut[list(UNIT_FIELDS)].itertuples(index=False)]
    keep = [k in value for k in keys]
    lut = prof.lut[keep].copy()
    lut["median_ms"] = [value[k] for k, kept in zip(keys, keep) if kept]
    return Profile(lut.reset_index(drop=True), prof.networks, dict(prof.manifest, table_hash=None), None)


def main() -> None:
    from hwnas.profiler import default_profile_dir, load_profile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", nargs="+", default=["nb201", "fbnet", "mbconv"])
    ap.add_argument("--root", default=str(REPO / "profiles"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="latency_unit_sessions")
    args = ap.parse_args()
    started, rows = time.time(), []
    for space in args.spaces:
        prof = load_profile(default_profile_dir(space, root=args.root))
        archs, _ = prof.network_latencies()
        units = list(dict.fromkeys(u for a in archs for u in prof.space.units(a, prof.input_shape)))
        timed_units = unit_sessions(prof, units, 3, args.seed)
        networks = time_sessions(prof, archs, 3, args.seed).min(axis=1)
        for label, ms in (("units: one session", timed_units[:, 0]), ("units: fastest of 3", timed_units.min(axis=1))):
            rows += score_predictors(with_table(prof, units, ms), archs, networks, 5, args.seed, space=space,
                                     table=label, units=len(units))
    best: dict = {}
    for r in rows:
        key = f"{r['space']} {r['table']}: best within10 / Kendall"
        old = best.get(key, (0.0, 0.0))
        best[key] = (max(old[0], r["within10"]), round(max(old[1], r["kendall"]), 3))
    print(write_results(args.name, rows, {k: f"{v[0]:g} / {v[1]}" for k, v in best.items()}, started=started,
                        notes="Both tables come from the same 3 back-to-back sessions per unit (the first; the "
                              "fastest); the networks are the fastest of 3 sessions, the same for both."))


if __name__ == "__main__":
    main()
