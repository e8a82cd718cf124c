"""``accuracy/ensemble``: several XGBoost members with different seeds; their spread is the uncertainty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hwnas import Architecture, ConfigError, SearchSpace

from ._acc_base import AccuracyPredictor
from ._acc_xgb import XGBAccuracyPredictor
from ._base import register_predictor

__all__ = ["EnsembleAccuracyPredictor"]


@register_predictor
class EnsembleAccuracyPredictor(AccuracyPredictor):
    """``members`` ``accuracy/xgb`` models, each with its own seed (so its own row and column
    subsamples). ``predict`` is their mean (a little better ranked than one model);
    ``predict_with_std`` adds their standard deviation, the cheap uncertainty a Bayesian or
    exploring search can use. Other parameters are passed to every member.
    """

    name = "ensemble"
    DEFAULTS = {"members": 5, **XGBAccuracyPredictor.DEFAULTS}

    def __init__(self, space: SearchSpace | str, members: int = 5, **params: Any) -> None:
        if int(members) < 2:
            raise ConfigError(f"accuracy/ensemble: members must be >= 2, got {members}")
        super().__init__(space, members=int(members), **params)

    def _member_params(self, k: int) -> dict:
        params = {key: v for key, v in self.params.items() if key != "members"}
        params["seed"] = int(params.get("seed", 0)) * 1000 + k
        return params

    def _fit(self, archs: list[Architecture], y: np.ndarray, **fit_kw: Any) -> None:
        self.members_ = [XGBAccuracyPredictor(self.space, **self._member_params(k)).fit(archs, y)
                         for k in range(self.params["members"])]

    def _all(self, genes: np.ndarray) -> np.ndarray:
        x = self.members_[0].features(genes)  # the features are the same for every member
        return np.stack([m.model_.predict(x) for m in self.members_])

    def _predict_genes(self, genes: np.ndarray) -> np.ndarray:
        return self._all(genes).mean(0)

    def predict_with_std(self, archs) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        genes = self.space.genes_array([self.space.as_arch(a) for a in archs])
        preds = self._all(genes).astype(np.float64)
        return preds.mean(0), preds.std(0)

    def _save_state(self, directory: Path) -> dict:
        for k, m in enumerate(self.members_):
            m.save(directory / f"member{k}")
        return {"members": [f"member{k}" for k in range(len(self.members_))]}

    def _load_state(self, directory: Path, state: dict) -> None:
        self._restore_provenance(directory)
        self.members_ = [XGBAccuracyPredictor.load(directory / d) for d in state["members"]]
