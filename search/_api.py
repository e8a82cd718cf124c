"""`search`: the one function behind ``hwnas search`` (a problem from predictors and tables)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from hwnas import Architecture, ConfigError, SearchSpace, get_space

from ._active import MeasuredMetric, active_search
from ._metrics import CostMetric, CrossPlatformMetric, Metric, PredictorMetric, TableMetric
from ._problem import Constraint, Objective, Problem
from ._result import SearchResult
from ._run import run_search
from ._strategy import create_strategy

__all__ = ["search", "build_problem", "profiler_oracle"]

MULTI_DEVICE = ("constraints", "sum", "worst")


def _predictor(path: str | os.PathLike, kind: str, space: SearchSpace):
    from hwnas.predictors import load_predictor

    pred = load_predictor(path, space=space)
    if pred.kind != kind:
        raise ConfigError(f"{path}: holds a {pred.kind} predictor, not a {kind} one")
    return pred


def _accuracy_metric(space, predictor, table, column) -> Metric | None:
    fallback = None if predictor is None else PredictorMetric("accuracy", _predictor(predictor, "accuracy", space))
    if table is None:
        return fallback
    from hwnas.datasets import load_accuracy_table

    if column is None:
        raise ConfigError("--accuracy-table needs --accuracy-column")
    df = load_accuracy_table(table, space, [column])
    archs = [space.parse(a) for a in df["arch"]]
    return TableMetric("accuracy", space, archs, df[column].to_numpy(float), fallback)


def _latency_metrics(space, predictors: Mapping[str, str], table, devices: Sequence[str]) -> dict[str, Metric]:
    out: dict[str, Metric] = {d: PredictorMetric(f"latency[{d}]", _predictor(p, "latency", space))
                              for d, p in predictors.items()}
    if table is not None:
        from hwnas.datasets import load_latency_table

        lat = load_latency_table(table, space)
        for d in devices or lat.devices:
            archs, ms = lat.column(d)
            out[d] = TableMetric(f"latency[{d}]", space, archs, ms, out.get(d))
    return out


def _typical(metric: Metric, space: SearchSpace, seed: int) -> float:
    """Median of a metric over 1000 random architectures: the scale of a device's latency."""
    from ._genes import random_genes

    vals = metric.evaluate(random_genes(space, 1000, np.random.default_rng(seed))).mean
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        raise ConfigError(f"{metric.name}: no value for random architectures; give a budget for this device")
    return float(np.median(vals))


def build_problem(space: SearchSpace, accuracy: Metric | None, latency: Mapping[str, Metric],
                  budgets: Mapping[str, float] | None = None, multi_device: str = "constraints",
                  max_params: float | None = None, max_flops: float | None = None, seed: int = 0) -> Problem:
    """Accuracy up and latency down, latency within its budget on every device that has one.

    With several devices the latency objective is the cross-platform loss: the sum over devices
    of latency / budget (or / typical latency without a budget), or its maximum (``worst``: one
    architecture good on every device). ``constraints`` (the default) sums and also keeps one
    budget constraint per device; ``sum`` and ``worst`` drop the per-device constraints.
    """
    if multi_device not in MULTI_DEVICE:
        raise ConfigError(f"multi-device mode must be one of {', '.join(MULTI_DEVICE)}, got {multi_device!r}")
    budgets = dict(budgets or {})
    unknown = set(budgets) - set(latency)
    if unknown:
        raise ConfigError(f"budget for unknown device(s) {', '.join(sorted(unknown))}; devices: {', '.join(latency) or 'none'}")
    objectives = [] if accuracy is None else [Objective(accuracy, maximize=True)]
    constraints = []
    if len(latency) == 1:
        (device, metric), = latency.items()
        objectives.append(Objective(metric))
        if device in budgets:
            constraints.append(Constraint(metric, float(budgets[device])))
    elif latency:
        scales = [float(budgets.get(d) or _typical(m, space, seed)) for d, m in latency.items()]
        name = "latency[worst]" if multi_device == "worst" else "latency[sum]"
        objectives.append(Objective(CrossPlatformMetric(name, list(latency.values()), scales, multi_device == "worst")))
        if multi_device == "constraints":
            constraints += [Constraint(latency[d], float(b)) for d, b in budgets.items()]
        else:
            combined = objectives[-1].metric
            limit = len(latency) if multi_device == "sum" else 1.0
            if budgets:
                constraints.append(Constraint(combined, limit))
    if max_params is not None:
        constraints.append(Constraint(CostMetric("params", space), float(max_params)))
    if max_flops is not None:
        constraints.append(Constraint(CostMetric("flops", space), float(max_flops)))
    if not objectives:
        raise ConfigError("nothing to optimise: give an accuracy predictor or table, or a latency source")
    return Problem(space, objectives, constraints)


