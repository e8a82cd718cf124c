"""Does a few minutes of real training rank NB201 architectures like their 200-epoch accuracy?

Trains N seeded-random NB201 architectures with ``train_proxy`` (``build_accuracy_dataset``,
joblib in parallel, resumable: rerun the same command after an interruption) and compares the
proxy validation accuracy with NB201's 200-epoch CIFAR-10 and CIFAR-100 test accuracy: Kendall
tau, Spearman rho, and the cost per architecture. Timing-sensitive (cost): a quiet machine.

Default budget: 16x16 area-downsampled CIFAR-10, 2000 training images, 5 epochs, batch 64, SGD
lr 0.1 cosine, validation on 1000 held-out training images. Measured on a busy machine: one epoch
plus evaluation costs 7.5 s CPU for a typical cell and 20 s for the all-3x3 cell, so ~40 s per
architecture on average and 32 architectures in ~12 min with 2 jobs on a quiet 2-core machine.

    python benchmarks/accuracy_proxy.py --archs 32 --n-jobs 2
    python benchmarks/accuracy_proxy.py --archs 3 --epochs 1 --subset 256 --val-size 256 --out runs/proxy_check
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, require_shared, write_results  # noqa: E402


def main() -> None:
    from hwnas.datasets import ProxyBudget

    d = ProxyBudget()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0, help="which architectures, and the training seed")
    parser.add_argument("--epochs", type=int, default=d.epochs)
    parser.add_argument("--subset", type=int, default=d.subset)
    parser.add_argument("--val-size", type=int, default=d.val_size)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--resolution", type=int, default=d.resolution)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", default=str(REPO / "runs" / "accuracy_proxy"))
    args = parser.parse_args()
    table_path = require_shared("nb201", "accuracy.csv")
    require_shared("cifar10", "train_jpeg.npz")

    from hwnas import get_space
    from hwnas.datasets import build_accuracy_dataset, load_accuracy_table
    from hwnas.predictors import ranking_metrics

    started = time.time()
    space = get_space("nb201")
    table = load_accuracy_table(table_path, space).set_index("arch")
    rng = np.random.default_rng(args.seed)
    archs = table.index.to_numpy()[rng.choice(len(table), args.archs, replace=False)].tolist()
    budget = ProxyBudget(epochs=args.epochs, subset=args.subset, val_size=args.val_size, batch_size=args.batch_size,
                         resolution=args.resolution, seed=args.seed, dataset="cifar10")
    frame = build_accuracy_dataset(space, archs, budget, args.out, n_jobs=args.n_jobs).set_index("arch")
    rows, summary = [], {"architectures": len(frame), "wall_s": round(time.time() - started, 1),
                         "seconds_per_arch_mean": round(float(frame["seconds"].mean()), 2),
                         "seconds_per_arch_max": round(float(frame["seconds"].max()), 2)}
    for column in ("cifar10_test_acc", "cifar100_test_acc"):
        m = ranking_metrics(table.loc[frame.index, column].to_numpy(), frame["accuracy"].to_numpy(), 0.1)
        summary[f"kendall_vs_{column}"] = round(m["kendall"], 4)
        summary[f"spearman_vs_{column}"] = round(m["spearman"], 4)
    for arch, r in frame.iterrows():
        rows.append({"arch": arch, "proxy_accuracy": round(r["accuracy"], 2), "seconds": round(r["seconds"], 1),
                     "nb201_cifar10": round(table.loc[arch, "cifar10_test_acc"], 2),
                     "nb201_cifar100": round(table.loc[arch, "cifar100_test_acc"], 2)})
    print(summary)
    write_results("accuracy_proxy", rows, summary, started=started,
                  notes=f"budget: {budget}; n_jobs={args.n_jobs}; cost is per architecture inside one job "
                        "(one torch thread each).")


if __name__ == "__main__":
    main()
