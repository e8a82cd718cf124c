"""Where does the constrained search's regret come from? A diagnostic of ``bench_search`` on NB201.

Per (device, quantile, seed): was the best feasible network (or one within 0.1 points) ever
queried; the best truly-feasible accuracy among the queried ones (the regret a perfect pick would
have); the regret of the actual pick; the few-shot latency model's belief about the best feasible
networks (probability within budget, screened out or not); and how the accuracy surrogate, refitted
on the final queries, ranks the best feasible network among all feasible ones.

    python benchmarks/search_diag.py --devices a,b --seeds 2 [--oracle-latency | --ceiling-latency]

``--ceiling-latency`` replaces the few-shot model by the best any linear map of the pool's log
latencies can do near the budget: least squares fitted on the target's *whole* column (networks
within 0.75-1.33x the budget, degenerate ones left out), with that fit's rms as its uncertainty.
It cheats on purpose: it bounds what a better few-shot fit of the same pool could gain.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _common import nb201_search_rows, write_results


class _Oracle:
    """A latency "model" that knows the truth (isolates the accuracy search from latency doubt)."""

    def __init__(self, latency: np.ndarray) -> None:
        self.mean_, self.log_std_ = latency, 1e-6

    def prior(self) -> np.ndarray:
        return np.log(self.mean_)

    def fit(self, rows, ms) -> "_Oracle":
        return self


class _Ceiling(_Oracle):
    """The pool's near-budget linear fit on the whole target column (a bound, see the docstring)."""

    def __init__(self, t) -> None:
        X = _pool_logs(t)
        y = np.log(t.latency)
        near = (t.latency > 0.75 * t.budget) & (t.latency < 1.33 * t.budget) & ~t.degenerate
        A = np.column_stack([X, np.ones(len(X))])
        coef, *_ = np.linalg.lstsq(A[near], y[near], rcond=None)
        self.mean_ = np.exp(A @ coef)
        self.log_std_ = float(np.sqrt(np.mean((y[near] - np.log(self.mean_[near])) ** 2)))


def _pool_logs(t) -> np.ndarray:
    """Log latency of every universe row on every pool device."""
    rows = t.pool.row_indices([t.space.make(g) for g in t.genes])
    return np.log(t.pool.values[rows])


def main() -> None:
    from hwnas.search import _bench as B
    from hwnas.search._bench_shots import p_within_rows, pick_answer

    p = argparse.ArgumentParser()
    p.add_argument("--devices", default="1080ti_1,pixel3,samsung_a50,silver_4114")
    p.add_argument("--quantiles", default="0.3,0.5")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--strategy", default="bayes")
    p.add_argument("--name", default="search_diag")
    p.add_argument("--params", default="{}", help="JSON: strategy parameters over the benchmark's")
    latency = p.add_mutually_exclusive_group()
    latency.add_argument("--oracle-latency", action="store_true", help="the true latency instead of the few-shot model")
    latency.add_argument("--ceiling-latency", action="store_true",
                         help="the pool's best linear fit near the budget, fitted on the whole target column")
    args = p.parse_args()
    started = time.time()
    rows = []
    for device, q, t in nb201_search_rows(args.devices, args.quantiles):
        feasible = t.latency <= t.budget
        best = float(t.accuracy[feasible].max())
        top = np.flatnonzero(feasible & (t.accuracy >= best - 0.1))
        # fixed models (shots do not change them): built once per device and budget
        oracle = _Oracle(t.latency) if args.oracle_latency else _Ceiling(t) if args.ceiling_latency else None
        for seed in range(args.seeds):
            start = time.time()
            acc_q, lat_q, model = B._query(t, args.strategy, seed, 100, 10, model=oracle,
                                           params=json.loads(args.params))
            pick, _ = pick_answer(t.budget, model, acc_q, lat_q, t.degenerate)
            queried = np.fromiter(acc_q.known, dtype=np.int64)
            ok = queried[feasible[queried]]
            p_top = p_within_rows(t.budget, model, lat_q, top)
            screened = B._excess(t, model, lat_q, top) > 0
            lat_err = np.log(model.mean_ / t.latency)
            rows.append({"device": device, "quantile": q, "seed": seed,
                         "regret": best - float(t.accuracy[pick]), "within": bool(feasible[pick]),
                         "queried_regret": best - float(t.accuracy[ok].max()) if ok.size else np.nan,
                         "top_queried": int(np.isin(top, queried).sum()), "n_top": len(top),
                         "top_p_within_min": float(min(p_top)), "top_screened": int(screened.sum()),
                         "lat_rmse_log": float(np.sqrt(np.mean(lat_err ** 2))),
                         "lat_log_std": float(model.log_std_),
                         "queried_feasible": int(ok.size), "wall_s": round(time.time() - start, 2)})
            print(rows[-1], flush=True)
    summary = {k: float(np.nanmean([r[k] for r in rows])) for k in
               ("regret", "within", "queried_regret", "top_queried", "top_screened", "lat_rmse_log", "wall_s")}
    write_results(args.name, rows, summary, notes=f"strategy {args.strategy} {args.params}, oracle latency {args.oracle_latency}, ceiling latency {args.ceiling_latency}, NA=100, NL=10", started=started)


if __name__ == "__main__":
    main()
