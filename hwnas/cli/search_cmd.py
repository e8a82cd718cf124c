"""``hwnas search`` and ``hwnas bench search``."""

from __future__ import annotations

import argparse
import json

from .._errors import ConfigError
from ._command import Command


def _pairs(items: list[str] | None, what: str, single_key: str | None = None) -> dict[str, str]:
    """``NAME=VALUE`` options; a bare ``VALUE`` is allowed when there is a single obvious name."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            if single_key is None:
                raise ConfigError(f"{what}: expected DEVICE=VALUE, got {item!r}")
            name, value = single_key, item
        out[name.strip()] = value.strip()
    return out


def _float(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{what}: {text!r} is not a number") from None


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", required=True, help="search space (see `hwnas spaces`)")
    p.add_argument("--strategy", default="evolution", help="random, evolution, nsga2, bayes or rl")
    p.add_argument("--accuracy-predictor", metavar="DIR", help="a saved accuracy predictor (`hwnas fit accuracy`)")
    p.add_argument("--accuracy-table", metavar="CSV", help="an accuracy table (arch + columns in %%)")
    p.add_argument("--accuracy-column", metavar="C", help="the accuracy table's column to use")
    p.add_argument("--latency-predictor", action="append", metavar="DEVICE=DIR",
                   help="a saved latency predictor for a device (repeat for several devices)")
    p.add_argument("--latency-table", metavar="CSV", help="a measurement table (arch + one column per device)")
    p.add_argument("--device", action="append", default=[], help="device column(s) of --latency-table to use")
    p.add_argument("--budget", action="append", metavar="[DEVICE=]MS", help="latency budget in ms (per device)")
    p.add_argument("--multi-device", default="constraints", choices=("constraints", "sum", "worst"),
                   help="several devices: budget per device + summed loss, summed loss only, or worst case")
    p.add_argument("--max-params", type=float, help="cap on parameters")
    p.add_argument("--max-flops", type=float, help="cap on multiply-adds")
    p.add_argument("--evals", type=int, default=5000, help="surrogate evaluations (default 5000)")
    p.add_argument("--batch-size", type=int, help="proposals per ask (default: the population)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", default="runs/search", help="where config/history/pareto go; rerun to resume")
    p.add_argument("--report-budgets", default="", metavar="MS,MS", help="budgets to report the best architecture for")
    p.add_argument("--measure-target", help="measure candidates for real on this local target (active loop)")
    p.add_argument("--measure-device", help="the device whose latency --measure-target measures")
    p.add_argument("--measure-queries", type=int, default=0, help="real measurements allowed")
    p.add_argument("--rounds", type=int, default=3, help="active-loop rounds")
    p.add_argument("--json", action="store_true", help="print pareto.json's content")


def _search(args: argparse.Namespace) -> int:
    from hwnas.search import search

    devices = list(args.device) or [d for d in _pairs(args.latency_predictor, "--latency-predictor")]
    single = devices[0] if len(devices) == 1 else None
    budgets = {d: _float(v, "--budget") for d, v in _pairs(args.budget, "--budget", single).items()}
    report = [_float(b, "--report-budgets") for b in args.report_budgets.split(",") if b.strip()]
    result = search(args.space, args.strategy, args.accuracy_predictor, args.accuracy_table, args.accuracy_column,
                    _pairs(args.latency_predictor, "--latency-predictor"), args.latency_table, args.device,
                    budgets, args.multi_device, args.max_params, args.max_flops, args.evals, args.batch_size,
                    args.seed, args.run_dir, report, args.measure_target, args.measure_device,
                    args.measure_queries, args.rounds)
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(f"run directory {args.run_dir}: {summary['n_distinct']} architectures evaluated, "
          f"{summary['n_feasible']} feasible, {len(summary['pareto'])} on the Pareto front")
    for title, rec in [("best", summary["best"])] + [(f"best at {b['metric']} <= {b['budget']:g}", b["best"])
                                                      for b in summary["best_per_budget"]]:
        if rec is None:
            print(f"{title}: none feasible")
            continue
        vals = ", ".join(f"{m} {v['value']:.4g}±{v['std']:.2g} ({v['source']})" for m, v in rec["values"].items())
        print(f"{title}: {rec['arch']}\n    {vals}")
    return 0


def _bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", required=True)
    p.add_argument("--accuracy-table", required=True, metavar="A.csv")
    p.add_argument("--accuracy-column", required=True, metavar="C")
    p.add_argument("--latency-table", required=True, metavar="L.csv")
    p.add_argument("--device", required=True, metavar="D")
    p.add_argument("--budget-quantile", required=True, type=float, metavar="Q")
    p.add_argument("--pool", metavar="POOL.csv", help="prior devices' measurements (fully known)")
    p.add_argument("--accuracy-queries", required=True, type=int, metavar="NA")
    p.add_argument("--latency-shots", required=True, type=int, metavar="NL")
    p.add_argument("--strategy", required=True, metavar="NAME")
    p.add_argument("--seeds", required=True, type=int, metavar="N")
    p.add_argument("--json", required=True, metavar="OUT.json")


def _bench(args: argparse.Namespace) -> int:
    from hwnas.search import bench_search

    r = bench_search(args.space, args.accuracy_table, args.accuracy_column, args.latency_table, args.device,
                     args.budget_quantile, args.pool, args.accuracy_queries, args.latency_shots, args.strategy,
                     args.seeds, args.json)
    print(f"{r['strategy']} on {r['device']}: budget {r['budget_ms']:.4g} ms (q={r['budget_quantile']}), "
          f"best within budget {r['best_within_budget_accuracy']:.3f}%")
    hv = "hypervolume_ratio" in r["mean"]
    # queried: the regret of a perfect choice among the networks the search queried (its own loss)
    print(f"{'seed':>4} {'accuracy':>9} {'latency':>9} {'in budget':>9} {'regret':>7} {'queried':>7}"
          + (f" {'HV ratio':>8}" if hv else ""))
    for s in r["seeds"] + [dict(r["mean"], seed="mean")]:
        queried = "-" if s["queried_regret"] is None else f"{s['queried_regret']:.3f}"
        line = (f"{s['seed']:>4} {s['true_accuracy']:>9.3f} {s['true_latency_ms']:>9.4g} "
                f"{float(s['within_budget']):>9.2f} {s['regret']:>7.3f} {queried:>7}")
        print(line + (f" {s['hypervolume_ratio']:>8.3f}" if hv else ""))
    return 0


COMMANDS = [
    Command(("search",), "search a space on surrogates (optionally measuring the best candidates)", _search_args, _search),
    Command(("bench", "search"), "benchmark a constrained search with counted true queries on tables", _bench_args, _bench),
]
