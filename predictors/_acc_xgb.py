"""``accuracy/xgb``: gradient-boosted trees on cell-path features (+ zero-cost scores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hwnas import Architecture, DataError, SearchSpace

from ._acc_base import AccuracyPredictor
from ._acc_features import accuracy_features
from ._acc_zc_lookup import ZeroCostLookup
from ._base import register_predictor

__all__ = ["XGBAccuracyPredictor"]


@register_predictor
class XGBAccuracyPredictor(AccuracyPredictor):
    """XGBoost regression of accuracy on ``accuracy_features`` (path structure of the cell).

    Defaults were chosen on NB201 for 100..1000 training architectures: 300 trees of depth 6,
    learning rate 0.08, row and column subsampling (more trees rank barely better and cost query
    time: a batch query must stay near 5 us per architecture). ``zero_cost`` is the path of a zero-cost
    cache CSV (``compute_zero_cost``); its scores are added as features and copied into the
    saved predictor, so a loaded predictor does not depend on the cache.
    """

    name = "xgb"
    DEFAULTS: dict[str, Any] = {"n_estimators": 300, "max_depth": 6, "learning_rate": 0.08, "subsample": 0.8,
                                "colsample_bytree": 0.8, "min_child_weight": 1.0, "seed": 0, "zero_cost": None}

    def __init__(self, space: SearchSpace | str, **params: Any) -> None:
        super().__init__(space, **params)
        self._zc: ZeroCostLookup | None = None

    def features(self, genes: np.ndarray) -> np.ndarray:
        x = accuracy_features(self.space, genes)
        if self.params["zero_cost"] is not None:
            x = np.concatenate([x, self._lookup()(genes)], axis=1)
        return x

    def _lookup(self) -> ZeroCostLookup:
        if self._zc is None:
            from ._zerocost import read_zero_cost

            path = Path(self.params["zero_cost"])
            if not path.is_file():
                raise DataError(f"{path}: zero-cost cache not found")
            self._zc = ZeroCostLookup(self.space, read_zero_cost(path))
        return self._zc

    def _fit(self, archs: list[Architecture], y: np.ndarray, **fit_kw: Any) -> None:
        import xgboost as xgb

        p = self.params
        self.model_ = xgb.XGBRegressor(
            n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"]), learning_rate=float(p["learning_rate"]),
            subsample=float(p["subsample"]), colsample_bytree=float(p["colsample_bytree"]),
            min_child_weight=float(p["min_child_weight"]), random_state=int(p["seed"]), n_jobs=1, tree_method="hist")
        self.model_.fit(self.features(self.space.genes_array(archs)), y)

    def _predict_genes(self, genes: np.ndarray) -> np.ndarray:
        return self.model_.predict(self.features(genes))

    def _save_state(self, directory: Path) -> dict:
        self.model_.save_model(directory / "model.ubj")
        if self.params["zero_cost"] is not None:
            self._lookup().frame.to_csv(directory / "zero_cost.csv")
        return {"model": "model.ubj", "zero_cost": "zero_cost.csv" if self.params["zero_cost"] else None}

    def _load_state(self, directory: Path, state: dict) -> None:
        import xgboost as xgb

        self._restore_provenance(directory)
        self.model_ = xgb.XGBRegressor()
        try:
            self.model_.load_model(directory / state.get("model", "model.ubj"))
        except xgb.core.XGBoostError as exc:
            raise DataError(f"{directory}: unreadable XGBoost model ({str(exc).splitlines()[0]})") from exc
        if state.get("zero_cost"):
            from ._zerocost import read_zero_cost

            self._zc = ZeroCostLookup(self.space, read_zero_cost(directory / state["zero_cost"]))
