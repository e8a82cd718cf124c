"""`gnn`: a graph network on ``SearchSpace.to_graph`` whose nodes carry their measured latency.

Each node's features are the space's own (op type, shapes) plus log1p of the node's lookup-table
latency (the sum over the units it stands for) and of its multiply-adds. With a profile the network
learns the log ratio of the measurement to the lookup-table sum; without one, the log latency.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hwnas import Architecture

from ._base import register_predictor
from ._gnn import GraphRegressor, graphs_to_batch, load_gnn, predict_graph_regressor, save_gnn, train_graph_regressor
from ._lat_base import LatencyPredictor, log_ms

__all__ = ["GNNLatency"]


@register_predictor
class GNNLatency(LatencyPredictor):
    """GCN (or GIN) regressor on architecture graphs with per-node latency features."""

    name = "gnn"

    def __init__(self, space, profile: Any = None, kind: str = "gcn", hidden: int = 64, layers: int = 3,
                 epochs: int = 300, lr: float = 3e-3, seed: int = 0) -> None:
        super().__init__(space, profile=profile, kind=kind, hidden=int(hidden), layers=int(layers),
                         epochs=int(epochs), lr=float(lr), seed=int(seed))

    def _node_extras(self, arch: Architecture) -> tuple:
        graph = self.space.to_graph(arch)
        feats = self.features()
        rows = []
        for units in graph.units:
            row = [np.log1p(sum(feats._unit_row(u)[feats.names.index("macs")] for u in units) / 1e6)]
            if self.lut_ is not None:
                row.append(np.log1p(sum(feats._lookup(u) for u in units)))
            rows.append(row)
        return graph, np.asarray(rows, np.float32)

    def _graph(self, genes: tuple[int, ...]) -> tuple:
        cache = self.__dict__.setdefault("_graph_cache", {})
        if genes not in cache:
            cache[genes] = self._node_extras(self.space.make(genes))
        return cache[genes]

    def _batch(self, genes: np.ndarray):
        graphs, extras = zip(*(self._graph(tuple(g)) for g in genes.tolist()))
        base = np.log(self.features().lut_sums(genes)) if self.lut_ is not None else np.zeros(len(genes))
        return graphs_to_batch(graphs, extras), base

    def _model(self, in_features: int):
        p = self.params
        return GraphRegressor(in_features, p["hidden"], p["layers"], p["kind"])

    def _fit(self, archs: list[Architecture], y: np.ndarray, **_: Any) -> None:
        self._take_profile()
        batch, base = self._batch(self.space.genes_array(archs))
        target = log_ms(y) - base
        self.y_mean_, self.y_std_ = float(target.mean()), float(target.std() or 1.0)
        self.in_features_ = int(batch.x.shape[-1])
        self.model_ = train_graph_regressor(self._model(self.in_features_), batch, (target - self.y_mean_) / self.y_std_,
                                            epochs=self.params["epochs"], lr=self.params["lr"], seed=self.params["seed"])

    def _predict_genes(self, genes: np.ndarray) -> np.ndarray:
        batch, base = self._batch(genes)
        return np.exp(base + self.y_mean_ + self.y_std_ * predict_graph_regressor(self.model_, batch))

    def _save_state(self, directory: Path) -> dict:
        save_gnn(self.model_, directory / "gnn.safetensors")
        return dict(self._save_lut(directory), y_mean=self.y_mean_, y_std=self.y_std_, in_features=self.in_features_)

    def _load_state(self, directory: Path, state: dict) -> None:
        self._load_lut(directory, state)
        self.y_mean_, self.y_std_ = float(state["y_mean"]), float(state["y_std"])
        self.in_features_ = int(state["in_features"])
        self.model_ = load_gnn(self._model(self.in_features_), directory / "gnn.safetensors")
