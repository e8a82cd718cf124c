"""`History`: every distinct architecture a search evaluated, in growable arrays (fast path)."""

from __future__ import annotations

import numpy as np

from ._genes import genes_keys
from ._metrics import MetricValues
from ._problem import Evaluation, Problem

__all__ = ["History"]


class History:
    """Distinct genomes in the order they were first evaluated, with every metric's mean, std and
    source, the step that evaluated them, ``F`` and ``violation``. ``index`` maps a genome's key
    to its row: it is the evaluation cache of a run."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.index: dict[bytes, int] = {}
        self.n = 0
        g, m = len(problem.space.cardinalities), len(problem.objectives)
        self._genes = np.zeros((64, g), dtype=np.int64)
        self._F = np.zeros((64, m))
        self._violation = np.zeros(64)
        self._step = np.zeros(64, dtype=np.int64)
        self._mean = {k: np.zeros(64) for k in problem.metric_names}
        self._std = {k: np.zeros(64) for k in problem.metric_names}
        self._source = {k: np.empty(64, dtype=object) for k in problem.metric_names}

    # ------------------------------------------------------------------ views
    @property
    def genes(self) -> np.ndarray:
        return self._genes[: self.n]

    @property
    def F(self) -> np.ndarray:
        return self._F[: self.n]

    @property
    def violation(self) -> np.ndarray:
        return self._violation[: self.n]

    @property
    def step(self) -> np.ndarray:
        return self._step[: self.n]

    def mean(self, metric: str) -> np.ndarray:
        return self._mean[metric][: self.n]

    def std(self, metric: str) -> np.ndarray:
        return self._std[metric][: self.n]

    def source(self, metric: str) -> np.ndarray:
        return self._source[metric][: self.n]

    # ------------------------------------------------------------------ growth
    def _reserve(self, extra: int) -> None:
        need = self.n + extra
        cap = len(self._violation)
        if need <= cap:
            return
        new = max(need, 2 * cap)

        def grow(a: np.ndarray) -> np.ndarray:
            out = np.zeros((new,) + a.shape[1:], dtype=a.dtype) if a.dtype != object else np.empty(new, object)
            out[:cap] = a
            return out

        self._genes, self._F, self._violation, self._step = map(grow, (self._genes, self._F, self._violation, self._step))
        for d in (self._mean, self._std, self._source):
            for k in d:
                d[k] = grow(d[k])

    def add(self, ev: Evaluation, step: int) -> None:
        """Append evaluated genomes (all new, distinct)."""
        k = len(ev.genes)
        self._reserve(k)
        sl = slice(self.n, self.n + k)
        self._genes[sl], self._F[sl], self._violation[sl], self._step[sl] = ev.genes, ev.F, ev.violation, step
        for name, v in ev.values.items():
            self._mean[name][sl], self._std[name][sl], self._source[name][sl] = v.mean, v.std, v.source
        for i, key in enumerate(genes_keys(ev.genes)):
            self.index[key] = self.n + i
        self.n += k

    def subset(self, rows: np.ndarray, steps: np.ndarray) -> "History":
        """A new history holding ``rows`` of this one (in that order) with new step numbers."""
        out = History(self.problem)
        rows = np.asarray(rows, dtype=np.int64)
        values = {m: MetricValues(self.mean(m)[rows], self.std(m)[rows], self.source(m)[rows])
                  for m in self.problem.metric_names}
        out._reserve(len(rows))
        if len(rows):
            for step in np.unique(steps):
                sel = steps == step
                out.add(Evaluation(self.genes[rows[sel]], {m: MetricValues(v.mean[sel], v.std[sel], v.source[sel])
                                                          for m, v in values.items()},
                                   self.F[rows[sel]], self.violation[rows[sel]]), int(step))
        return out

    def lookup(self, genes: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``genes`` in the history, evaluating (once) those it does not hold yet."""
        keys = genes_keys(genes)
        new: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            if key not in self.index and key not in new:
                new[key] = i
        if new:
            self.add(self.problem.evaluate(genes[list(new.values())]), step)
        return np.array([self.index[k] for k in keys], dtype=np.int64), np.array(list(new.values()), dtype=np.int64)
