"""Vectorised random processes on gene matrices (the fast path of every strategy)."""

from __future__ import annotations

import numpy as np

from hwnas import SearchSpace

__all__ = ["random_genes", "mutate_genes", "crossover_genes", "canonical_genes", "genes_keys", "nearest_rows", "Universe"]


def canonical_genes(space: SearchSpace, genes: np.ndarray) -> np.ndarray:
    """Rows made canonical (inactive genes reset); a no-op for spaces without inactive genes."""
    if type(space).canonical is SearchSpace.canonical:
        return genes
    return np.array([space.canonical(tuple(int(g) for g in row)) for row in genes],
                    dtype=np.int64).reshape(genes.shape)


def random_genes(space: SearchSpace, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` genomes drawn uniformly per gene, made canonical."""
    cards = np.asarray(space.cardinalities)
    genes = (rng.random((n, len(cards))) * cards).astype(np.int64)
    return canonical_genes(space, genes)


def mutate_genes(space: SearchSpace, genes: np.ndarray, rng: np.random.Generator,
                 n_mutations: int = 1) -> np.ndarray:
    """Each row with ``n_mutations`` genes changed to another option.

    A change to an inactive gene is invisible once canonical, so such rows are mutated again
    (a few times) so that children differ from their parents wherever the space allows it.
    """
    cards = np.asarray(space.cardinalities)
    mutable = np.flatnonzero(cards > 1)
    parents = np.asarray(genes, dtype=np.int64)
    out = parents.copy()
    todo = np.arange(len(out))
    for _ in range(8):
        child = out[todo].copy()
        rows = np.arange(len(todo))
        for _k in range(n_mutations):
            cols = mutable[rng.integers(len(mutable), size=len(todo))]
            shift = 1 + (rng.random(len(todo)) * (cards[cols] - 1)).astype(np.int64)
            child[rows, cols] = (child[rows, cols] + shift) % cards[cols]
        out[todo] = canonical_genes(space, child)
        todo = todo[np.all(out[todo] == parents[todo], axis=1)]
        if todo.size == 0:
            break
    return out


def crossover_genes(space: SearchSpace, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniform crossover of paired rows of ``a`` and ``b``."""
    take_a = rng.random(a.shape) < 0.5
    return canonical_genes(space, np.where(take_a, a, b).astype(np.int64))


def genes_keys(genes: np.ndarray) -> list[bytes]:
    """A hashable key per row (for caches and de-duplication)."""
    genes = np.ascontiguousarray(genes, dtype=np.int64)
    return [row.tobytes() for row in genes]


def nearest_rows(universe: np.ndarray, genes: np.ndarray, taken: np.ndarray | None = None) -> np.ndarray:
    """For each row of ``genes``, the index of the ``universe`` row that differs from it in the
    fewest genes (Hamming distance), never one marked in ``taken`` (a boolean mask over the
    universe) nor one already given to an earlier row; -1 once none is left. Ties go to the
    lowest index, so the mapping is deterministic. This is how a strategy that proposes anywhere
    in a space searches a table that samples it."""
    universe = np.asarray(universe, dtype=np.int64)
    free = np.ones(len(universe), dtype=bool) if taken is None else ~np.asarray(taken, dtype=bool)
    out = np.full(len(genes), -1, dtype=np.int64)
    for i, row in enumerate(np.asarray(genes, dtype=np.int64)):
        if not free.any():
            break
        distance = np.where(free, (universe != row).sum(axis=1), np.iinfo(np.int64).max)
        out[i] = int(np.argmin(distance))
        free[out[i]] = False
    return out


class Universe:
    """The genomes a driver can evaluate (a table that samples a space too large to enumerate) and
    the mapping of proposals into them: a genome outside becomes its nearest member not yet handed
    out (``nearest_rows``), so that no evaluation is spent twice. Deterministic, so a replayed run
    maps alike."""

    def __init__(self, genes: np.ndarray, index: dict[bytes, int] | None = None) -> None:
        self.genes = np.asarray(genes, dtype=np.int64)
        self.index = index if index is not None else {k: i for i, k in enumerate(genes_keys(self.genes))}
        self.taken = np.zeros(len(self.genes), dtype=bool)

    def project(self, genes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The member row of each proposal (-1 once none is left) and the genomes evaluated in
        their place (the proposal itself where it has no row)."""
        genes = np.asarray(genes, dtype=np.int64)
        rows = np.array([self.index.get(k, -1) for k in genes_keys(genes)], dtype=np.int64)
        self.taken[rows[rows >= 0]] = True
        missing = rows < 0
        rows[missing] = nearest_rows(self.genes, genes[missing], self.taken)
        self.taken[rows[rows >= 0]] = True
        return rows, np.where((rows >= 0)[:, None], self.genes[np.maximum(rows, 0)], genes)
