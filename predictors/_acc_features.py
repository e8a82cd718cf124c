"""Features of architectures for accuracy surrogates, vectorised over gene matrices.

A one-hot of the genes is a weak description of a cell: in NAS-Bench-201 a ``none`` edge can cut
a node off (its other edges then do nothing), and what decides accuracy is what the data meets on
its way from input to output. For cell spaces whose choices are the edges of a DAG (named
``edge{to}{from}``, like nb201) the features are therefore computed from the paths of the cell:
for each input-to-output path, whether it is alive (no ``none``) and how many convolutions,
3x3 convolutions and poolings it has; the number of alive paths, the deepest and shallowest conv
depth; which intermediate nodes are connected; the op counts and one-hot restricted to edges that
lie on an alive path. Other spaces get one-hot + ordinal genes.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from hwnas import SearchSpace

__all__ = ["accuracy_features", "accuracy_feature_names"]

_EDGE = re.compile(r"^edge(\d)(\d)$")


def accuracy_features(space: SearchSpace, genes: np.ndarray) -> np.ndarray:
    """``(N, F)`` float32 features of an ``(N, n_choices)`` gene matrix."""
    genes = np.asarray(genes, dtype=np.int64)
    cell = _cell(space)
    if cell is None:
        return np.concatenate([space.encode_genes(genes), genes.astype(np.float32)], axis=1)
    return _cell_features(genes, *cell)


def accuracy_feature_names(space: SearchSpace) -> list[str]:
    cell = _cell(space)
    if cell is None:
        return list(space.encoding_names) + [f"{c.name}#" for c in space.choices]
    return _cell_names(space, *cell)


def _cell(space: SearchSpace):
    """``(edges, ops, paths)`` when every choice is a DAG edge over the same ops, else None."""
    return _cell_of(tuple((c.name, c.options) for c in space.choices))


@lru_cache(maxsize=16)
def _cell_of(choices: tuple) -> tuple | None:
    edges, ops = [], choices[0][1] if choices else ()
    for name, options in choices:
        m = _EDGE.match(name)
        if not m or options != ops:
            return None
        edges.append((int(m.group(2)), int(m.group(1))))  # (from, to)
    last = max(to for _, to in edges)
    if not any(o in ("none", "zero") for o in ops):
        return None
    return tuple(edges), tuple(ops), tuple(_paths(edges, 0, last))


def _paths(edges, node: int, last: int) -> list[tuple[int, ...]]:
    """Edge-index sequences of every path from ``node`` to ``last``."""
    if node == last:
        return [()]
    out = []
    for k, (src, dst) in enumerate(edges):
        if src == node:
            out += [(k, *rest) for rest in _paths(edges, dst, last)]
    return out


def _op_masks(ops: tuple[str, ...]):
    dead = np.array([o in ("none", "zero") for o in ops])
    conv = np.array(["conv" in o for o in ops])
    conv3 = np.array(["conv" in o and "3x3" in o for o in ops])
    pool = np.array(["pool" in o for o in ops])
    return dead, conv, conv3, pool


def _cell_features(genes: np.ndarray, edges, ops, paths) -> np.ndarray:
    n, n_ops = len(genes), len(ops)
    dead, conv, conv3, pool = (m[genes] for m in _op_masks(ops))
    alive_edge = ~dead
    onehot = np.zeros((n, len(edges) * n_ops), np.float32)
    onehot[np.arange(n)[:, None], genes + np.arange(len(edges)) * n_ops] = 1.0
    counts = np.stack([(genes == k).sum(1) for k in range(n_ops)], 1)
    per_path, alive_paths, depths = [], [], []
    used = np.zeros_like(alive_edge)
    for p in paths:
        p = list(p)
        alive = alive_edge[:, p].all(1)
        depth = conv[:, p].sum(1) * alive
        per_path += [alive, depth, conv3[:, p].sum(1) * alive, pool[:, p].sum(1) * alive]
        alive_paths.append(alive)
        depths.append(depth)
        used[:, p] |= alive[:, None]
    alive_paths, depths = np.stack(alive_paths, 1), np.stack(depths, 1)
    summary = [alive_paths.sum(1), depths.max(1), np.where(alive_paths, depths, 99).min(1),
               (alive_paths & (depths == 0)).sum(1), ((conv3 & used).sum(1)), (alive_paths.sum(1) == 0)]
    eff_counts = np.stack([((genes == k) & used).sum(1) for k in range(n_ops)], 1)
    eff_onehot = (onehot.reshape(n, len(edges), n_ops) * used[:, :, None]).reshape(n, -1)
    parts = [onehot, counts, np.stack(per_path, 1), np.stack(summary, 1), eff_counts, eff_onehot]
    return np.concatenate([np.asarray(p, np.float32).reshape(n, -1) for p in parts], 1)


def _cell_names(space: SearchSpace, edges, ops, paths) -> list[str]:
    names = list(space.encoding_names) + [f"count={o}" for o in ops]
    for p in paths:
        tag = "-".join(str(k) for k in p)
        names += [f"path{tag}:alive", f"path{tag}:convs", f"path{tag}:conv3x3", f"path{tag}:pools"]
    names += ["alive_paths", "max_conv_depth", "min_conv_depth", "conv_free_paths", "effective_conv3x3", "disconnected"]
    names += [f"effective_count={o}" for o in ops]
    names += [f"effective:{n}" for n in space.encoding_names]
    return names
