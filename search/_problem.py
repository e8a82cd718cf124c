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
    constraint (latency both minimised and capped) are evaluated once."""

    def __init__(self, space: SearchSpace, objectives: Sequence[Objective],
                 constraints: Sequence[Constraint] = ()) -> None:
        if not objectives:
            raise ConfigError("a search problem needs at least one objective")
        self.space, self.objectives, self.constraints = space, list(objectives), list(constraints)
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
        F, violation = self.score({k: v.mean for k, v in values.items()})
        return Evaluation(genes, values, F, violation)

    def score(self, means: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``F`` and ``violation`` from metric values (also used to replay a saved history).
        A missing value (NaN) counts as infeasible."""
        F = np.column_stack([-means[o.metric.name] if o.maximize else means[o.metric.name]
                             for o in self.objectives]).astype(np.float64)
        violation = np.zeros(len(F))
        for c in self.constraints:
            v = means[c.metric.name]
            excess = np.maximum(v - c.upper, 0.0) / max(abs(c.upper), 1e-12)
            violation += np.where(np.isfinite(v), excess, 1e6)
        F = np.where(np.isfinite(F), F, 1e300)
        return F, violation

    def describe(self) -> dict:
        return {
            "space": self.space.name,
            "space_config": self.space.config(),
            "objectives": [{"metric": o.metric.name, "maximize": o.maximize} for o in self.objectives],
            "constraints": [{"metric": c.metric.name, "upper": c.upper} for c in self.constraints],
            "metrics": [m.describe() for m in self.metrics.values()],
        }
