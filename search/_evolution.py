"""``evolution``: regularized (aging) evolution, Real et al. 2019, with constraint-domination."""

from __future__ import annotations

import numpy as np

from ._genes import mutate_genes
from ._strategy import Strategy, constrained_order, register_strategy

__all__ = ["RegularizedEvolution"]


@register_strategy
class RegularizedEvolution(Strategy):
    """A population of the ``population`` most recent genomes; each child is a mutation of the
    winner of a tournament among ``sample_size`` random members; the oldest member dies when a
    child arrives (aging keeps the search from settling on one lucky genome). Until the
    population is full, asks are random. Tournaments rank by constraint-domination."""

    name = "evolution"
    DEFAULTS = {"population": 100, "sample_size": 10, "n_mutations": 1}

    def __init__(self, space, seed: int = 0, **params) -> None:
        super().__init__(space, seed, **params)
        self.pop_genes = np.zeros((0, len(self.space.cardinalities)), dtype=np.int64)
        self.pop_score = np.zeros(0)
        self.pop_violation = np.zeros(0)

    def ask(self, n: int) -> np.ndarray:
        if len(self.pop_genes) < self.params["population"]:
            return self.screened(self.draw, n)
        return self.screened(self._children, n)

    def _children(self, n: int) -> np.ndarray:
        rank = np.empty(len(self.pop_genes), dtype=np.int64)
        rank[constrained_order(self.pop_score, self.pop_violation)] = np.arange(len(rank))
        k = min(self.params["sample_size"], len(rank))
        contestants = self.rng.integers(len(rank), size=(n, k))
        winners = contestants[np.arange(n), np.argmin(rank[contestants], axis=1)]
        return mutate_genes(self.space, self.pop_genes[winners], self.rng, self.params["n_mutations"])

    def tell(self, genes: np.ndarray, F: np.ndarray, violation: np.ndarray) -> None:
        keep = self.params["population"]
        self.pop_genes = np.concatenate([self.pop_genes, genes])[-keep:]
        self.pop_score = np.concatenate([self.pop_score, self.scalar(F)])[-keep:]
        self.pop_violation = np.concatenate([self.pop_violation, violation])[-keep:]
