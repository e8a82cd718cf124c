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

__all__ = ["LutLatency"]

_CORRECTIONS = ("none", "affine", "per_type")


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
            A = np.column_stack([np.ones(len(y)), np.log(feats[:, 0])])
            if len(y) >= 3 and np.ptp(A[:, 1]) > 0:
                self.coef_, *_ = np.linalg.lstsq(A, log_ms(y), rcond=None)
            else:  # too few networks for a slope: a scale only
                self.coef_ = np.array([float(np.mean(log_ms(y) - A[:, 1])), 1.0])
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
