"""The active loop: search on surrogates, measure the few most informative candidates, refit."""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from hwnas import ConfigError

from ._genes import genes_keys
from ._metrics import Metric, MetricValues
from ._problem import Problem
from ._result import SearchResult
from ._run import run_search
from ._strategy import create_strategy

__all__ = ["MeasuredMetric", "active_search", "informative_rows"]

Oracle = Callable[[np.ndarray], np.ndarray]


class MeasuredMetric(Metric):
    """A surrogate metric corrected by real measurements.

    Measured architectures report their measured value (source ``measured``); the others report
    the surrogate recalibrated on the measurements (``log y = a + b log prediction``, the slope
    shrunk towards 1 while measurements are few), so one measurement of a device shifts every prediction, not only its
    own. The spread of the calibration residuals becomes the uncertainty. ``measure(genes)``
    calls ``oracle`` (a profiler, a table) and refits the calibration.
    """

    def __init__(self, base: Metric, oracle: Oracle, source: str = "measured") -> None:
        super().__init__(base.name)
        self.base, self.oracle, self.source = base, oracle, source
        self.measured: dict[bytes, float] = {}
        self.coef, self.log_std = (0.0, 1.0), 0.0

    def measure(self, genes: np.ndarray) -> np.ndarray:
        keys = genes_keys(genes)
        todo = [i for i, k in enumerate(keys) if k not in self.measured]
        if todo:
            for i, v in zip(todo, np.asarray(self.oracle(genes[todo]), dtype=np.float64)):
                self.measured[keys[i]] = float(v)
            self._calibrate()
        return np.array([self.measured[k] for k in keys])

    def _calibrate(self) -> None:
        keys = list(self.measured)
        genes = np.frombuffer(b"".join(keys), dtype=np.int64).reshape(len(keys), -1)
        pred = np.log(np.maximum(self.base.evaluate(genes).mean, 1e-12))
        true = np.log(np.maximum(np.array([self.measured[k] for k in keys]), 1e-12))
        b = 1.0
        if len(keys) >= 3 and np.ptp(pred) > 0:
            # a slope from a handful of points swings wildly: shrink it towards 1 (a pure ratio)
            b = 1.0 + (float(np.polyfit(pred, true, 1)[0]) - 1.0) * len(keys) / (len(keys) + 20)
        a = float(np.mean(true - b * pred))
        self.coef = (float(a), float(b))
        self.log_std = float(np.std(true - (a + b * pred))) if len(keys) >= 3 else 0.0

    def evaluate(self, genes: np.ndarray) -> MetricValues:
        base = self.base.evaluate(genes)
        a, b = self.coef
        mean = np.exp(a + b * np.log(np.maximum(base.mean, 1e-12)))
        out = MetricValues(mean, np.hypot(base.std, mean * self.log_std), base.source)
        for i, k in enumerate(genes_keys(genes)):
            if k in self.measured:
                out.mean[i], out.std[i], out.source[i] = self.measured[k], 0.0, self.source
        return out

    def describe(self) -> dict:
        return {**super().describe(), "base": self.base.describe(), "measured": len(self.measured)}


def informative_rows(result: SearchResult, metrics: list[MeasuredMetric], k: int, slack: float = 0.1) -> np.ndarray:
    """The ``k`` unmeasured architectures that would most change the answer: the best ones by the
    first objective among those feasible or within ``slack`` of the constraints (whether they
    really fit decides the pick), ties broken by the largest uncertainty."""
    h = result.history
    measured = set().union(*(m.measured for m in metrics)) if metrics else set()
    keys = genes_keys(h.genes)
    open_rows = np.array([i for i, key in enumerate(keys) if key not in measured and h.violation[i] <= slack],
                         dtype=np.int64)
    if open_rows.size == 0:
        return open_rows
    std = sum(h.std(m.name)[open_rows] for m in metrics) if metrics else np.zeros(open_rows.size)
    order = np.lexsort((-std, h.F[open_rows, 0]))
    return open_rows[order[:k]]


def active_search(problem: Problem, strategy: str, measured: list[MeasuredMetric], queries: int,
                  rounds: int = 3, evals_per_round: int = 5000, seed: int = 0, batch_size: int | None = None,
                  run_dir: str | os.PathLike | None = None, budgets: dict | None = None,
                  strategy_params: dict | None = None, progress: bool = False) -> SearchResult:
    """``rounds`` surrogate searches, each followed by measuring ``queries // rounds`` informative
    candidates with every metric in ``measured`` (which must be the problem's metrics), then a
    final search whose run directory holds the result. Real measurements never exceed ``queries``."""
    if queries < 0 or rounds < 1:
        raise ConfigError(f"active search needs queries >= 0 and rounds >= 1, got {queries} and {rounds}")
    for m in measured:
        if problem.metrics.get(m.name) is not m:
            raise ConfigError(f"measured metric {m.name!r} is not one of the problem's metrics")
    used = 0
    for r in range(rounds):
        k = min(queries - used, -(-queries // rounds))
        if k <= 0:
            break
        strat = create_strategy(strategy, problem.space, seed * 1000 + r, **(strategy_params or {}))
        result = run_search(problem, strat, evals_per_round, batch_size)
        rows = informative_rows(result, measured, k)
        for m in measured:
            m.measure(result.history.genes[rows])
        used += len(rows)
    final = create_strategy(strategy, problem.space, seed, **(strategy_params or {}))
    extra = {"active": {"queries": queries, "used": used, "rounds": rounds, "evals_per_round": evals_per_round}}
    return run_search(problem, final, evals_per_round, batch_size, run_dir, budgets, progress, config=extra)
