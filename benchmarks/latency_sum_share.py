"""The few-shot model average with and without the sum member's leave-one-out share (NB201, FBNet).

``fit_log_combination`` averages ~1,100 affine maps of the pool's log latencies with one "sum"
member (latency as a constant plus a cost per operation). By BIC alone, one good sum loses its
weight to the many maps; ``sum_share`` sets its share from leave-one-out errors instead. This
scores both on every real device of each space (the other 20 as pool) and, on NB201, on synthetic
devices built here from the genes, seeded (the 21 real devices as pool): per-operation sums with 0%, 2%, 5% and 10%
log-normal noise (an analytical simulator, measured LUT-like devices), a launch-bound device (a
cost per non-empty edge and per 3x3 convolution, 2% noise), and two columns derived from gold_6240
(times 0.2, recorded on a 0.1 ms grid; times 8 with 8% noise) that must not get worse.

Per device and K: 6 draws of K random non-degenerate shots; the rms log error over the networks
within 0.75-1.33x the device's 0.3-quantile (where a search decides) and the Spearman over all.

    python benchmarks/latency_sum_share.py                      # both spaces, K = 8, 10, 20; 6 draws
    python benchmarks/latency_sum_share.py --spaces nb201 --shots 10 --draws 2 --name latency_sum_share_smoke
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import require_shared, write_results  # noqa: E402

_OP_COST = {"none": 0.0, "skip_connect": 0.05, "nor_conv_1x1": 1.0, "nor_conv_3x3": 9.0, "avg_pool_3x3": 0.6}


def synthetic_columns(space, genes: np.ndarray, table, seed: int = 0) -> dict[str, np.ndarray]:
    """Synthetic device columns (ms) for the rows ``genes`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    ops = list(space.choices[0].options)
    cost = np.array([_OP_COST[o] for o in ops])
    base = 2.0 + 0.3 * cost[genes].sum(axis=1)
    out = {"sum exact": base}
    for pct in (2, 5, 10):
        out[f"sum noise {pct}%"] = base * np.exp(rng.normal(0, pct / 100, len(genes)))
    live = (genes != ops.index("none")).sum(axis=1)
    conv3 = (genes == ops.index("nor_conv_3x3")).sum(axis=1)
    out["launch bound"] = (3 + 0.8 * live + 0.4 * conv3) * np.exp(rng.normal(0, 0.02, len(genes)))
    gold = table.values[:, table.device_index("gold_6240")]
    out["gold x0.2 on 0.1 ms grid"] = np.maximum(0.1, np.round(gold * 0.2, 1))
    out["gold x8, 8% noise"] = gold * 8 * np.exp(rng.normal(0, 0.08, len(genes)))
    return out


def score(Z, counts, y, near, usable, shots: int, draws: int) -> dict[str, float]:
    """Mean near-budget rms log error and Spearman of the average with and without the sum's share."""
    from scipy.stats import spearmanr

    from hwnas.predictors import fit_log_combination

    ly = np.log(y)
    sums = {"average": np.zeros(2), "shared": np.zeros(2)}
    for draw in range(draws):
        rows = np.random.default_rng(100 + draw).choice(np.flatnonzero(usable), shots, replace=False)
        for name, share in (("average", False), ("shared", True)):
            pred = fit_log_combination(Z[rows], ly[rows], count_columns=counts, sum_share=share).predict(Z)
            sums[name] += [np.sqrt(np.mean((pred[near] - ly[near]) ** 2)), spearmanr(pred[usable], ly[usable])[0]]
    return {f"{name} {metric}": float(v / draws)
            for name, s in sums.items() for metric, v in zip(("near rms log error", "Spearman"), s)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", default="nb201,fbnet")
    ap.add_argument("--shots", default="8,10,20")
    ap.add_argument("--draws", type=int, default=6)
    ap.add_argument("--name", default="latency_sum_share")
    args = ap.parse_args()
    started = time.time()
    from hwnas import list_spaces

    unknown = [s for s in args.spaces.split(",") if s not in ("nb201", "fbnet")]
    if unknown:  # the shared tables hold these two spaces
        raise SystemExit(f"latency_sum_share: no shared latency table for space(s) {', '.join(unknown)}; "
                         f"known: nb201, fbnet (registered spaces: {', '.join(list_spaces())})")
    rows, summary = [], {}
    for space_name in args.spaces.split(","):
        for shots in (int(k) for k in args.shots.split(",")):
            rows += space_rows(space_name, shots, args.draws)
            for kind in ("real", "synthetic"):
                mine = [r for r in rows if (r["space"], r["K"], r["kind"]) == (space_name, shots, kind)]
                for key in [k for k in (mine[0] if mine else {}) if k.startswith(("average", "shared"))]:
                    mean = float(np.mean([r[key] for r in mine]))
                    summary[f"{space_name} K={shots} {kind} mean {key}"] = round(mean, 4)
    write_results(args.name, rows, summary, started=started,
                  notes=f"{args.draws} draws of K random shots per device (never a degenerate network); near: within "
                        "0.75-1.33x the device's 0.3-quantile; Spearman over every measured network. Real devices: the "
                        "other 20 as pool; synthetic: all 21.")


def space_rows(space_name: str, shots: int, draws: int) -> list[dict]:
    """One row per device of ``space_name`` (and NB201's synthetic ones) at K = ``shots``."""
    from hwnas import get_space
    from hwnas.datasets import load_latency_table
    from hwnas.predictors import LatencyFeatures, PriorColumns, is_count_column

    space = get_space(space_name)
    table = load_latency_table(require_shared(space_name) / "latency_ms.csv", space)
    genes = space.genes_array(table.archs)
    degenerate = space.degenerate_mask(genes)
    columns = {d: table.values[:, table.device_index(d)] for d in table.devices}
    if space_name == "nb201":
        columns.update(synthetic_columns(space, genes, table))
    rows = []
    for device, y in columns.items():
        pool = table.without([device]) if device in table.devices else table
        prior = PriorColumns(LatencyFeatures(space), pool, seed=0, use_costs=False, use_counts=True)
        counts = [j for j, c in enumerate(prior.columns) if is_count_column(c)]
        usable = np.isfinite(y) & ~degenerate
        y = np.where(usable, y, 1.0)
        budget = np.quantile(y[usable], 0.3)
        near = usable & (y > 0.75 * budget) & (y < 1.33 * budget)
        rows.append({"space": space_name, "K": shots, "device": device,
                     "kind": "real" if device in table.devices else "synthetic",
                     **score(prior.matrix(genes, prior.columns), counts, y, near, usable, shots, draws)})
    return rows


if __name__ == "__main__":
    main()
