"""Pareto fronts, non-dominated sorting, crowding distance and 2-D hypervolume (all minimising)."""

from __future__ import annotations

import numpy as np

__all__ = ["pareto_mask", "non_dominated_sort", "crowding_distance", "hypervolume_2d"]


def pareto_mask(F: np.ndarray) -> np.ndarray:
    """Which rows of ``F`` (N x M, every column minimised) no other row dominates.

    Duplicated rows are all kept. Sorting by the first column makes the 2-objective case
    O(N log N); more objectives compare each point with the front found so far.
    """
    F = np.asarray(F, dtype=np.float64)
    n = len(F)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if F.shape[1] == 1:
        return F[:, 0] == F[:, 0].min()
    order = np.lexsort(F.T[::-1])
    mask = np.zeros(n, dtype=bool)
    if F.shape[1] == 2:
        best = np.inf
        prev = None
        for i in order:  # sorted by f0 then f1: a point is on the front iff its f1 beats all before
            f1 = F[i, 1]
            if f1 < best or (prev is not None and np.array_equal(F[i], F[prev]) and mask[prev]):
                mask[i] = True
                best = min(best, f1)
            prev = i
        return mask
    front: list[int] = []
    for i in order:
        if front:
            P = F[front]
            if np.any(np.all(P <= F[i], axis=1) & np.any(P < F[i], axis=1)):
                continue
        front.append(i)
        mask[i] = True
    return mask


def non_dominated_sort(F: np.ndarray) -> np.ndarray:
    """Front rank of each row (0 = non-dominated), the NSGA-II way; O(M N^2), for populations."""
    F = np.asarray(F, dtype=np.float64)
    n = len(F)
    le = np.all(F[:, None, :] <= F[None, :, :], axis=2)
    lt = np.any(F[:, None, :] < F[None, :, :], axis=2)
    dominates = le & lt  # dominates[i, j]: i dominates j
    dominated_by = dominates.sum(axis=0)
    rank = np.full(n, -1, dtype=np.int64)
    current = np.flatnonzero(dominated_by == 0)
    r = 0
    while current.size:
        rank[current] = r
        dominated_by = dominated_by - dominates[current].sum(axis=0)
        dominated_by[rank >= 0] = -1
        current = np.flatnonzero(dominated_by == 0)
        r += 1
    return rank


def crowding_distance(F: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of the rows of one front (boundary points get infinity)."""
    F = np.asarray(F, dtype=np.float64)
    n, m = F.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        order = np.argsort(F[:, k], kind="stable")
        span = F[order[-1], k] - F[order[0], k]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (F[order[2:], k] - F[order[:-2], k]) / span
    return dist


def hypervolume_2d(F: np.ndarray, ref: tuple[float, float]) -> float:
    """Area dominated by the points of ``F`` (N x 2, minimised) and bounded by ``ref``."""
    F = np.asarray(F, dtype=np.float64).reshape(-1, 2)
    F = F[np.all(F < np.asarray(ref), axis=1)]
    if len(F) == 0:
        return 0.0
    F = F[pareto_mask(F)]
    F = F[np.argsort(F[:, 0])]
    ys = np.concatenate([[ref[1]], F[:-1, 1]])
    return float(np.sum((ref[0] - F[:, 0]) * (ys - F[:, 1]).clip(min=0)))
