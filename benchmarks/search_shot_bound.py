"""How much of ``bench_search``'s regret is the latency doubt, given a perfect accuracy search?

Per (device, quantile, seed) on NB201: every network's true accuracy is known (no accuracy
search at all); the latency on the target is the few-shot model of ``bench_search`` with its
``_FIRST_SHOTS`` design shots, and the pick (``pick_answer``: the same shot rule, the same
``ACCEPT_P``) spends the rest of the ``--latency-shots`` on the whole table. Its regret bounds
what the latency doubt alone costs; the benchmark's regret minus this is what the accuracy
search leaves (which networks it queried). ``--ceiling-latency`` uses the pool's best linear map
near the budget instead of the few-shot model (``search_diag.py``'s, fitted on the whole target
column: a cheat, for a bound).

    python benchmarks/search_shot_bound.py --devices a,b --seeds 4 [--ceiling-latency]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _common import nb201_search_rows, write_results


def _one(t, seed: int, n_lat: int, ceiling) -> dict:
    from hwnas.search._bench import design_shots
    from hwnas.search._bench_shots import pick_answer
    from hwnas.search._latency_shots import FewShotLatency
    from hwnas.search._oracle import QueryBudget

    lat_q = QueryBudget("latency", t.latency, n_lat)
    if ceiling is None:
        model = FewShotLatency(t.space, t.genes, t.pool, seed)
        design_shots(t, model, lat_q, np.random.default_rng(seed))  # the benchmark's own design
    else:
        model = ceiling
    every = np.flatnonzero(~t.degenerate)
    acc_q = QueryBudget("accuracy", t.accuracy, len(every))
    acc_q.query(every)
    pick, verified = pick_answer(t.budget, model, acc_q, lat_q, t.degenerate)
    best = float(t.accuracy[t.latency <= t.budget].max())
    return {"regret": best - float(t.accuracy[pick]), "within": bool(t.latency[pick] <= t.budget),
            "verified": verified, "shots": lat_q.used, "log_std": float(model.log_std_)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--devices", default="")
    p.add_argument("--quantiles", default="0.3,0.5")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--latency-shots", type=int, default=10)
    p.add_argument("--ceiling-latency", action="store_true")
    p.add_argument("--name", default="search_shot_bound")
    args = p.parse_args()
    started = time.time()
    rows = []
    for device, q, t in nb201_search_rows(args.devices, args.quantiles):
        ceiling = None
        if args.ceiling_latency:
            from search_diag import _Ceiling

            ceiling = _Ceiling(t)
        for seed in range(1 if ceiling is not None else args.seeds):  # the ceiling draws nothing
            rows.append({"device": device, "quantile": q, "seed": seed,
                         **_one(t, seed, args.latency_shots, ceiling)})
            print(rows[-1], flush=True)
    summary = {k: float(np.mean([r[k] for r in rows])) for k in ("regret", "within", "verified", "shots")}
    write_results(args.name, rows, summary, started=started,
                  notes=f"every accuracy known; NL={args.latency_shots}, ceiling latency {args.ceiling_latency}")


if __name__ == "__main__":
    main()
