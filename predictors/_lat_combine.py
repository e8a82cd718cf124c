"""Few-shot transfer in log space: a new device's latencies as an average of affine maps of known
devices' latencies, weighted by how well each map explains the K measured shots.

Latencies of different devices are strongly related in log space (a kernel that is slow on one GPU
is slow on another), but which device resembles the new one best is unknown and K is small. So
every candidate model ``log y = a + b . log z_S`` over a set S of one or two prior columns is fitted
on the shots by least squares and weighted by its BIC, ``exp(-BIC / (2 T))``: a Bayesian model
average that is robust at K = 5 (single columns, two parameters) and sharpens as K grows. The
temperature ``T > 1`` flattens the weights, which guards against over-confident choices on few
shots.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

__all__ = ["LogCombination", "fit_log_combination"]


@dataclass
class LogCombination:
    """``predict(Z) = sum_m weight_m * (intercept_m + Z[:, columns_m] @ slopes_m)`` on log values."""

    weights: np.ndarray          # (M,)
    intercepts: np.ndarray       # (M,)
    columns: list[list[int]]     # column indices of each model
    slopes: list[np.ndarray]     # slopes of each model

    def predict(self, Z: np.ndarray) -> np.ndarray:
        out = np.zeros(Z.shape[0])
        for w, a, cols, b in zip(self.weights, self.intercepts, self.columns, self.slopes):
            out += w * (a + Z[:, cols] @ b)
        return out

    def members(self, Z: np.ndarray) -> np.ndarray:
        """``(M, N)`` predictions (log values) of each averaged model."""
        return np.stack([a + Z[:, cols] @ b for a, cols, b in zip(self.intercepts, self.columns, self.slopes)])

    def predict_with_std(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The average and the weighted spread of the models' predictions (log values)."""
        members = self.members(Z)
        mean = self.weights @ members
        return mean, np.sqrt(np.maximum(self.weights @ (members - mean) ** 2, 0.0))

    @property
    def used_columns(self) -> list[int]:
        return sorted({c for cols in self.columns for c in cols})

    def to_dict(self) -> dict:
        return {"weights": self.weights.tolist(), "intercepts": self.intercepts.tolist(),
                "columns": self.columns, "slopes": [b.tolist() for b in self.slopes]}

    @classmethod
    def from_dict(cls, d: dict) -> "LogCombination":
        return cls(np.asarray(d["weights"], float), np.asarray(d["intercepts"], float),
                   [list(map(int, c)) for c in d["columns"]], [np.asarray(b, float) for b in d["slopes"]])

    def remap(self, mapping: dict[int, int]) -> "LogCombination":
        """The same combination with column indices renamed (e.g. after keeping only used columns)."""
        return LogCombination(self.weights, self.intercepts, [[mapping[c] for c in cols] for cols in self.columns],
                              self.slopes)


def _candidate_sets(n_columns: int, k: int, pairs: bool) -> list[list[int]]:
    sets = [[d] for d in range(n_columns)]
    if pairs and k >= 6:  # a 3-parameter model needs a few spare shots to be judged at all
        sets += [list(p) for p in itertools.combinations(range(n_columns), 2)]
    return sets


def fit_log_combination(Zk: np.ndarray, yk: np.ndarray, temperature: float = 3.0, pairs: bool = True,
                        min_weight: float = 1e-4) -> LogCombination:
    """Fit the model average on ``Zk`` (K x D prior log-latencies) and ``yk`` (K log-latencies)."""
    Zk, yk = np.asarray(Zk, float), np.asarray(yk, float)
    k = len(yk)
    if k < 2 or yk.std() == 0:  # nothing to learn a slope from: scale the prior mean
        cols = list(range(Zk.shape[1]))
        slope = np.full(len(cols), 1.0 / len(cols))
        return LogCombination(np.ones(1), np.array([float(np.mean(yk - Zk @ slope))]), [cols], [slope])
    bics, fits = [], []
    for cols in _candidate_sets(Zk.shape[1], k, pairs):
        X = Zk[:, cols]
        A = np.column_stack([np.ones(k), X])
        coef, *_ = np.linalg.lstsq(A, yk, rcond=None)
        rss = float(np.sum((yk - A @ coef) ** 2))
        # the 1e-6 floor keeps a perfect fit on K = 2..3 shots from taking all the weight
        bics.append(k * np.log(rss / k + 1e-6) + A.shape[1] * np.log(k))
        fits.append((float(coef[0]), cols, coef[1:]))
    bics = np.asarray(bics)
    w = np.exp(-0.5 * (bics - bics.min()) / temperature)
    keep = np.flatnonzero(w / w.sum() >= min_weight)
    w = w[keep] / w[keep].sum()
    return LogCombination(w, np.array([fits[i][0] for i in keep]), [fits[i][1] for i in keep],
                          [np.asarray(fits[i][2], float) for i in keep])
