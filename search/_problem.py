"""`Problem`: a space, the objectives to optimise and the constraints to respect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from hwnas import ConfigError, SearchSpace

from ._metrics import Metric, MetricValues

__all__ = ["Objective", "Constraint", "Problem", "Evaluation"]


@dataclass(frozen=True)
class Objective:
    """Optimise ``metric``: maximise it (accuracy) or minimise it (latency, params)."""

    metric: Metric
    maximize: bool = False


@dataclass(frozen=True)
class Constraint:
    """``metric <= upper`` (a latency budget on one device, a cap on params or FLOPs)."""

    metric: Metric
    upper: float


@dataclass
class Evaluation:
    """Values of every metric for a batch of genomes, and the strategy's view of them:
    ``F`` (N x n_objectives, all minimised) and ``violation`` (0 when feasible)."""

    genes: np.ndarray
    values: dict[str, MetricValues]
    F: np.ndarray
    violation: np.ndarray


class Problem:
    """What a search optimises: the objectives (in order: single-objective strategies use the
    first) and the constraints, each backed by a ``Metric``. Metrics shared by an objective and a
    constraint (latency both minimised and capped) are evaluated once.

    A degenerate network (one whose output ignores its input: ``SearchSpace.degenerate_mask``)
    classifies at chance whatever its metrics say, so unless ``allow_degenerate`` it is infeasible:
    never an answer and never on the Pareto front. Without this rule a front on a device that folds
    such cells away ends in a "10% accuracy at 0 ms" point (NB201 on pixel3)."""

    def __init__(self, space: SearchSpace, objectives: Sequence[Objective],
                 constraints: Sequence[Constraint] = (), allow_degenerate: bool = False) -> None:
        if not objectives:
            raise ConfigError("a search problem needs at least one objective")
        self.space, self.objectives, self.constraints = space, list(objectives), list(constraints)
        self.allow_degenerate = bool(allow_degenerate)
        self.metrics: dict[str, Metric] = {}
        for m in [o.metric for o in self.objectives] + [c.metric for c in self.constraints]:
            if self.metrics.setdefault(m.name, m) is not m:
                raise ConfigError(f"two different metrics are both named {m.name!r}")
        for c in self.constraints:
            if not np.isfinite(c.upper):
                raise ConfigError(f"constraint on {c.metric.name!r}: the bound must be a finite number")

    @property
    def metric_names(self) -> list[str]:
        return list(self.metrics)

    def evaluate(self, genes: np.ndarray) -> Evaluation:
        values = {name: m.evaluate(genes) for name, m in self.metrics.items()}
        F, violation = self.score({k: v.mean for k, v in values.items()}, genes)
        return Evaluation(genes, values, F, violation)

    def score(self, means: dict[str, np.ndarray], genes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``F`` and ``violation`` from the metric values of ``genes`` (also used to replay a saved
        history). A missing value (NaN) counts as infeasible, and so does a degenerate network
        unless ``allow_degenerate``."""
        F = np.column_stack([-means[o.metric.name] if o.maximize else means[o.metric.name]
                             for o in self.objectives]).astype(np.float64)
        violation = np.zeros(len(F))
        for c in self.constraints:
            v = means[c.metric.name]
            excess = np.maximum(v - c.upper, 0.0) / max(abs(c.upper), 1e-12)
            violation += np.where(np.isfinite(v), excess, 1e6)
        if not self.allow_degenerate:
            violation += np.where(self.space.degenerate_mask(genes), 1e6, 0.0)
        F = np.where(np.isfinite(F), F, 1e300)
        return F, violation

    def describe(self) -> dict:
        return {
            "space": self.space.name,
            "space_config": self.space.config(),
            "objectives": [{"metric": o.metric.name, "maximize": o.maximize} for o in self.objectives],
            "constraints": [{"metric": c.metric.name, "upper": c.upper} for c in self.constraints],
            "allow_degenerate": self.allow_degenerate,
            "metrics": [m.describe() for m in self.metrics.values()],
        }
