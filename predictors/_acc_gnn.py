"""``accuracy/gnn``: a small graph isomorphism network on ``space.to_graph`` (plain torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hwnas import Architecture, DataError

from ._acc_base import AccuracyPredictor
from ._base import register_predictor

__all__ = ["GNNAccuracyPredictor"]


def _gin(in_dim: int, hidden: int, layers: int):
    import torch
    from torch import nn

    class GIN(nn.Module):
        """GIN layers on dense adjacency (both directions), sum readout, MLP head."""

        def __init__(self) -> None:
            super().__init__()
            dims = [in_dim] + [hidden] * layers
            self.mlps = nn.ModuleList(nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, b))
                                      for a, b in zip(dims[:-1], dims[1:]))
            self.head = nn.Sequential(nn.Linear(hidden * layers, hidden), nn.ReLU(), nn.Linear(hidden, 1))

        def forward(self, adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            a = adj + adj.transpose(1, 2)  # messages flow both ways along the DAG
            readouts = []
            for mlp in self.mlps:
                x = torch.relu(mlp(x + a @ x))
                readouts.append(x.sum(1))
            return self.head(torch.cat(readouts, 1)).squeeze(1)

    return GIN()


@register_predictor
class GNNAccuracyPredictor(AccuracyPredictor):
    """GIN regression of (standardised) accuracy from the architecture's DAG.

    Graphs of one space have a fixed node count in nb201; others are zero-padded. Training is
    full-batch Adam for ``epochs`` steps, seeded; the weights are saved as safetensors.
    """

    name = "gnn"
    DEFAULTS: dict[str, Any] = {"hidden": 64, "layers": 3, "epochs": 300, "lr": 3e-3, "weight_decay": 1e-4, "seed": 0}

    def _graphs(self, genes: np.ndarray):
        import torch

        graphs = [self.space.to_graph(self.space.make(g)) for g in genes]
        n = max(g.adjacency.shape[0] for g in graphs)
        f = graphs[0].features.shape[1]
        adj = np.zeros((len(graphs), n, n), np.float32)
        x = np.zeros((len(graphs), n, f), np.float32)
        for i, g in enumerate(graphs):
            k = g.adjacency.shape[0]
            adj[i, :k, :k], x[i, :k] = g.adjacency, g.features
        return torch.from_numpy(adj), torch.from_numpy(x)

    def _fit(self, archs: list[Architecture], y: np.ndarray, **fit_kw: Any) -> None:
        import torch

        p = self.params
        adj, x = self._graphs(self.space.genes_array(archs))
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() + 1e-8)
        target = torch.tensor((y - self.y_mean_) / self.y_std_, dtype=torch.float32)
        torch.manual_seed(int(p["seed"]))
        self.net_ = _gin(x.shape[2], int(p["hidden"]), int(p["layers"]))
        opt = torch.optim.AdamW(self.net_.parameters(), lr=float(p["lr"]), weight_decay=float(p["weight_decay"]))
        self.net_.train()
        old = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny tensors: threads only add synchronisation
        try:
            for _ in range(int(p["epochs"])):
                loss = torch.nn.functional.mse_loss(self.net_(adj, x), target)
                opt.zero_grad()
                loss.backward()
                opt.step()
        finally:
            torch.set_num_threads(old)
        self.in_dim_ = int(x.shape[2])

    def _predict_genes(self, genes: np.ndarray) -> np.ndarray:
        import torch

        adj, x = self._graphs(genes)
        self.net_.eval()
        with torch.no_grad():
            return self.net_(adj, x).numpy() * self.y_std_ + self.y_mean_

    def _save_state(self, directory: Path) -> dict:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in self.net_.state_dict().items()}, str(directory / "gnn.safetensors"))
        return {"weights": "gnn.safetensors", "y_mean": self.y_mean_, "y_std": self.y_std_, "in_dim": self.in_dim_}

    def _load_state(self, directory: Path, state: dict) -> None:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        self._restore_provenance(directory)
        try:
            weights = load_file(str(directory / state["weights"]))
            self.net_ = _gin(int(state["in_dim"]), int(self.params["hidden"]), int(self.params["layers"]))
            self.net_.load_state_dict(weights)
        except (SafetensorError, KeyError, RuntimeError, OSError) as exc:
            raise DataError(f"{directory}: unreadable GNN weights ({exc})") from exc
        self.y_mean_, self.y_std_, self.in_dim_ = float(state["y_mean"]), float(state["y_std"]), int(state["in_dim"])
