"""Speed of the search on XGBoost surrogates (issue 6): batched evaluation and a constrained
population-100 x 500-generation regularized evolution, on NAS-Bench-201.

Surrogates: ``accuracy/xgb`` fitted on 200 architectures of ``nb201/accuracy.csv`` and
``latency/xgb`` fitted on 200 architectures of the ``gold_6240`` column of ``nb201/latency_ms.csv``
(both with their default hyper-parameters); then the same on FBNet, whose space is too large for any
cache to help (``_fbnet_rows``). Run on one core:

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


_RUNS = 7  # timed runs per figure, each of ~100,000 architectures: this VM's speed varies run to run


def _rates(evaluate, batch: int) -> list[float]:
    """Architectures per second of ``_RUNS`` runs, each of ``100_000 // batch`` calls (at least one)."""
    calls = max(1, 100_000 // batch)
    rates = []
    for _ in range(_RUNS):
        t = time.perf_counter()
        for _ in range(calls):
            evaluate()
        rates.append(calls * batch / (time.perf_counter() - t))
    return rates


def _median(rows: list[dict], prefix: str) -> float:
    return float(np.median([r["value"] for r in rows if r["what"].startswith(prefix)]))


def _iqr(values: list[float]) -> float:
    q1, q3 = np.percentile(values, [25, 75])
    return float(q3 - q1)


def _fbnet_rows(table) -> list[dict]:
    """FBNet (9^22 networks): every timed batch is networks never evaluated, so nothing is cached and
    the latency features are computed (by the space's per-layer unit tables) each time. No FBNet
    accuracy table exists here, so the accuracy predictor is fitted to a stand-in target (minus the
    log latency on pixel3): its speed does not depend on what the target means."""
    import pandas as pd

    from hwnas import get_space
    from hwnas.predictors import create_predictor
    from hwnas.search import Constraint, Objective, PredictorMetric, Problem, create_strategy, random_genes, run_search

    space = get_space("fbnet")
    lat = pd.read_csv(table).head(200)
    archs = [space.parse(a) for a in lat["arch"]]
    acc_model = create_predictor("accuracy", "xgb", space).fit(archs, -np.log(lat["pixel3"]))
    lat_model = create_predictor("latency", "xgb", space).fit(archs, lat["gold_6240"])
    latency = PredictorMetric("latency", lat_model)
    problem = Problem(space, [Objective(PredictorMetric("accuracy", acc_model), True), Objective(latency)],
                      [Constraint(latency, float(lat["gold_6240"].median()))])
    rng = np.random.default_rng(1)
    problem.evaluate(random_genes(space, 100, rng))  # builds the unit tables once
    out = []
    for what, fn in [("evaluate accuracy+latency", problem.evaluate), ("latency/xgb predict_genes alone",
                                                                       lat_model.predict_genes)]:
        batches = iter([random_genes(space, 10_000, rng) for _ in range(_RUNS * 10)])
        rates = _rates(lambda: fn(next(batches)), 10_000)
        out.append({"what": f"fbnet {what}, never-seen networks, batch 10000", "value": float(np.median(rates)),
                    "unit": "archs/s", "iqr": _iqr(rates), "runs": len(rates)})
    for seed in range(3):  # nearly every child is a network never seen
        t = time.perf_counter()
        result = run_search(problem, create_strategy("evolution", space, seed=seed, population=100), 50_000, 100)
        out.append({"what": f"fbnet evolution pop 100 x 500 generations, seed {seed}",
                    "value": time.perf_counter() - t, "unit": "s", "distinct": result.history.n})
    return out


def _mbconv_rows() -> list[dict]:
    """The latency features every latency predictor reads, on MBConv (3.7e24 networks) for networks
    never seen: first use (which costs all of the space's units) and then batches of 10,000."""
    from hwnas import get_space
    from hwnas.predictors import LatencyFeatures
    from hwnas.search import random_genes

    space = get_space("mbconv")
    rng = np.random.default_rng(2)
    features = LatencyFeatures(space)
    t = time.perf_counter()
    features.compute(random_genes(space, 100, rng))
    out = [{"what": "mbconv latency features, first use (100 networks)", "value": time.perf_counter() - t, "unit": "s"}]
    batches = iter([random_genes(space, 10_000, rng) for _ in range(_RUNS * 10)])
    rates = _rates(lambda: features.compute(next(batches)), 10_000)
    out.append({"what": "mbconv latency features, never-seen networks, batch 10000", "value": float(np.median(rates)),
                "unit": "archs/s", "iqr": _iqr(rates), "runs": len(rates)})
    return out


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
        rates = _rates(lambda: problem.evaluate(genes), batch)
        out.append({"what": f"evaluate accuracy+latency, batch {batch}", "value": float(np.median(rates)),
                    "unit": "archs/s", "iqr": _iqr(rates), "runs": len(rates)})
    genes = random_genes(space, 100_000, rng)
    for name, fn in [("accuracy/xgb predict_genes alone", acc_model.predict_genes),
                     ("latency/xgb predict_genes alone", lat_model.predict_genes),
                     ("search overhead alone (trivial metrics)", _trivial_problem(space, budget).evaluate)]:
        rates = _rates(lambda: fn(genes), 100_000)
        out.append({"what": f"{name}, batch 100000", "value": float(np.median(rates)), "unit": "archs/s",
                    "iqr": _iqr(rates), "runs": len(rates)})
    out += _fbnet_rows(require_shared("fbnet") / "latency_ms.csv") + _mbconv_rows()
    for seed in range(3):
        t = time.perf_counter()
        result = run_search(problem, create_strategy("evolution", space, seed=seed, population=100), 50_000, 100)
        secs = time.perf_counter() - t
        best = result.best()
        out.append({"what": f"evolution pop 100 x 500 generations, seed {seed}", "value": secs, "unit": "s",
                    "distinct": result.history.n, "best_accuracy": best["values"]["accuracy"]["value"]})
    summary = {"feature cache warm-up, all 15625 (s)": warm_s,
               "batched evaluation, batch 10,000 (archs/s)": out[1]["value"],
               "evolution 100 x 500, median of 3 (s)": _median(out, "evolution"),
               "fbnet evolution 100 x 500, median of 3 (s)": _median(out, "fbnet evolution"),
               "fbnet, never-seen networks, batch 10,000 (archs/s)": _median(out, "fbnet evaluate"),
               "mbconv latency features, never-seen networks (archs/s)": _median(out, "mbconv latency features, never")}
    for r in out:
        print(r)
    write_results("search_speed", out, summary, started=started,
                  notes="Goals: >= 100,000 archs/s; evolution <= 5 s. FBNet rows: see _fbnet_rows (the accuracy predictor there is fitted to a stand-in target). Each archs/s figure is the median of "
                        f"{_RUNS} timed runs of ~100,000 architectures (iqr: their spread). The latency "
                        "predictor keeps each architecture's prediction once computed (a genome proposed "
                        "again costs nothing, as in any run; the warm-up filled it); the accuracy predictor "
                        "runs XGBoost on every call.")


if __name__ == "__main__":
    main()