def table_universe(space: SearchSpace, metrics: Sequence[Metric | None]) -> np.ndarray | None:
    """The genomes every table-only metric knows (tables without a predictor behind them), when
    they sample a space too large to enumerate: a search must then move among them. ``None``
    when every genome can be evaluated."""
    tables = [m for m in metrics if isinstance(m, TableMetric) and m.fallback is None]
    if not tables:
        return None
    keys = set(tables[0].rows).intersection(*(m.rows for m in tables[1:]))
    if space.is_finite_enumerable and len(keys) >= space.size:
        return None
    if not keys:
        raise ConfigError("the tables share no architecture: there is nothing to search")
    return np.stack([np.frombuffer(k, dtype=np.int64) for k in sorted(keys)])


def profiler_oracle(space: SearchSpace, target: str, threads: int = 1):
    """Real latency (median ms) of genomes, measured end to end on a local target by the profiler."""
    from hwnas.profiler import create_target, measure_architecture

    runner = create_target(target, threads=threads)
    return lambda genes: np.array([measure_architecture(space, Architecture(space.name, tuple(map(int, g))), runner).median_ms
                                   for g in genes])


def search(space: str, strategy: str = "evolution", accuracy_predictor: str | None = None,
           accuracy_table: str | None = None, accuracy_column: str | None = None,
           latency_predictors: Mapping[str, str] | None = None, latency_table: str | None = None,
           devices: Sequence[str] = (), budgets: Mapping[str, float] | None = None, multi_device: str = "constraints",
           max_params: float | None = None, max_flops: float | None = None, evals: int = 5000,
           batch_size: int | None = None, seed: int = 0, run_dir: str | os.PathLike = "runs/search",
           report_budgets: Sequence[float] = (), measure_target: str | None = None, measure_device: str | None = None,
           measure_queries: int = 0, rounds: int = 3, strategy_params: Mapping | None = None,
           progress: bool = True) -> SearchResult:
    """Build the problem from saved predictors and tables, then search it on surrogates (with
    ``measure_target``, the active loop measures up to ``measure_queries`` candidates for real
    and recalibrates that device's latency). Writes ``run_dir``; rerunning resumes it."""
    sp = get_space(space)
    accuracy = _accuracy_metric(sp, accuracy_predictor, accuracy_table, accuracy_column)
    latency = _latency_metrics(sp, dict(latency_predictors or {}), latency_table, list(devices))
    measured: list[MeasuredMetric] = []
    if measure_target is not None:
        device = measure_device or (next(iter(latency)) if len(latency) == 1 else None)
        if device not in latency:
            raise ConfigError(f"--measure-device must name one of the devices: {', '.join(latency) or 'none'}")
        latency[device] = MeasuredMetric(latency[device], profiler_oracle(sp, measure_target))
        measured.append(latency[device])
    problem = build_problem(sp, accuracy, latency, budgets, multi_device, max_params, max_flops, seed)
    report = {}
    if report_budgets and latency:
        key = problem.constraints[0].metric.name if problem.constraints else problem.objectives[-1].metric.name
        report = {key: [float(b) for b in report_budgets]}
    run_dir = Path(run_dir)
    if measured and measure_queries > 0:
        return active_search(problem, strategy, measured, measure_queries, rounds, evals, seed, batch_size,
                             run_dir, report, dict(strategy_params or {}), progress)
    strat = create_strategy(strategy, sp, seed, **dict(strategy_params or {}))
    strat.universe = table_universe(sp, [accuracy, *latency.values()])
    return run_search(problem, strat, evals, batch_size, run_dir, report, progress)
