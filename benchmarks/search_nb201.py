"""Constrained search on NAS-Bench-201 with counted true queries (issue 6's goals).

Each device of ``nb201/latency_ms.csv`` in turn is the target D, the other 20 devices its pool;
budgets at the 0.3 and 0.5 quantiles of D; per seed at most 100 true accuracies
(``cifar10_test_acc``, or ``--accuracy-column``) and 10 true latencies on D. Every strategy runs through ``bench_search``
(what ``hwnas bench search`` calls); the figures are mean regret (points), the share of returned
architectures within budget, and the hypervolume ratio for nsga2/bayes, side by side per strategy.
Finished rows are kept in ``results/<name>.partial.json``: a rerun resumes from them.

    python benchmarks/search_nb201.py [--strategies bayes,random,...] [--seeds 1] [--seeds-for bayes=3]
                                      [--devices a,b] [--accuracy-column C] [--pool-exclude a,b]
                                      [--first-seed 0] [--params JSON] [--name search_nb201]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _common import RESULTS, nb201_search_tables, write_results


def _seeds(args) -> dict[str, int]:
    out = {s: args.seeds for s in args.strategies.split(",")}
    for item in args.seeds_for:
        name, _, n = item.partition("=")
        out[name] = int(n)
    return out


def _summary(rows: list[dict], seeds: dict[str, int]) -> dict:
    summary = {}
    for strategy, n in seeds.items():
        mine = [r for r in rows if r["strategy"] == strategy]
        if not mine:
            continue
        summary[f"{strategy}: seeds"] = n
        summary[f"{strategy}: mean regret (points)"] = float(np.mean([r["regret"] for r in mine]))
        summary[f"{strategy}: within budget"] = float(np.mean([r["within_budget"] for r in mine]))
        queried = [r["queried_regret"] for r in mine if r.get("queried_regret") is not None]
        if queried:  # a perfect final choice among the queried networks: the search's own loss
            summary[f"{strategy}: mean queried regret (points)"] = float(np.mean(queried))
        hv = [r["hypervolume_ratio"] for r in mine if r["hypervolume_ratio"] is not None]
        if hv:
            summary[f"{strategy}: hypervolume ratio"] = float(np.mean(hv))
        summary[f"{strategy}: mean wall s per seed"] = float(np.mean([r["wall_s"] for r in mine]))
    return summary


def main(argv: list[str] | None = None, command: str = "") -> None:
    """``argv``: the arguments (default: the command line's); ``command``: how the results file
    says it was run (default: the command line)."""
    from tqdm import tqdm

    from hwnas import HwnasError, write_json_atomic
    from hwnas.search import BENCH_STRATEGY_PARAMS, bench_search, create_strategy, list_strategies

    p = argparse.ArgumentParser()
    p.add_argument("--strategies", default=",".join(list_strategies()))
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--seeds-for", action="append", default=[], metavar="NAME=N", help="seeds of one strategy")
    p.add_argument("--devices", default="", help="comma-separated subset (default: all)")
    p.add_argument("--quantiles", default="0.3,0.5")
    p.add_argument("--accuracy-queries", type=int, default=100)
    p.add_argument("--latency-shots", type=int, default=10)
    p.add_argument("--accuracy-column", default="cifar10_test_acc",
                   help="the column of nb201/accuracy.csv to maximise (cifar100_test_acc: never tuned on)")
    p.add_argument("--pool-exclude", default="",
                   help="comma-separated devices never in the pool (e.g. a whole family: an unseen kind of device)")
    p.add_argument("--no-pool", action="store_true",
                   help="no prior devices at all: the latency model starts from costs and per-choice counts")
    p.add_argument("--first-seed", type=int, default=0, help="seeds run from here (fresh seeds for a check)")
    p.add_argument("--params", default="{}", help="JSON strategy parameters over BENCH_STRATEGY_PARAMS "
                   "(every strategy run): a variant measured through the very same code path")
    p.add_argument("--name", default="search_nb201")
    args = p.parse_args(argv)
    started = time.time()
    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"search_nb201: --params is not JSON: {exc}") from None
    try:
        space, acc, lat = nb201_search_tables(args.accuracy_column)
    except HwnasError as exc:  # e.g. no such accuracy column: one line, not a traceback
        raise SystemExit(f"search_nb201: {exc}") from None
    seeds = _seeds(args)
    in_effect = {s: {**BENCH_STRATEGY_PARAMS.get(s, {}), **params} for s in seeds}
    for strategy, strategy_params in in_effect.items():  # a bad --params fails now, not after hours of rows
        try:
            create_strategy(strategy, space, 0, **strategy_params)
        except HwnasError as exc:
            raise SystemExit(f"search_nb201: {exc}") from None
    devices = [d for d in args.devices.split(",") if d] or list(lat.devices)
    excluded = [d for d in args.pool_exclude.split(",") if d]
    unknown = sorted(set(excluded) - set(lat.devices))
    if unknown:  # a misspelt device would silently leave the pool whole
        raise SystemExit(f"search_nb201: --pool-exclude names no device of the table: {', '.join(unknown)}")
    if args.no_pool and excluded:
        raise SystemExit("search_nb201: --no-pool and --pool-exclude exclude each other")
    # bench_search also drops the target's own column from the pool
    pool = None if args.no_pool else lat.without(excluded) if excluded else lat
    partial = RESULTS / f"{args.name}.partial.json"
    rows = json.loads(partial.read_text()) if partial.exists() else []
    done = {(r["strategy"], r["device"], r["quantile"]) for r in rows}
    jobs = [(s, d, float(q)) for s in seeds for d in devices for q in args.quantiles.split(",")]
    for strategy, device, q in tqdm([j for j in jobs if j not in done], desc="search_nb201"):
        try:
            r = bench_search("nb201", acc, args.accuracy_column, lat, device, q, pool=pool,
                             accuracy_queries=args.accuracy_queries, latency_shots=args.latency_shots,
                             strategy=strategy, seeds=seeds[strategy], first_seed=args.first_seed,
                             strategy_params=params)
        except HwnasError as exc:  # e.g. a device the table lacks
            raise SystemExit(f"search_nb201: {exc}") from None
        m = r["mean"]
        rows.append({"strategy": strategy, "device": device, "quantile": q, "budget_ms": r["budget_ms"],
                     "regret": m["regret"], "queried_regret": m["queried_regret"], "within_budget": m["within_budget"],
                     "hypervolume_ratio": m.get("hypervolume_ratio"), "wall_s": m["wall_s"],
                     "seed_regrets": [round(s["regret"], 3) for s in r["seeds"]],
                     "seed_within": [int(s["within_budget"]) for s in r["seeds"]]})
        write_json_atomic(partial, rows)
    pool_note = "none (--no-pool)" if pool is None else f"without {excluded or 'nothing but D'}"
    notes = (f"accuracy column {args.accuracy_column}, pool {pool_note}, "
             f"NA={args.accuracy_queries}, NL={args.latency_shots}, seeds per strategy {seeds} from "
             f"{args.first_seed}, strategy parameters over the defaults {params or 'none'} (in effect: "
             f"{in_effect}), "
             f"{len(devices)} devices x quantiles {args.quantiles}; goal: mean regret <= 0.1 with >= 99% within "
             "budget for the best strategy. Hypervolume: accuracy up / latency down within the budget, "
             "reference (worst accuracy, budget). wall_s: mean per seed.")
    write_results(args.name, rows, _summary(rows, seeds), command=command, notes=notes, started=started)
    partial.unlink()


if __name__ == "__main__":
    main()
