"""Constrained search on NAS-Bench-201 with counted true queries (issue 6's goals).

Each device of ``nb201/latency_ms.csv`` in turn is the target D, the other 20 devices its pool;
budgets at the 0.3 and 0.5 quantiles of D; per seed at most 100 true accuracies
(``cifar10_test_acc``) and 10 true latencies on D. Every strategy runs through ``bench_search``
(what ``hwnas bench search`` calls); the figures are mean regret (points), the share of returned
architectures within budget, and the hypervolume ratio for nsga2/bayes.

    python benchmarks/search_nb201.py [--strategies bayes,random,...] [--seeds 3] [--devices a,b]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _common import require_shared, write_results


def main() -> None:
    from hwnas import get_space
    from hwnas.datasets import load_accuracy_table, load_latency_table
    from hwnas.search import bench_search, list_strategies

    p = argparse.ArgumentParser()
    p.add_argument("--strategies", default=",".join(list_strategies()))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--devices", default="", help="comma-separated subset (default: all)")
    p.add_argument("--quantiles", default="0.3,0.5")
    p.add_argument("--accuracy-queries", type=int, default=100)
    p.add_argument("--latency-shots", type=int, default=10)
    p.add_argument("--name", default="search_nb201")
    args = p.parse_args()
    started = time.time()
    data = require_shared("nb201")
    space = get_space("nb201")
    acc = load_accuracy_table(data / "accuracy.csv", space, ["cifar10_test_acc"])
    lat = load_latency_table(data / "latency_ms.csv", space)
    devices = [d for d in args.devices.split(",") if d] or list(lat.devices)
    rows = []
    for strategy in args.strategies.split(","):
        for device in devices:
            for q in (float(x) for x in args.quantiles.split(",")):
                r = bench_search("nb201", acc, "cifar10_test_acc", lat, device, q, pool=lat,
                                 accuracy_queries=args.accuracy_queries, latency_shots=args.latency_shots,
                                 strategy=strategy, seeds=args.seeds)
                m = r["mean"]
                rows.append({"strategy": strategy, "device": device, "quantile": q, "budget_ms": r["budget_ms"],
                             "regret": m["regret"], "within_budget": m["within_budget"],
                             "hypervolume_ratio": m.get("hypervolume_ratio"), "wall_s": m["wall_s"]})
                print(rows[-1], flush=True)
    summary = {}
    for strategy in args.strategies.split(","):
        mine = [r for r in rows if r["strategy"] == strategy]
        summary[f"{strategy}: mean regret (points)"] = float(np.mean([r["regret"] for r in mine]))
        summary[f"{strategy}: within budget"] = float(np.mean([r["within_budget"] for r in mine]))
        hv = [r["hypervolume_ratio"] for r in mine if r["hypervolume_ratio"] is not None]
        if hv:
            summary[f"{strategy}: hypervolume ratio"] = float(np.mean(hv))
    notes = (f"NA={args.accuracy_queries}, NL={args.latency_shots}, seeds={args.seeds}, "
             f"{len(devices)} devices x quantiles {args.quantiles}; goal: mean regret <= 0.1 with >= 99% within "
             "budget for the best strategy. Hypervolume: accuracy up / latency down within the budget, "
             "reference (worst accuracy, budget).")
    write_results(args.name, rows, summary, notes=notes, started=started)


if __name__ == "__main__":
    main()
