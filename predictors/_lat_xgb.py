"""`xgb` and `ensemble`: gradient-boosted trees on the encoding and the lookup-table features.

With a profile the trees learn the log ratio of the measurement to the lookup-table sum, which is
small and smooth, so a hundred networks suffice; without one they learn the log latency from the
encoding, multiply-adds, parameters and memory traffic. ``ensemble`` bags several such models
(bootstrap samples, different seeds): the spread of their predictions is the uncertainty a search
can use (``predict_with_std``).

Prediction is the search's hot path: ``predict_genes`` predicts each distinct architecture once per
fitted model and keeps the result in an array addressed by the feature slots (exact: the same
model on the same row gives the same number), and small batches run on one thread, since waking a
second thread costs more than the trees themselves on a busy machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from hwnas import Architecture

from ._base import register_predictor
from ._lat_base import LatencyPredictor, log_ms, xgb_threads

__all__ = ["XGBLatency", "EnsembleLatency"]


@register_predictor
class XGBLatency(LatencyPredictor):
    """XGBoost on ``[encoding, log1p(features)]`` of the log latency (or its ratio to the LUT sum)."""

    name = "xgb"

    def __init__(self, space, profile: Any = None, n_estimators: int = 400, max_depth: int = 4,
                 learning_rate: float = 0.05, seed: int = 0, **extra: Any) -> None:
        super().__init__(space, profile=profile, n_estimators=int(n_estimators), max_depth=int(max_depth),
                         learning_rate=float(learning_rate), seed=int(seed), **extra)

    def _inputs(self, genes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model inputs and the log baseline the model corrects (the LUT sum, or 0)."""
        feats = self.features().compute(genes)
        base = np.log(feats[:, 0]) if self.lut_ is not None else np.zeros(len(genes))
        encoded = self.space.encode_genes(genes)
        # float32, as XGBoost holds its inputs: it would convert a float64 matrix anyway, and this
        # one is filled in place (a float64 column_stack took a third of a batch's time on FBNet)
        X = np.empty((len(genes), encoded.shape[1] + feats.shape[1]), dtype=np.float32)
        X[:, :encoded.shape[1]], X[:, encoded.shape[1]:] = encoded, np.log1p(feats)
        return X, base

    def _booster(self, seed: int, n_rows: int):
        import xgboost as xgb

        return xgb.XGBRegressor(n_estimators=self.params["n_estimators"], max_depth=self.params["max_depth"],
                                learning_rate=self.params["learning_rate"], subsample=0.8, colsample_bytree=0.8,
                                tree_method="hist", n_jobs=xgb_threads(n_rows), random_state=seed)

    def _fit(self, archs: list[Architecture], y: np.ndarray, **_: Any) -> None:
        self._take_profile()
        self._predicted = None
        X, base = self._inputs(self.space.genes_array(archs))
        self.models_ = [self._booster(self.params["seed"], len(y)).fit(X, log_ms(y) - base)]

    def _member_predictions(self, genes: np.ndarray) -> np.ndarray:
        X, base = self._inputs(genes)
        threads = xgb_threads(len(genes))
        out = []
        for m in self.models_:
            if m.n_jobs != threads:
                m.set_params(n_jobs=threads)
            out.append(np.exp(base + m.predict(X)))
        return np.stack(out)

    def _predict_genes(self, genes: np.ndarray) -> np.ndarray:
        features = self.features()
        slots = features.slots(genes)
        cached = getattr(self, "_predicted", None)
        if cached is None or cached[0] is not features:  # a new fit or load starts a new cache
            cached = self._predicted = (features, np.full(0, np.nan))
        values = cached[1]
        if len(values) < features.size:
            values = np.concatenate([values, np.full(features.size - len(values), np.nan)])
            self._predicted = (features, values)
        need = np.isnan(values[slots])
        if need.any():  # each new architecture once, from its first row in the batch
            todo, first = np.unique(slots[need], return_index=True)
            values[todo] = self._member_predictions(genes[need][first]).mean(axis=0)
        return values[slots]

    def predict_with_std(self, archs: Sequence[Architecture | str]) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        preds = self._member_predictions(self.space.genes_array([self.space.as_arch(a) for a in archs]))
        return preds.mean(axis=0), preds.std(axis=0)

    def _save_state(self, directory: Path) -> dict:
        for i, m in enumerate(self.models_):
            m.save_model(str(directory / f"xgb_{i}.ubj"))
        return dict(self._save_lut(directory), members=len(self.models_))

    def _load_state(self, directory: Path, state: dict) -> None:
        import xgboost as xgb

        self._load_lut(directory, state)
        self._predicted = None
        self.models_ = []
        for i in range(int(state["members"])):
            m = xgb.XGBRegressor()
            m.load_model(str(directory / f"xgb_{i}.ubj"))
            self.models_.append(m)


@register_predictor
class EnsembleLatency(XGBLatency):
    """``n_members`` XGBoost models on bootstrap samples; ``predict_with_std`` gives their spread."""

    name = "ensemble"

    def __init__(self, space, profile: Any = None, n_members: int = 5, n_estimators: int = 300,
                 max_depth: int = 4, learning_rate: float = 0.05, seed: int = 0) -> None:
        super().__init__(space, profile=profile, n_estimators=n_estimators, max_depth=max_depth,
                         learning_rate=learning_rate, seed=seed, n_members=int(n_members))

    def _fit(self, archs: list[Architecture], y: np.ndarray, **_: Any) -> None:
        self._take_profile()
        self._predicted = None
        X, base = self._inputs(self.space.genes_array(archs))
        target = log_ms(y) - base
        rng = np.random.default_rng(self.params["seed"])
        self.models_ = []
        for m in range(self.params["n_members"]):
            rows = rng.integers(len(y), size=len(y))
            self.models_.append(self._booster(self.params["seed"] + m, len(y)).fit(X[rows], target[rows]))
