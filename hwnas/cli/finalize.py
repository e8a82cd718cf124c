"""``hwnas finalize``: train, prune, quantize, export and verify chosen architectures."""

from __future__ import annotations

import argparse

from ._command import Command


def add_finalize_options(p: argparse.ArgumentParser) -> None:
    """Options of the final pass (shared with ``hwnas run``). Each defaults to None: only the
    options given change the configuration (the finalizer's defaults, or a run's preset)."""
    g = p.add_argument_group("final training and compression")
    g.add_argument("--epochs", type=int, help="training epochs")
    g.add_argument("--optimizer", choices=("sgd", "adamw", "adam"))
    g.add_argument("--lr", type=float, help="learning rate")
    g.add_argument("--weight-decay", type=float)
    g.add_argument("--batch-size", type=int)
    g.add_argument("--no-augment", action="store_true", help="no random crop / flip")
    g.add_argument("--warmup-epochs", type=float, help="linear learning-rate warm-up (epochs)")
    g.add_argument("--label-smoothing", type=float)
    g.add_argument("--train-subset", type=int, help="train on this many images (smoke runs)")
    g.add_argument("--test-limit", type=int, help="score only N test images (seeded draw)")
    g.add_argument("--threads", type=int, help="torch threads for training")
    g.add_argument("--seed", type=int)
    g.add_argument("--tune-trials", type=int, help="optuna trials tuning lr and weight decay first")
    g.add_argument("--tune-epochs", type=int)
    g.add_argument("--prune-keep", type=float, help="share of hidden channels kept by pruning")
    g.add_argument("--no-prune", action="store_true")
    g.add_argument("--finetune-epochs", type=int)
    g.add_argument("--quantize", choices=("static", "dynamic", "none"))
    g.add_argument("--calibration-images", type=int)
    g.add_argument("--int8-recipe", action="append", dest="int8_recipes", default=None,
                   help="static INT8 recipe to try: qdq, qdq-tensor, qoperator (repeatable; "
                        "default qdq and qdq-tensor; the fastest that keeps accuracy is kept)")
    g.add_argument("--int8-max-loss", type=float,
                   help="accuracy points an INT8 recipe may lose on held-out training images (default 1)")
    g.add_argument("--latency-threads", type=int, help="ONNX Runtime intra-op threads when measuring")


_FIELDS = ("epochs", "optimizer", "lr", "weight_decay", "batch_size", "warmup_epochs", "label_smoothing",
           "train_subset", "test_limit", "threads", "seed", "tune_trials", "tune_epochs", "prune_keep",
           "finetune_epochs", "quantize", "calibration_images", "latency_threads", "int8_recipes",
           "int8_max_loss")


def finalize_overrides(args: argparse.Namespace) -> dict:
    """The ``FinalizeConfig`` fields the command line sets explicitly."""
    out = {f: getattr(args, f) for f in _FIELDS if getattr(args, f) is not None}
    if args.no_augment:
        out["augment"] = False
    if args.no_prune:
        out["prune_keep"] = None
    return out


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", default="mbconv", help="search space of the architectures")
    p.add_argument("--arch", action="append", default=[], help="an architecture string (repeatable)")
    p.add_argument("--arch-file", help="a file of architecture strings, one a line")
    p.add_argument("--from-search", default=None, help="a `hwnas search` run directory: finalize its front")
    p.add_argument("--top", type=int, default=3, help="how many front architectures --from-search takes")
    p.add_argument("--baseline", action="store_true", help="also finalize the origin document's plain CNN")
    p.add_argument("--out", required=True, help="output directory (rerun to resume)")
    p.add_argument("--data", choices=("auto", "cifar10", "digits"), default="auto")
    p.add_argument("--data-dir", default=None, help="where CIFAR-10 is (default: ../shared/data)")
    p.add_argument("--latency-predictor", default=None, help="saved latency predictor to check against")
    p.add_argument("--accuracy-predictor", default=None, help="saved accuracy predictor to check against")
    p.add_argument("--no-progress", action="store_true")
    add_finalize_options(p)


def _run(args: argparse.Namespace) -> int:
    from ..pipeline import FinalizeConfig, finalize_architectures, read_arch_file

    archs = list(args.arch) + (read_arch_file(args.arch_file) if args.arch_file else [])
    config = FinalizeConfig().replace(**finalize_overrides(args))
    report = finalize_architectures(
        args.space, archs, args.out, config, data=args.data, data_dir=args.data_dir,
        baseline=args.baseline, latency_predictor=args.latency_predictor,
        accuracy_predictor=args.accuracy_predictor, from_search=args.from_search, top=args.top,
        progress=not args.no_progress)
    print(f"report: {report}")
    return 0


COMMANDS = [Command(("finalize",), "train, prune, quantize, export and measure chosen architectures",
                    _args, _run)]
