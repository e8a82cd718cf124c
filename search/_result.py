"""`SearchResult`: the history of a search, its Pareto front and its best feasible architectures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from hwnas import Architecture, ConfigError

from ._history import History
from ._pareto import pareto_mask

__all__ = ["SearchResult"]


@dataclass
class SearchResult:
    """What a search found. ``history`` holds every distinct evaluated architecture; the front is
    computed over the feasible ones. ``budgets`` maps a constraint's metric to budgets for which
    ``best_per_budget`` reports the best architecture (by the first objective)."""

    history: History
    budgets: dict[str, list[float]] = field(default_factory=dict)
    n_evals: int = 0

    @property
    def problem(self):
        return self.history.problem

    @property
    def feasible(self) -> np.ndarray:
        return self.history.violation <= 0

    @property
    def is_pareto(self) -> np.ndarray:
        mask = np.zeros(self.history.n, dtype=bool)
        ok = np.flatnonzero(self.feasible)
        if ok.size:
            mask[ok[pareto_mask(self.history.F[ok])]] = True
        return mask

    def arch(self, row: int) -> Architecture:
        return self.problem.space.make(self.history.genes[row])

    def record(self, row: int) -> dict:
        """One architecture with each metric's value, uncertainty and provenance."""
        h = self.history
        return {
            "arch": self.problem.space.format(self.arch(row)),
            "genes": [int(g) for g in h.genes[row]],
            "feasible": bool(h.violation[row] <= 0),
            "values": {m: {"value": float(h.mean(m)[row]), "std": float(h.std(m)[row]),
                           "source": str(h.source(m)[row])} for m in self.problem.metric_names},
        }

    def best_row(self, extra: dict[str, float] | None = None) -> int | None:
        """Row of the best feasible architecture by the first objective (optionally with tighter
        caps ``{metric: upper}``); None when nothing feasible was found."""
        h = self.history
        ok = self.feasible.copy()
        for metric, upper in (extra or {}).items():
            if metric not in self.problem.metrics:
                raise ConfigError(f"budget on unknown metric {metric!r}; metrics: {', '.join(self.problem.metric_names)}")
            ok &= h.mean(metric) <= upper
        rows = np.flatnonzero(ok)
        if rows.size == 0:
            return None
        return int(rows[np.argmin(h.F[rows, 0])])

    def best(self) -> dict | None:
        row = self.best_row()
        return None if row is None else self.record(row)

    def best_per_budget(self, budgets: dict[str, Sequence[float]] | None = None) -> list[dict]:
        out = []
        for metric, values in (budgets or self.budgets).items():
            for b in values:
                row = self.best_row({metric: float(b)})
                out.append({"metric": metric, "budget": float(b), "best": None if row is None else self.record(row)})
        return out

    def pareto(self) -> list[dict]:
        """The front, ordered by the first objective."""
        rows = np.flatnonzero(self.is_pareto)
        rows = rows[np.argsort(self.history.F[rows, 0], kind="stable")]
        return [self.record(int(r)) for r in rows]

    def frame(self):
        """The history as a ``pandas.DataFrame`` (what ``history.csv`` holds)."""
        import pandas as pd

        h, space = self.history, self.problem.space
        cols: dict = {"step": h.step, "arch": [space.format(Architecture(space.name, tuple(map(int, g)))) for g in h.genes]}
        for i in range(h.genes.shape[1]):
            cols[f"g{i}"] = h.genes[:, i]
        for m in self.problem.metric_names:
            cols[m], cols[f"{m}_std"], cols[f"{m}_source"] = h.mean(m), h.std(m), h.source(m)
        cols["violation"] = h.violation
        cols["feasible"] = self.feasible
        cols["is_pareto"] = self.is_pareto
        return pd.DataFrame(cols)

    def summary(self) -> dict:
        """What ``pareto.json`` holds."""
        return {"problem": self.problem.describe(), "n_evals": self.n_evals, "n_distinct": self.history.n,
                "n_feasible": int(self.feasible.sum()), "best": self.best(),
                "best_per_budget": self.best_per_budget(), "pareto": self.pareto()}
