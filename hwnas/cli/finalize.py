"""``hwnas finalize``: train, prune, quantize, export and verify chosen architectures."""

from __future__ import annotations

import argparse

from ._command import Command


def add_finalize_options(p: argparse.ArgumentParser) -> None:
    """Options of the final pass (shared with ``hwnas run``)."""
    from ..pipeline import FinalizeConfig

    d = FinalizeConfig()
    g = p.add_argument_group("final training and compression")
    g.add_argument("--epochs", type=int, default=d.epochs, help=f"training epochs (default {d.epochs})")
    g.add_argument("--optimizer", choices=("sgd", "adamw", "adam"), default=d.optimizer)
    g.add_argument("--lr", type=float, default=d.lr, help=f"learning rate (default {d.lr})")
    g.add_argument("--weight-decay", type=float, default=d.weight_decay)
    g.add_argument("--batch-size", type=int, default=d.batch_size)
    g.add_argument("--no-augment", action="store_true", help="no random crop / flip")
    g.add_argument("--train-subset", type=int, default=None, help="train on this many images (smoke runs)")
    g.add_argument("--test-limit", type=int, default=None, help="score only the first N test images")
    g.add_argument("--threads", type=int, default=d.threads, help="torch threads for training")
    g.add_argument("--seed", type=int, default=d.seed)
    g.add_argument("--tune-trials", type=int, default=0, help="optuna trials tuning lr and weight decay first")
    g.add_argument("--tune-epochs", type=int, default=d.tune_epochs)
    g.add_argument("--prune-keep", type=float, default=d.prune_keep, help="share of hidden channels kept")
    g.add_argument("--no-prune", action="store_true")
    g.add_argument("--finetune-epochs", type=int, default=d.finetune_epochs)
    g.add_argument("--quantize", choices=("static", "dynamic", "none"), default=d.quantize)
    g.add_argument("--calibration-images", type=int, default=d.calibration_images)
    g.add_argument("--latency-threads", type=int, default=d.latency_threads,
                   help="ONNX Runtime intra-op threads when measuring")


def finalize_config(args: argparse.Namespace):
    from ..pipeline import FinalizeConfig

    return FinalizeConfig(
        epochs=args.epochs, optimizer=args.optimizer, lr=args.lr, weight_decay=args.weight_decay,
        batch_size=args.batch_size, augment=not args.no_augment, train_subset=args.train_subset,
        test_limit=args.test_limit, threads=args.threads, seed=args.seed, tune_trials=args.tune_trials,
        tune_epochs=args.tune_epochs, prune_keep=None if args.no_prune else args.prune_keep,
        finetune_epochs=args.finetune_epochs, quantize=args.quantize,
        calibration_images=args.calibration_images, latency_threads=args.latency_threads)


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", default="mbconv", help="search space of the architectures")
    p.add_argument("--arch", action="append", default=[], help="an architecture string (repeatable)")
    p.add_argument("--arch-file", help="a file of architecture strings, one a line")
    p.add_argument("--baseline", action="store_true", help="also finalize the origin document's plain CNN")
    p.add_argument("--out", required=True, help="output directory (rerun to resume)")
    p.add_argument("--data", choices=("auto", "cifar10", "digits"), default="auto")
    p.add_argument("--data-dir", default=None, help="where CIFAR-10 is (default: ../shared/data)")
    p.add_argument("--latency-predictor", default=None, help="saved latency predictor to check against")
    p.add_argument("--accuracy-predictor", default=None, help="saved accuracy predictor to check against")
    p.add_argument("--no-progress", action="store_true")
    add_finalize_options(p)


def _run(args: argparse.Namespace) -> int:
    from ..pipeline import finalize_architectures, read_arch_file

    archs = list(args.arch) + (read_arch_file(args.arch_file) if args.arch_file else [])
    report = finalize_architectures(
        args.space, archs, args.out, finalize_config(args), data=args.data, data_dir=args.data_dir,
        baseline=args.baseline, latency_predictor=args.latency_predictor,
        accuracy_predictor=args.accuracy_predictor, progress=not args.no_progress)
    print(f"report: {report}")
    return 0


COMMANDS = [Command(("finalize",), "train, prune, quantize, export and measure chosen architectures",
                    _args, _run)]
