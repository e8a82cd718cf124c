"""How well do accuracy predictors rank NB201 architectures after seeing 100 or 1000 of them?

``bench_accuracy`` (the function behind ``hwnas bench accuracy``) on both columns of
``../shared/data/nb201/accuracy.csv`` (CIFAR-10 and CIFAR-100 test accuracy after 200 epochs):
for each training size and seed, fit on that many random architectures and predict the other
~15k; Kendall tau, Spearman rho, precision@top-1%, fit time and batch query time per architecture.
Goals: Kendall >= 0.75 with 100, >= 0.88 with 1000; query <= 10 us per architecture.

Rank figures are not timing-sensitive; the fit and query times are (run on a quiet machine).

    python benchmarks/accuracy_table.py --seeds 5
    python benchmarks/accuracy_table.py --seeds 1 --sizes 100 --predictors xgb      # quick check
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import require_shared, write_results  # noqa: E402

COLUMNS = ("cifar10_test_acc", "cifar100_test_acc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--predictors", default="xgb,ensemble", help="comma-separated accuracy predictors")
    parser.add_argument("--zero-cost", default="auto", choices=("auto", "on", "off"))
    args = parser.parse_args()
    table = require_shared("nb201", "accuracy.csv")

    from hwnas.predictors import bench_accuracy

    started = time.time()
    rows, summary, notes = [], {}, set()
    for predictor in args.predictors.split(","):
        for column in COLUMNS:
            result = bench_accuracy("nb201", table, column, [int(s) for s in args.sizes.split(",")], args.seeds,
                                    predictor=predictor, zero_cost=args.zero_cost, progress=False)
            notes.add(result["zero_cost_note"])
            for size, s in result["summary"].items():
                row = {"predictor": predictor, "column": column, "train_size": int(size), "seeds": args.seeds}
                for metric, ms in s.items():
                    row[f"{metric}_mean"], row[f"{metric}_std"] = round(ms["mean"], 4), round(ms["std"], 4)
                rows.append(row)
                summary[f"{predictor} {column} n={size} kendall"] = round(s["kendall"]["mean"], 4)
                print(f"{predictor:>9} {column:>18} n={size:>5}: kendall {s['kendall']['mean']:.4f}"
                      f"±{s['kendall']['std']:.4f}, spearman {s['spearman']['mean']:.4f}, "
                      f"p@1% {s['precision_top1pct']['mean']:.3f}, query {s['query_us_per_arch']['mean']:.2f} us/arch",
                      flush=True)
    write_results("accuracy_table", rows, summary, notes="; ".join(sorted(notes)) +
                  ". Goals: Kendall >= 0.75 (100 archs), >= 0.88 (1000); query <= 10 us/arch.", started=started)


if __name__ == "__main__":
    main()
