"""Zero-cost proxies on NB201: what they cost per architecture and how each ranks alone.

Scores N seeded-random NB201 architectures (or ``--archs all``: the whole space, once; the
scores go to the cache ``~/.cache/hwnas/zero_cost`` and later runs reuse them, as do the accuracy
predictors via ``hwnas bench accuracy --zero-cost auto``) on one CIFAR-10 mini-batch, and reports
the time per architecture and the Kendall tau of each proxy against NB201's 200-epoch accuracy.
Timing-sensitive: a quiet machine.

    python benchmarks/accuracy_zerocost.py --archs all --n-jobs 2      # the full space, cached
    python benchmarks/accuracy_zerocost.py --archs 20                  # quick check
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import require_shared, write_results  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="200", help="how many architectures, or 'all'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--resolution", type=int, default=16, help="area-downsample the batch to this side (0: keep 32)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args()
    table_path = require_shared("nb201", "accuracy.csv")
    require_shared("cifar10", "train_jpeg.npz")

    from hwnas import get_space
    from hwnas.datasets import load_accuracy_table, load_dataset
    from hwnas.predictors import ZERO_COST_PROXIES, compute_zero_cost, ranking_metrics

    started = time.time()
    space = get_space("nb201")
    table = load_accuracy_table(table_path, space).set_index("arch")
    if args.archs == "all":
        archs = table.index.tolist()
    else:
        rng = np.random.default_rng(args.seed)
        archs = table.index.to_numpy()[rng.choice(len(table), int(args.archs), replace=False)].tolist()
    ds = load_dataset("cifar10", cache_dir=args.cache_dir)
    t0 = time.time()
    scores = compute_zero_cost(space, archs, ds, batch_size=args.batch_size, seed=args.seed,
                               cache_dir=args.cache_dir, n_jobs=args.n_jobs, resolution=args.resolution or None)
    wall = time.time() - t0
    rows = []
    for proxy in ZERO_COST_PROXIES:
        row = {"proxy": proxy}
        for column in ("cifar10_test_acc", "cifar100_test_acc"):
            m = ranking_metrics(table.loc[scores.index, column].to_numpy(), scores[proxy].to_numpy(float))
            row[f"kendall_{column}"] = round(m["kendall"], 4)
        rows.append(row)
    summary = {"architectures": len(scores), "seconds_per_arch_mean": round(float(scores["seconds"].mean()), 3),
               "seconds_per_arch_p90": round(float(scores["seconds"].quantile(0.9)), 3),
               "cpu_seconds_total_est": round(float(scores["seconds"].sum()), 1),
               "wall_s_this_run": round(wall, 1), "n_jobs": args.n_jobs, "batch_size": args.batch_size, "resolution": args.resolution or 32,
               "est_hours_all_15625_one_core": round(float(scores["seconds"].mean()) * 15625 / 3600, 2)}
    print(summary)
    for r in rows:
        print(r)
    write_results("accuracy_zerocost", rows, summary, started=started,
                  notes="seconds are per architecture in one process with one torch thread (build + all proxies); "
                        "cached architectures keep the seconds measured when they were scored.")


if __name__ == "__main__":
    main()
