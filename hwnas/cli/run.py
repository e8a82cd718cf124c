"""``hwnas run``: the main job, from an unprofiled machine to a report."""

from __future__ import annotations

import argparse
import json

from ._command import Command
from .finalize import add_finalize_options


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="hwnas-run", help="run directory (rerun the same command to resume)")
    p.add_argument("--quick", action="store_true", help="a narrower space and short trainings (~5 min)")
    p.add_argument("--data", choices=("auto", "cifar10", "digits"), default="auto",
                   help="auto: CIFAR-10 when found, else the embedded digits")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--space-config", default=None, help="JSON object configuring the mbconv space")
    p.add_argument("--profile", default=None, help="reuse this profile directory instead of profiling")
    p.add_argument("--profile-networks", type=int, default=None)
    p.add_argument("--calibration-networks", type=int, default=None,
                   help="networks timed around the budget to refit the latency surrogate (0: the profile's alone)")
    p.add_argument("--latency-predictor", default=None, help="lut (default), xgb, ensemble, ...")
    p.add_argument("--accuracy-predictor", default=None, help="xgb (default), ensemble, ...")
    p.add_argument("--proxy-archs", type=int, default=None, help="short real trainings for the accuracy surrogate")
    p.add_argument("--proxy-epochs", type=int, default=None)
    p.add_argument("--proxy-subset", type=int, default=None)
    p.add_argument("--strategy", default=None, help="search strategy (default nsga2)")
    p.add_argument("--search-evals", type=int, default=None)
    p.add_argument("--budget-ms", type=float, default=None,
                   help="latency budget (default: the measured latency of the origin CNN)")
    p.add_argument("--budget-fraction", type=float, default=None,
                   help="without --budget-ms: this fraction of the origin CNN's latency (default 1)")
    p.add_argument("--extra-budget-ms", type=float, action="append", default=[],
                   help="also finalize the best architecture under this latency (repeatable)")
    p.add_argument("--candidates", type=int, default=None, help="architectures to finalize")
    p.add_argument("--verify-tries", type=int, default=None,
                   help="time up to N of each budget's best architectures before training (0: trust the surrogate)")
    p.add_argument("--int8-speedup", type=float, default=None,
                   help="a verified pick must also run at least this many times faster in INT8 (0: not checked)")
    p.add_argument("--int8-profile", default=None,
                   help="with --int8-speedup: reuse this ort-cpu-int8 profile (else one is measured)")
    p.add_argument("--latency-anchors", type=int, default=None,
                   help="profiled networks re-timed next to each finalized model to re-anchor its prediction")
    p.add_argument("--no-baseline", action="store_true", help="do not finalize the origin CNN")
    p.add_argument("--no-progress", action="store_true")
    add_finalize_options(p)


_RUN_FIELDS = {"profile_networks": "profile_networks", "calibration_networks": "calibration_networks",
               "latency_predictor": "latency_predictor",
               "accuracy_predictor": "accuracy_predictor", "proxy_archs": "proxy_archs",
               "proxy_epochs": "proxy_epochs", "proxy_subset": "proxy_subset", "strategy": "strategy",
               "search_evals": "search_evals", "budget_ms": "budget_ms", "budget_fraction": "budget_fraction",
               "candidates": "candidates", "latency_anchors": "latency_anchors",
               "verify_tries": "verify_tries", "int8_speedup": "int8_speedup"}


def run_config(args: argparse.Namespace):
    """The ``RunConfig`` of the arguments: the preset, then every option given explicitly."""
    from .._errors import ConfigError
    from ..pipeline import RunConfig
    from .finalize import finalize_overrides

    preset = RunConfig.quick() if args.quick else RunConfig()
    changes = {field: getattr(args, arg) for arg, field in _RUN_FIELDS.items() if getattr(args, arg) is not None}
    if args.space_config:
        try:
            changes["space_config"] = json.loads(args.space_config)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--space-config is not JSON: {exc}") from exc
        if not isinstance(changes["space_config"], dict):
            raise ConfigError("--space-config must be a JSON object")
    if args.extra_budget_ms:
        changes["extra_budgets_ms"] = tuple(args.extra_budget_ms)
    changes.update(data=args.data, data_dir=args.data_dir, profile_dir=args.profile,
                   int8_profile_dir=args.int8_profile, baseline=not args.no_baseline,
                   seed=args.seed if args.seed is not None else preset.seed,
                   finalize=preset.finalize.replace(**finalize_overrides(args)))
    return preset.replace(**changes)


def _run(args: argparse.Namespace) -> int:
    from ..pipeline import run_pipeline

    report = run_pipeline(args.out, run_config(args), progress=not args.no_progress)
    print(f"report: {report}")
    return 0


COMMANDS = [Command(("run",), "profile this machine, fit surrogates, search, finalize and report",
                    _args, _run)]
