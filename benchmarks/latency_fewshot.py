"""Few-shot latency transfer, leave one device out, on the shared HELP tables (NB201, FBNet).

``hwnas bench latency`` with the table also as pool: each device in turn is scored from K shots
with the 20 others as prior devices (a pool column named like the scored device is left out).
Mean Spearman over devices, next to HELP's 0.932 (10 shots) and FLOPs alone (0.787). Not
timing-sensitive.

Each space also gets ceiling rows, what no few-shot predictor can be expected to beat: ``ties``
(the Spearman of a prediction in perfect order, capped only by the ties of columns recorded in
whole milliseconds), ``own column, all rows`` (5-fold cross-validated Spearman of a per-choice
additive model fitted on the device's own full column: its measurement noise) and ``pool,
all rows`` (the best affine map of the pool's log columns, fitted on every row of the device).

    python benchmarks/latency_fewshot.py                          # K = 5, 10, 20 (and 10 without a pool); 3 seeds
    python benchmarks/latency_fewshot.py --shots 10 --seeds 1 --spaces fbnet --name latency_fewshot_smoke
    python benchmarks/latency_fewshot.py --no-counts --name latency_fewshot_nocounts  # without the per-choice sum
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, require_shared, write_results  # noqa: E402

from hwnas import get_space, write_json_atomic  # noqa: E402
from hwnas.datasets import load_latency_table  # noqa: E402
from hwnas.predictors import LATENCY_SCORES, bench_latency  # noqa: E402


def ceilings(space_name: str, table_path: Path, seed: int = 0) -> dict[str, dict[str, float]]:
    """Per device: the ``ties``, ``own column, all rows`` and ``pool, all rows`` Spearman ceilings."""
    from scipy.stats import spearmanr

    space = get_space(space_name)
    table = load_latency_table(table_path, space)
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(len(table.archs)), space.encode_genes(space.genes_array(table.archs))])
    logs = np.log(table.values)
    out = {}
    for j, device in enumerate(table.devices):
        y, rows = table.values[:, j], np.isfinite(table.values[:, j])
        fold = rng.integers(0, 5, size=len(y))
        cv = np.full(len(y), np.nan)
        for f in range(5):  # least squares on the one-hot choices: a learned lookup table per device
            train, test = rows & (fold != f), rows & (fold == f)
            cv[test] = X[test] @ np.linalg.lstsq(X[train], logs[train, j], rcond=None)[0]
        pool = np.column_stack([np.ones(len(y)), np.delete(logs, j, axis=1)])
        full = rows & np.isfinite(pool).all(axis=1)
        fit = pool[full] @ np.linalg.lstsq(pool[full], logs[full, j], rcond=None)[0]
        out[device] = {"ties": float(spearmanr(y[rows], y[rows] + rng.uniform(-1e-9, 1e-9, rows.sum())).statistic),
                       "own column, all rows": float(spearmanr(y[rows], cv[rows]).statistic),
                       "pool, all rows": float(spearmanr(y[full], fit).statistic)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", nargs="+", default=["nb201", "fbnet"])
    ap.add_argument("--shots", nargs="+", type=int, default=[5, 10, 20])
    ap.add_argument("--no-pool-shots", nargs="*", type=int, default=[10],
                    help="also score these K without a pool (the cost columns alone: a device with nothing to transfer from)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--no-counts", action="store_true",
                    help="without the model of latency as a sum of per-choice costs (the ablation)")
    ap.add_argument("--name", default="latency_fewshot")
    args = ap.parse_args()
    started = time.time()
    rows, per_device, summary = [], {}, {}
    for space in args.spaces:
        table = require_shared(space, "latency_ms.csv")
        ceiling = ceilings(space, table)
        per_device[f"{space}/ceiling"] = ceiling
        for what in ("ties", "own column, all rows", "pool, all rows"):
            summary[f"{space} ceiling ({what}) mean Spearman"] = round(float(np.mean([c[what] for c in ceiling.values()])), 4)
        runs = [(k, True) for k in args.shots] + [(k, False) for k in args.no_pool_shots]
        for k, with_pool in runs:
            tag = f"K={k}" if with_pool else f"K={k}, no pool"
            r = bench_latency(space, table, pool=table if with_pool else None, shots=k, seeds=args.seeds,
                              progress=False, counts=not args.no_counts,
                              json_path=RESULTS / f"{args.name}_{space}_k{k}{'' if with_pool else '_nopool'}.json")
            per_device[f"{space}/{tag}"] = {d: v["spearman"]["mean"] for d, v in r["devices"].items()}
            worst = min(per_device[f"{space}/{tag}"].items(), key=lambda kv: kv[1])
            no_pool = "none (costs only)" if args.no_counts else "none (costs, counts)"
            rows.append({"space": space, "shots": k, "pool": "the other devices" if with_pool else no_pool,
                         "seeds": args.seeds, "devices": len(r["devices"]), **{s: r["overall"][s] for s in LATENCY_SCORES},
                         "worst_device": f"{worst[0]} ({worst[1]:.3f})", "wall_s": r["wall_s"]})
            print(rows[-1], flush=True)
    summary.update({f"{r['space']} K={r['shots']}{'' if r['pool'].startswith('the') else ' no pool'} mean Spearman":
                    round(r["spearman"], 4) for r in rows})
    write_json_atomic(RESULTS / f"{args.name}_ceilings.json", {k: v for k, v in per_device.items() if k.endswith("ceiling")})
    write_results(args.name, rows, summary, started=started,
                  notes="Leave-one-device-out; per-device details in "
                        f"{args.name}_<space>_k<K>.json, ceilings per device in {args.name}_ceilings.json. "
                        "References: HELP 0.932 (K=10), FLOPs alone 0.787.")


if __name__ == "__main__":
    main()
