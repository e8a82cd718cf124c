"""`lut`: the lookup-table sum of a network's units, with a correction fitted on whole networks.

The sum over-counts what a network does not pay per unit (call overhead, memory already in cache)
and under-counts what it pays between units; both scale with the network, so a correction learned
on a few dozen whole-network measurements removes most of the gap: ``affine`` in log space
(``log y = a + b log sum``), or ``per_type`` (``y = c0 + sum_op c_op * sum_op``, non-negative).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hwnas import Architecture, ConfigError

from ._base import register_predictor
from ._lat_base import LatencyPredictor, log_ms

__all__ = ["LutLatency", "affine_log_fit"]

_CORRECTIONS = ("none", "affine", "per_type")
_SLOPE_PRIOR_STD = 0.25  # log-log slopes of a LUT sum against its networks sit within ~0.25 of 1


def affine_log_fit(x: np.ndarray, y: np.ndarray, slope_prior_std: float = _SLOPE_PRIOR_STD) -> np.ndarray:
    """``(a, b)`` of ``y = a + b x`` (log network time against log LUT sum) with the slope shrunk
    towards 1 (a pure ratio) by a Gaussian prior: the posterior mean given the residual noise. A
    handful of networks over a narrow range leaves the slope free to swing (1.56 from 10 networks
    under-predicted a network 2x); many networks over a wide range keep their least-squares slope."""
    if len(y) < 3 or np.ptp(x) == 0:  # too few networks for a slope: a scale only
        return np.array([float(np.mean(y - x)), 1.0])
    dx, dy = x - x.mean(), y - y.mean()
    sxx = float(dx @ dx)
    b_ols = float(dx @ dy) / sxx
    noise = float(np.sum((dy - b_ols * dx) ** 2)) / max(len(y) - 2, 1)
    b = 1.0 + (b_ols - 1.0) * sxx / (sxx + noise / slope_prior_std ** 2)
    return np.array([float(y.mean() - b * x.mean()), b])


@register_predictor
class LutLatency(LatencyPredictor):
    """Lookup-table sum (``correction="none"``) or its fitted correction (``affine`` / ``per_type``)."""

    name = "lut"
    needs_profile = True

    def __init__(self, space, profile: Any = None, correction: str = "affine") -> None:
        if correction not in _CORRECTIONS:
            raise ConfigError(f"lut: correction must be one of {', '.join(_CORRECTIONS)}, got {correction!r}")
        super().__init__(space, profile=profile, correction=correction)

    def _op_columns(self, feats: np.ndarray) -> np.ndarray:
        names = self.features().names
        return feats[:, [names.index(f"lut[{op}]") for op in self.features().ops]]

    def _fit(self, archs: list[Architecture], y: np.ndarray, **_: Any) -> None:
        from scipy.optimize import nnls

        self._take_profile()
        feats = self.features().compute(self.space.genes_array(archs))
        self.coef_ = np.array([0.0, 1.0])
        if self.params["correction"] == "affine":
            self.coef_ = affine_log_fit(np.log(feats[:, 0]), log_ms(y))
        elif self.params["correction"] == "per_type":
            A = np.column_stack([np.ones(len(y)), self._op_columns(feats)])
            scale = np.maximum(A.max(axis=0), 1e-12)
            coef, _ = nnls(A / scale, y)
            self.coef_ = coef / scale

    def _predict_genes(self, genes: np.ndarray) -> np.ndarray:
        feats = self.features().compute(genes)
        if self.params["correction"] == "affine":
            return np.exp(self.coef_[0] + self.coef_[1] * np.log(feats[:, 0]))
        if self.params["correction"] == "per_type":
            return self.coef_[0] + self._op_columns(feats) @ self.coef_[1:]
        return feats[:, 0].copy()

    def _save_state(self, directory: Path) -> dict:
        return dict(self._save_lut(directory), coef=self.coef_.tolist())

    def _load_state(self, directory: Path, state: dict) -> None:
        self._load_lut(directory, state)
        self.coef_ = np.asarray(state["coef"], dtype=np.float64)
