"""Speed of the search on XGBoost surrogates (issue 6): batched evaluation and a constrained
population-100 x 500-generation regularized evolution, on NAS-Bench-201.

Surrogates: ``accuracy/xgb`` fitted on 200 architectures of ``nb201/accuracy.csv`` and
``latency/xgb`` fitted on 200 architectures of the ``gold_6240`` column of ``nb201/latency_ms.csv``
(both with their default hyper-parameters). Run on one core:

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/search_speed.py

Goals: >= 100,000 architectures/s evaluated in batch; the evolution in <= 5 s.
"""

from __future__ import annotations

import time

import numpy as np

from _common import require_shared, write_results


def _trivial_problem(space, budget: float):
    """The same problem shape with free metrics: what the search layer itself costs."""
    from hwnas.search import Constraint, FunctionMetric, Objective, Problem

    a = FunctionMetric("accuracy", lambda g: g.sum(axis=1).astype(float), source="surrogate")
    b = FunctionMetric("latency", lambda g: g[:, 0].astype(float), source="surrogate")
    return Problem(space, [Objective(a, True), Objective(b)], [Constraint(b, 2.0)])


def main() -> None:
    import pandas as pd

    from hwnas import get_space
    from hwnas.predictors import create_predictor
    from hwnas.search import (Constraint, Objective, PredictorMetric, Problem, create_strategy, random_genes,
                              run_search)

    started = time.time()
    data = require_shared("nb201")
    space = get_space("nb201")
    acc = pd.read_csv(data / "accuracy.csv")
    lat = pd.read_csv(data / "latency_ms.csv")
    rng = np.random.default_rng(0)
    rows = rng.choice(len(acc), 200, replace=False)
    archs = [space.parse(a) for a in acc["arch"].iloc[rows]]
    acc_model = create_predictor("accuracy", "xgb", space).fit(archs, acc["cifar10_test_acc"].iloc[rows])
    lat_model = create_predictor("latency", "xgb", space).fit(archs, lat["gold_6240"].iloc[rows])
    budget = float(np.median(lat["gold_6240"]))
    latency = PredictorMetric("latency", lat_model)
    problem = Problem(space, [Objective(PredictorMetric("accuracy", acc_model), True), Objective(latency)],
                      [Constraint(latency, budget)])
    all_genes = space.genes_array(list(space.enumerate()))
    t = time.perf_counter()
    problem.evaluate(all_genes)  # fills the predictors' per-architecture feature caches
    warm_s = time.perf_counter() - t
    out = []
    for batch in (1_000, 10_000, 100_000):
        genes = random_genes(space, batch, rng)
        t = time.perf_counter()
        reps = max(1, 100_000 // batch)
        for _ in range(reps):
            problem.evaluate(genes)
        rate = reps * batch / (time.perf_counter() - t)
        out.append({"what": f"evaluate accuracy+latency, batch {batch}", "value": rate, "unit": "archs/s"})
    genes = random_genes(space, 100_000, rng)
    for name, fn in [("accuracy/xgb predict_genes alone", acc_model.predict_genes),
                     ("latency/xgb predict_genes alone", lat_model.predict_genes),
                     ("search overhead alone (trivial metrics)", _trivial_problem(space, budget).evaluate)]:
        t = time.perf_counter()
        fn(genes)
        out.append({"what": f"{name}, batch 100000", "value": 100_000 / (time.perf_counter() - t), "unit": "archs/s"})
    for seed in range(3):
        t = time.perf_counter()
        result = run_search(problem, create_strategy("evolution", space, seed=seed, population=100), 50_000, 100)
        secs = time.perf_counter() - t
        best = result.best()
        out.append({"what": f"evolution pop 100 x 500 generations, seed {seed}", "value": secs, "unit": "s",
                    "distinct": result.history.n, "best_accuracy": best["values"]["accuracy"]["value"]})
    summary = {"feature cache warm-up, all 15625 (s)": warm_s,
               "batched evaluation, batch 10,000 (archs/s)": out[1]["value"],
               "evolution 100 x 500, median of 3 (s)": float(np.median([r["value"] for r in out[6:]]))}
    for r in out:
        print(r)
    write_results("search_speed", out, summary, started=started,
                  notes="Goals: >= 100,000 archs/s; evolution <= 5 s. Evaluations are cached per architecture "
                        "(a genome proposed again costs nothing), as in any run.")


if __name__ == "__main__":
    main()
