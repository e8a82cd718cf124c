"""A small graph neural network in plain torch, for latency and accuracy surrogates alike.

Graphs of a space (``SearchSpace.to_graph``) are padded into dense batches: node features
``X (B, n, F)``, adjacency ``A (B, n, n)`` and a node mask ``M (B, n)``. ``GraphRegressor`` runs a
few GCN (``kind="gcn"``: symmetric-normalised propagation over ``A + A^T + I``) or GIN
(``kind="gin"``: ``MLP((1 + eps) h + sum of neighbours)``) layers, then pools nodes by mean and
sum and maps them to one number. ``train_graph_regressor`` / ``predict_graph_regressor`` fit and
apply it with a seed; weights are saved with ``save_gnn`` (safetensors) and restored with
``load_gnn``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from hwnas import Graph

__all__ = ["GraphBatch", "graphs_to_batch", "GraphRegressor", "train_graph_regressor",
           "predict_graph_regressor", "save_gnn", "load_gnn"]


class GraphBatch:
    """Padded dense tensors of a list of graphs (numpy; turned into torch tensors on use)."""

    def __init__(self, x: np.ndarray, adjacency: np.ndarray, mask: np.ndarray) -> None:
        self.x, self.adjacency, self.mask = x, adjacency, mask

    def __len__(self) -> int:
        return len(self.x)

    def take(self, rows: np.ndarray) -> "GraphBatch":
        return GraphBatch(self.x[rows], self.adjacency[rows], self.mask[rows])


def graphs_to_batch(graphs: Sequence[Graph], extra_node_features: Sequence[np.ndarray] | None = None) -> GraphBatch:
    """Pad graphs to the largest node count; ``extra_node_features[i]`` is ``(n_i, E)`` appended per node."""
    n = max(g.adjacency.shape[0] for g in graphs)
    feats = [np.asarray(g.features, np.float32) for g in graphs]
    if extra_node_features is not None:
        feats = [np.column_stack([f, np.asarray(e, np.float32)]) for f, e in zip(feats, extra_node_features)]
    width = feats[0].shape[1]
    x = np.zeros((len(graphs), n, width), np.float32)
    adj = np.zeros((len(graphs), n, n), np.float32)
    mask = np.zeros((len(graphs), n), np.float32)
    for i, (g, f) in enumerate(zip(graphs, feats)):
        k = g.adjacency.shape[0]
        x[i, :k], adj[i, :k, :k], mask[i, :k] = f, g.adjacency, 1.0
    return GraphBatch(x, adj, mask)


def _module_classes():
    import torch
    from torch import nn

    class GraphRegressor(nn.Module):
        """GCN / GIN layers, mean + sum pooling, a 2-layer head to one output."""

        def __init__(self, in_features: int, hidden: int = 64, layers: int = 3, kind: str = "gcn") -> None:
            super().__init__()
            self.kind = kind
            dims = [in_features] + [hidden] * layers
            if kind == "gin":
                self.convs = nn.ModuleList(nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, b))
                                           for a, b in zip(dims[:-1], dims[1:]))
                self.eps = nn.Parameter(torch.zeros(layers))
            else:
                self.convs = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
            self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

        def forward(self, x: "torch.Tensor", adjacency: "torch.Tensor", mask: "torch.Tensor") -> "torch.Tensor":
            sym = ((adjacency + adjacency.transpose(1, 2)) > 0).float()
            if self.kind == "gcn":
                a = sym + torch.diag_embed(mask)
                d = a.sum(-1).clamp(min=1.0).rsqrt()
                a = d.unsqueeze(-1) * a * d.unsqueeze(-2)
            h = x
            for i, conv in enumerate(self.convs):
                if self.kind == "gin":
                    h = conv((1 + self.eps[i]) * h + sym @ h)
                else:
                    h = conv(a @ h)
                h = torch.relu(h) * mask.unsqueeze(-1)
            total = h.sum(1)
            mean = total / mask.sum(1, keepdim=True).clamp(min=1.0)
            return self.head(torch.cat([mean, total], dim=-1)).squeeze(-1)

    return GraphRegressor


def GraphRegressor(in_features: int, hidden: int = 64, layers: int = 3, kind: str = "gcn"):
    """A new ``torch.nn.Module`` (torch is imported here, at call time)."""
    if kind not in ("gcn", "gin"):
        from hwnas import ConfigError

        raise ConfigError(f"gnn kind must be 'gcn' or 'gin', got {kind!r}")
    return _module_classes()(in_features, hidden, layers, kind)


def _tensors(batch: GraphBatch):
    import torch

    return torch.from_numpy(batch.x), torch.from_numpy(batch.adjacency), torch.from_numpy(batch.mask)


def train_graph_regressor(model, batch: GraphBatch, y: np.ndarray, epochs: int = 300, lr: float = 3e-3,
                          batch_size: int = 128, weight_decay: float = 1e-4, seed: int = 0):
    """Fit ``model`` to ``y`` (standardise it first) with Adam and MSE; deterministic for a seed."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, a, m = _tensors(batch)
    target = torch.as_tensor(np.asarray(y, np.float32))
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(target))
        for start in range(0, len(order), batch_size):
            rows = torch.from_numpy(order[start:start + batch_size])
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[rows], a[rows], m[rows]), target[rows])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    return model


def predict_graph_regressor(model, batch: GraphBatch, batch_size: int = 4096) -> np.ndarray:
    import torch

    x, a, m = _tensors(batch)
    out = []
    with torch.no_grad():
        for s in range(0, len(x), batch_size):
            out.append(model(x[s:s + batch_size], a[s:s + batch_size], m[s:s + batch_size]).numpy())
    return np.concatenate(out).astype(np.float64)


def save_gnn(model, path: str | Path) -> None:
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))


def load_gnn(model, path: str | Path):
    """Load weights saved by ``save_gnn`` into a model built with the same shape."""
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(path)))
    return model.eval()
