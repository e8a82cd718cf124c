"""``accuracy/gnn``: the shared plain-torch graph network (``_gnn``) on ``space.to_graph``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hwnas import Architecture, DataError

from ._acc_base import AccuracyPredictor
from ._base import register_predictor
from ._gnn import GraphRegressor, graphs_to_batch, load_gnn, predict_graph_regressor, save_gnn, train_graph_regressor

__all__ = ["GNNAccuracyPredictor"]


@register_predictor
class GNNAccuracyPredictor(AccuracyPredictor):
    """GIN (or GCN, ``kind``) regression of standardised accuracy from the architecture's DAG.

    Seeded mini-batch Adam for ``epochs`` epochs; weights saved as safetensors. Slower to fit and
    query than ``xgb`` and, on NB201, less accurate with few architectures: it is here for spaces
    whose graphs say more than a fixed-length encoding can.
    """

    name = "gnn"
    DEFAULTS: dict[str, Any] = {"kind": "gin", "hidden": 64, "layers": 3, "epochs": 200, "lr": 3e-3,
                                "batch_size": 128, "weight_decay": 1e-4, "seed": 0}

    def _batch(self, genes: np.ndarray):
        return graphs_to_batch([self.space.to_graph(self.space.make(g)) for g in genes])

    def _new_net(self, in_features: int):
        p = self.params
        return GraphRegressor(in_features, int(p["hidden"]), int(p["layers"]), str(p["kind"]))

    def _fit(self, archs: list[Architecture], y: np.ndarray, **fit_kw: Any) -> None:
        import torch

        p = self.params
        batch = self._batch(self.space.genes_array(archs))
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() + 1e-8)
        self.in_features_ = int(batch.x.shape[2])
        torch.manual_seed(int(p["seed"]))
        self.net_ = self._new_net(self.in_features_)
        train_graph_regressor(self.net_, batch, (y - self.y_mean_) / self.y_std_, epochs=int(p["epochs"]),
                              lr=float(p["lr"]), batch_size=int(p["batch_size"]),
                              weight_decay=float(p["weight_decay"]), seed=int(p["seed"]))

    def _predict_genes(self, genes: np.ndarray) -> np.ndarray:
        return predict_graph_regressor(self.net_, self._batch(genes)) * self.y_std_ + self.y_mean_

    def _save_state(self, directory: Path) -> dict:
        save_gnn(self.net_, directory / "gnn.safetensors")
        return {"weights": "gnn.safetensors", "y_mean": self.y_mean_, "y_std": self.y_std_,
                "in_features": self.in_features_}

    def _load_state(self, directory: Path, state: dict) -> None:
        from safetensors import SafetensorError

        self._restore_provenance(directory)
        try:
            self.in_features_ = int(state["in_features"])
            self.net_ = load_gnn(self._new_net(self.in_features_), directory / state["weights"])
            self.y_mean_, self.y_std_ = float(state["y_mean"]), float(state["y_std"])
        except (KeyError, RuntimeError, OSError, ValueError, SafetensorError) as exc:
            raise DataError(f"{directory}: unreadable GNN state ({exc})") from exc
