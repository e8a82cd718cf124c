"""``hwnas fit latency``, ``hwnas predict latency``, ``hwnas explain latency`` and ``hwnas bench latency``."""

from __future__ import annotations

import argparse
import json

from ._command import Command

_PREDICTORS = ("lut", "xgb", "gnn", "fewshot", "ensemble")


def _fit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--predictor", default="xgb", choices=_PREDICTORS, help="which surrogate (default xgb)")
    p.add_argument("--space", help="search space (implied by --profile)")
    p.add_argument("--profile", help="profile directory (lookup table + whole-network measurements)")
    p.add_argument("--table", help="measurement table CSV (arch + one column per device)")
    p.add_argument("--column", help="the device column of --table to fit")
    p.add_argument("--pool", help="fewshot: CSV of other devices' measurements used as prior")
    p.add_argument("--max-networks", type=int, default=None, help="fit on at most this many networks")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="directory to save the fitted predictor in")
    p.add_argument("--json", action="store_true", help="print JSON")


def _fit(args: argparse.Namespace) -> int:
    from hwnas.predictors import fit_latency

    extra = {} if args.predictor == "lut" else {"seed": args.seed}
    model = fit_latency(args.predictor, space=args.space, profile=args.profile, table=args.table,
                        column=args.column, pool=args.pool, out=args.out, max_networks=args.max_networks, **extra)
    info = {"predictor": f"latency/{model.name}", "space": model.space.name, "n_train": model.n_train_,
            "fitted_on": model.fitted_on(), "out": args.out}
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"fitted latency/{model.name} ({model.space.name}) on {model.n_train_} networks -> {args.out}")
    return 0


def _predict_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="directory of a fitted latency predictor")
    p.add_argument("archs", nargs="*", help="architecture strings")
    p.add_argument("--file", help="file with one architecture string per line")
    p.add_argument("--profile", help="refuse to predict unless the predictor was fitted on this profile")
    p.add_argument("--json", action="store_true", help="print JSON")


def _predict(args: argparse.Namespace) -> int:
    from hwnas.predictors import predict_latency

    rows = predict_latency(args.model, args.archs, file=args.file, profile=args.profile)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        std = f" ± {r['std_ms']:.4f}" if r["std_ms"] > 0 else ""
        print(f"{r['latency_ms']:10.4f} ms{std}  {r['arch']}")
    return 0


def _explain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("arch", help="the architecture string")
    p.add_argument("--profile", required=True, help="profile directory the prediction comes from")
    p.add_argument("--measured", type=float, help="your measurement of the network, in ms")
    p.add_argument("--model", help="a fitted latency predictor's directory (default: the profile's LUT sum, "
                                   "corrected on its whole networks)")
    p.add_argument("--remeasure", action="store_true",
                   help="time the network here, now, on the profile's target with its protocol")
    p.add_argument("--neighbours", type=int, default=3, help="nearest measured networks to show (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _explain(args: argparse.Namespace) -> int:
    from hwnas.predictors import explain_latency, format_explanation

    result = explain_latency(args.profile, args.arch, measured_ms=args.measured, model=args.model,
                             neighbours=args.neighbours, remeasure=args.remeasure)
    print(json.dumps(result, indent=2) if args.json else format_explanation(result))
    return 0


def _bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", required=True, help="search space of the table's architectures")
    p.add_argument("--table", required=True, help="measurement table: each device column is scored")
    p.add_argument("--pool", help="table of prior devices (a column named like the scored device is left out)")
    p.add_argument("--shots", type=int, required=True, help="K measured architectures per device")
    p.add_argument("--seeds", type=int, default=3, help="repetitions with different draws (default 3)")
    p.add_argument("--json", required=True, help="write the summary to this JSON file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _bench(args: argparse.Namespace) -> int:
    from hwnas.predictors import bench_latency, format_bench_table

    result = bench_latency(args.space, args.table, pool=args.pool, shots=args.shots, seeds=args.seeds,
                           json_path=args.json, progress=not args.quiet)
    print(format_bench_table(result))
    return 0


COMMANDS = [
    Command(("fit", "latency"), "fit a latency predictor on a profile or a table column", _fit_args, _fit),
    Command(("predict", "latency"), "predict latencies with a fitted latency predictor", _predict_args, _predict),
    Command(("explain", "latency"), "why a latency prediction differs from a measurement: units, the "
            "profile's own measurement, nearest measured networks, machine", _explain_args, _explain),
    Command(("bench", "latency"), "few-shot latency benchmark on a measurement table", _bench_args, _bench),
]
