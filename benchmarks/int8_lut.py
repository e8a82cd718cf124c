"""Does an INT8 lookup table (``ort-cpu-int8``) tell which networks are fast in INT8?

Profiles the units of ``--networks`` sampled architectures twice on this machine, on ``ort-cpu``
(FP32) and ``ort-cpu-int8`` (each unit's static QDQ graph), and times the same networks whole on
both. Reports how the INT8 table's sum ranks the networks' measured INT8 latency, against the FP32
table (what a search without an INT8 table has), and how its predicted speed-up (INT8 sum over
FP32 sum) ranks the measured one (INT8 over FP32, whole networks). Timing-sensitive: run it on a
quiet machine. Resumes (the profiles do).

    python benchmarks/int8_lut.py --space mbconv --networks 30
    python benchmarks/int8_lut.py --from-profiles profiles/mbconv-ort-cpu-t1-b1 profiles/mbconv-ort-cpu-int8-t1-b1 \
        --name int8_lut_profiles
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from _common import write_results


TARGETS = ("ort-cpu", "ort-cpu-int8")


def _measured(prof, archs) -> np.ndarray:
    ms = dict(zip(*prof.network_latencies()))
    return np.array([ms[a] for a in archs])


def _profiles(args) -> tuple[dict, list]:
    """The FP32 and INT8 profiles and the networks both timed: two existing profiles
    (``--from-profiles``), or the units and networks of sampled architectures profiled here."""
    from hwnas import get_space
    from hwnas.profiler import load_profile, profile

    if args.from_profiles:
        profs = {t: load_profile(d) for t, d in zip(TARGETS, args.from_profiles)}
        int8_archs = set(profs["ort-cpu-int8"].network_latencies()[0])
        common = [a for a in profs["ort-cpu"].network_latencies()[0] if a in int8_archs]
        if len(common) < 3:
            raise SystemExit(f"int8_lut: the two profiles share {len(common)} timed networks; 3 at least are needed")
        return profs, common
    space = get_space(args.space)
    archs = space.sample_many(args.networks, rng=args.seed)
    return {t: profile(space, t, Path(args.root) / f"{args.space}-{t}", archs=archs, networks=len(archs))
            for t in TARGETS}, archs


def main() -> None:
    from scipy.stats import kendalltau, spearmanr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", default="mbconv")
    ap.add_argument("--networks", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--root", default="/tmp/hwnas-int8-lut", help="where the two profiles are written (resumable)")
    ap.add_argument("--name", default="int8_lut")
    ap.add_argument("--from-profiles", nargs=2, metavar=("FP32_DIR", "INT8_DIR"),
                    help="compare two existing profiles of one space on their common networks (no timing)")
    args = ap.parse_args()
    started = time.time()
    profs, archs = _profiles(args)
    space = profs["ort-cpu"].space
    fp32, int8 = (_measured(profs[t], archs) for t in TARGETS)
    lut32, lut8 = (profs[t].lut_sums(archs, subtract_overhead=True) for t in TARGETS)
    speedup, predicted = fp32 / int8, lut32 / lut8
    rows = [{"arch": space.format(a), "fp32_ms": f, "int8_ms": q, "speedup": s, "fp32_lut_ms": l32,
             "int8_lut_ms": l8, "predicted_speedup": p}
            for a, f, q, s, l32, l8, p in zip(archs, fp32, int8, speedup, lut32, lut8, predicted)]
    per_unit = {t: profs[t].manifest["elapsed_s"] / max(1, len(profs[t].lut)) for t in profs}
    summary = {
        "networks": len(archs), "units": len(profs["ort-cpu-int8"].lut),
        "spearman int8 lut vs int8 measured": float(spearmanr(lut8, int8)[0]),
        "spearman fp32 lut vs int8 measured": float(spearmanr(lut32, int8)[0]),
        "spearman fp32 lut vs fp32 measured": float(spearmanr(lut32, fp32)[0]),
        "spearman predicted vs measured speed-up": float(spearmanr(predicted, speedup)[0]),
        "kendall predicted vs measured speed-up": float(kendalltau(predicted, speedup)[0]),
        "measured speed-up median": float(np.median(speedup)), "measured speed-up max": float(speedup.max()),
        "share measured speed-up >= 1.5": float(np.mean(speedup >= 1.5)),
        "profile s per unit, fp32": per_unit["ort-cpu"], "profile s per unit, int8": per_unit["ort-cpu-int8"],
    }
    where = (f"the common networks of {args.from_profiles[0]} and {args.from_profiles[1]}" if args.from_profiles
             else f"{len(archs)} networks sampled with seed {args.seed}")
    notes = (f"{space.name}, {where}; sums less (units - 1) x the call overhead; speed-up = FP32 / INT8 median "
             "latency of the whole network, each timed in its own profile (not interleaved). s per unit: the "
             "profile's wall time (units and networks) per unit.")
    print(write_results(args.name, rows, summary, notes=notes, started=started))


if __name__ == "__main__":
    main()
