"""Profile budget: every unit of nb201, fbnet and mbconv plus 100 whole networks per space on
ONNX Runtime CPU (1 intra-op thread), and the plain lookup-table sum against the measured networks.

For each space: the distinct units over the whole space, how long profiling took (unit collection
included), the noise level (distribution of the rows' relative IQR), and on the whole networks
the LUT sum against the measurement: MAPE, Kendall tau, share within +-5% and +-10%. Three sums:
plain; less the per-call overhead of an empty graph counted once per extra unit; the same from the
units' fastest runs against the networks' fastest runs. That is the baseline the latency
surrogates must beat. Goal: everything in at most 15 minutes on a 2-core machine.

The profiles land where the latency predictors look by default
(``hwnas.profiler.default_profile_dir``: ``profiles/<space>-ort-cpu-t1-b1``).

Timing-sensitive: run on a quiet machine.

    python benchmarks/profile_budget.py --fresh                                    # the full run
    python benchmarks/profile_budget.py --networks 4 --smoke --root /tmp/pb --fresh  # smoke check
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, write_results  # noqa: E402

from hwnas import get_space  # noqa: E402
from hwnas.profiler import Profile, default_profile_dir, profile  # noqa: E402

BUDGET_S = 15 * 60


def lut_accuracy(predicted: np.ndarray, measured: np.ndarray) -> dict:
    """MAPE (%), Kendall tau and the share (%) within +-5% and +-10% of the measurement."""
    from scipy.stats import kendalltau

    err = np.abs(predicted - measured) / measured
    tau = float(kendalltau(predicted, measured).statistic) if len(measured) > 1 else float("nan")
    return {"mape_pct": float(100 * err.mean()), "kendall_tau": tau,
            "within5_pct": float(100 * np.mean(err <= 0.05)), "within10_pct": float(100 * np.mean(err <= 0.10)),
            "ratio_median": float(np.median(predicted / measured))}


def _remove_profile(path: Path) -> None:
    """Delete a previous profile directory (only one that holds an hwnas profile)."""
    manifest = path / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("kind") == "hwnas-profile":
        shutil.rmtree(path)


def run_space(name: str, args: argparse.Namespace) -> tuple[dict, Profile]:
    space = get_space(name)
    out = default_profile_dir(space, "ort-cpu", threads=args.threads, root=args.root)
    if args.fresh:
        _remove_profile(out)
    # Smoke check: only the units of the sampled networks (the same sample profile() draws).
    archs = space.sample_many(args.networks, rng=args.seed) if args.smoke else None
    started = time.perf_counter()
    prof = profile(space, "ort-cpu", out, archs=archs, networks=args.networks, seed=args.seed,
                   threads=args.threads, progress=not args.no_progress)
    wall = time.perf_counter() - started
    m = prof.manifest
    nets, measured = prof.network_latencies()
    row = {"space": name, "unit_coverage": m["unit_coverage"], "units": len(prof.lut), "networks": len(prof.networks),
           "time_s": round(wall, 1), "measure_s": m["last_run"]["elapsed_s"],
           "measured_units_now": m["last_run"]["measured_units"],
           "measured_networks_now": m["last_run"]["measured_networks"],
           "unit_s": round(m["pace_s"]["unit"], 4), "network_s": round(m["pace_s"]["network"], 4),
           "overhead_us": round(1000 * prof.overhead_ms, 2),
           **{f"noise_{k}": v for k, v in m["noise"].items() if k != "rows"}}
    if len(nets):
        fastest = prof.networks["min_ms"].to_numpy()
        variants = {"lut": (prof.lut_sums(nets), measured),
                    "lut_minus_overhead": (prof.lut_sums(nets, subtract_overhead=True), measured),
                    "lut_min_minus_overhead": (prof.lut_sums(nets, subtract_overhead=True, column="min_ms"), fastest)}
        for prefix, (predicted, reference) in variants.items():
            row.update({f"{prefix}_{k}": v for k, v in lut_accuracy(predicted, reference).items()})
        row["network_ms_min"], row["network_ms_max"] = float(measured.min()), float(measured.max())
    return row, prof


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", nargs="+", default=["nb201", "fbnet", "mbconv"])
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--root", default=str(REPO / "profiles"), help="profiles root (default <repo>/profiles)")
    parser.add_argument("--smoke", action="store_true",
                        help="smoke check: profile only the units of the sampled networks, not the whole space")
    parser.add_argument("--fresh", action="store_true", help="delete this benchmark's previous profiles first")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--name", default=None,
                        help="result file name (default profile_budget, or profile_budget_smoke for a partial run)")
    args = parser.parse_args(argv)
    started = time.time()
    rows = []
    for name in args.spaces:
        row, prof = run_space(name, args)
        rows.append(row)
        print(json.dumps(row), flush=True)
    total = sum(r["time_s"] for r in rows)
    full = not args.smoke and args.networks >= 100 and set(args.spaces) >= {"nb201", "fbnet", "mbconv"}
    summary = {"total_s": round(total, 1), "budget_s": BUDGET_S, "within_budget": total <= BUDGET_S,
               "units": sum(r["units"] for r in rows), "networks": sum(r["networks"] for r in rows),
               "fresh": bool(args.fresh), "profiles_root": args.root, "full_configuration": full}
    notes = ("time_s: wall time of hwnas.profiler.profile per space, unit collection included; a rerun without "
             "--fresh only measures what is missing. lut_*: plain sum of unit medians vs the measured median "
             "of each whole network; lut_minus_overhead_*: the sum less (units - 1) x the empty-graph overhead; "
             "lut_min_minus_overhead_*: the same from each unit's fastest run against each network's fastest run "
             "(robust to a busy machine).")
    write_results(args.name or ("profile_budget" if full else "profile_budget_smoke"), rows, summary, notes=notes, started=started)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
