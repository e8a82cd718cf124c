"""``hwnas fit accuracy``, ``hwnas predict accuracy`` and ``hwnas bench accuracy``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .._errors import ConfigError
from ._command import Command


def _space_config(text: str | None) -> dict:
    if not text:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--space-config is not JSON ({exc})") from exc


def _params(items: list[str] | None) -> dict:
    """``KEY=VALUE`` pairs; values are read as JSON when they parse (numbers, null), else as text."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param must be KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError as exc:
        raise ConfigError(f"--train-sizes must be integers separated by commas, got {text!r}") from exc
    if not sizes:
        raise ConfigError("--train-sizes is empty")
    return sizes


# ---------------------------------------------------------------------- bench
def _bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", required=True, help="search space of the table's architectures")
    p.add_argument("--table", required=True, help="CSV with an 'arch' column and accuracy columns (%%)")
    p.add_argument("--column", required=True, help="the accuracy column to predict")
    p.add_argument("--train-sizes", default="100,1000", help="comma-separated training sizes (default 100,1000)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per size: 0..N-1 (default 3)")
    p.add_argument("--data-dir", default=None, help="image data for zero-cost proxies (default: CIFAR-10 if found)")
    p.add_argument("--json", dest="json_out", default=None, help="write the results to this JSON file")
    p.add_argument("--predictor", default="xgb", help="accuracy predictor: xgb (default), ensemble, gnn")
    p.add_argument("--zero-cost", choices=("auto", "on", "off"), default="auto",
                   help="zero-cost features: auto = use the cache only when complete (default); "
                        "on = compute what is missing (slow); off")
    p.add_argument("--cache-dir", default=None, help="cache of decoded images and zero-cost scores (~/.cache/hwnas)")
    p.add_argument("--param", action="append", help="predictor hyper-parameter KEY=VALUE (repeatable)")


def _bench(args: argparse.Namespace) -> int:
    from hwnas.predictors import bench_accuracy, write_json_atomic

    if args.seeds < 1:
        raise ConfigError(f"--seeds must be >= 1, got {args.seeds}")
    result = bench_accuracy(args.space, args.table, args.column, _sizes(args.train_sizes), args.seeds,
                            data_dir=args.data_dir, predictor=args.predictor, zero_cost=args.zero_cost,
                            cache_dir=args.cache_dir, params=_params(args.param))
    print(f"{result['predictor']} on {result['table']} [{result['column']}], {result['n_archs']} architectures, "
          f"{result['seeds']} seed(s); {result['zero_cost_note']}")
    print(f"{'train':>6} {'kendall':>15} {'spearman':>15} {'prec@top1%':>15} {'fit s':>8} {'query us/arch':>14}")
    for size, s in result["summary"].items():
        ms = [f"{s[m]['mean']:.4f}±{s[m]['std']:.4f}" for m in ("kendall", "spearman", "precision_top1pct")]
        print(f"{size:>6} {ms[0]:>15} {ms[1]:>15} {ms[2]:>15} {s['fit_seconds']['mean']:>8.2f} "
              f"{s['query_us_per_arch']['mean']:>14.2f}")
    if args.json_out:
        write_json_atomic(args.json_out, result)
        print(f"wrote {args.json_out}")
    return 0


# ---------------------------------------------------------------------- fit
def _fit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", required=True, help="search space")
    p.add_argument("--space-config", default=None, help="JSON configuration of the space, if not the default")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--table", help="accuracy table CSV (with --column)")
    src.add_argument("--dataset", help="a proxy-training data set directory (build_accuracy_dataset)")
    p.add_argument("--column", default=None, help="accuracy column of --table")
    p.add_argument("--predictor", default="xgb", help="xgb (default), ensemble or gnn")
    p.add_argument("--param", action="append", help="predictor hyper-parameter KEY=VALUE (repeatable)")
    p.add_argument("--out", required=True, help="directory to save the fitted predictor in")
    p.add_argument("--json", action="store_true", help="print JSON")


def _fit(args: argparse.Namespace) -> int:
    from hwnas import create_space
    from hwnas.predictors import fit_accuracy

    config = _space_config(args.space_config)
    space = create_space(args.space, **config) if config else args.space
    result = fit_accuracy(space, args.out, table=args.table, column=args.column, dataset_dir=args.dataset,
                          predictor=args.predictor, params=_params(args.param))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"fitted {result['predictor']} on {result['n_train']} architectures of {result['source']} "
              f"in {result['fit_seconds']:.2f} s; saved to {result['out']}")
    return 0


# ---------------------------------------------------------------------- predict
def _predict_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--predictor", required=True, help="directory of a saved accuracy predictor")
    p.add_argument("archs", nargs="*", help="architecture strings")
    p.add_argument("--archs-file", default=None, help="file with one architecture string per line")
    p.add_argument("--json", action="store_true", help="print JSON")


def _predict(args: argparse.Namespace) -> int:
    from hwnas.predictors import predict_accuracy

    archs = list(args.archs)
    if args.archs_file:
        path = Path(args.archs_file)
        if not path.is_file():
            raise ConfigError(f"{path}: architecture file not found")
        archs += [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not archs:
        raise ConfigError("no architectures given (pass strings or --archs-file)")
    rows = predict_accuracy(args.predictor, archs)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'accuracy %':>10} {'std':>7}  arch")
    for r in rows:
        print(f"{r['accuracy']:>10.3f} {r['std']:>7.3f}  {r['arch']}")
    return 0


COMMANDS = [
    Command(("fit", "accuracy"), "fit an accuracy predictor on a table column or a proxy-training data set",
            _fit_args, _fit),
    Command(("predict", "accuracy"), "predict accuracy (and its spread) with a saved predictor",
            _predict_args, _predict),
    Command(("bench", "accuracy"), "rank quality of an accuracy predictor on a table (Kendall, Spearman, precision at the top 1 percent)",
            _bench_args, _bench),
]
