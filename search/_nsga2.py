"""``nsga2``: the multi-objective genetic algorithm of Deb et al. 2002, constraint-dominated."""

from __future__ import annotations

import numpy as np

from ._genes import crossover_genes, mutate_genes
from ._pareto import crowding_distance, non_dominated_sort
from ._strategy import Strategy, register_strategy

__all__ = ["NSGA2"]


@register_strategy
class NSGA2(Strategy):
    """Keeps ``population`` genomes ranked by (feasibility, violation, Pareto front, crowding);
    children come from binary tournaments, uniform crossover (probability ``crossover``) and
    mutation. Feasible genomes always outrank infeasible ones (Deb's constraint-domination), so
    with a latency budget the front is the accuracy/latency trade-off *within* the budget."""

    name = "nsga2"
    multi_objective = True
    DEFAULTS = {"population": 100, "crossover": 0.9, "n_mutations": 1}

    def __init__(self, space, seed: int = 0, **params) -> None:
        super().__init__(space, seed, **params)
        self.pop_genes = np.zeros((0, len(self.space.cardinalities)), dtype=np.int64)
        self.pop_F = np.zeros((0, 0))
        self.pop_violation = np.zeros(0)
        self.rank = np.zeros(0, dtype=np.int64)

    def ask(self, n: int) -> np.ndarray:
        if len(self.pop_genes) < self.params["population"]:
            return self.screened(self.draw, n)
        return self.screened(self._children, n)

    def _tournament(self, n: int) -> np.ndarray:
        a, b = self.rng.integers(len(self.rank), size=(2, n))
        return np.where(self.rank[a] <= self.rank[b], a, b)

    def _children(self, n: int) -> np.ndarray:
        pa, pb = self.pop_genes[self._tournament(n)], self.pop_genes[self._tournament(n)]
        mixed = crossover_genes(self.space, pa, pb, self.rng)
        children = np.where((self.rng.random(n) < self.params["crossover"])[:, None], mixed, pa)
        return mutate_genes(self.space, children, self.rng, self.params["n_mutations"])

    def tell(self, genes: np.ndarray, F: np.ndarray, violation: np.ndarray) -> None:
        F = np.asarray(F, dtype=np.float64).reshape(len(genes), -1)
        all_genes = np.concatenate([self.pop_genes, genes])
        all_F = np.concatenate([self.pop_F.reshape(-1, F.shape[1]), F])
        all_v = np.concatenate([self.pop_violation, violation])
        _, first = np.unique(all_genes, axis=0, return_index=True)  # duplicates would crowd the front
        first = np.sort(first)
        all_genes, all_F, all_v = all_genes[first], all_F[first], all_v[first]
        order = self._survival_order(all_F, all_v)
        keep = order[: self.params["population"]]
        self.pop_genes, self.pop_F, self.pop_violation = all_genes[keep], all_F[keep], all_v[keep]
        self.rank = np.empty(len(keep), dtype=np.int64)
        self.rank[:] = np.arange(len(keep))  # position in survival order: lower is better

    @staticmethod
    def _survival_order(F: np.ndarray, violation: np.ndarray) -> np.ndarray:
        feasible = np.flatnonzero(violation <= 0)
        infeasible = np.flatnonzero(violation > 0)
        front = non_dominated_sort(F[feasible])
        crowd = np.zeros(len(feasible))
        for r in np.unique(front):
            members = front == r
            crowd[members] = crowding_distance(F[feasible][members])
        ordered = feasible[np.lexsort((-crowd, front))]
        return np.concatenate([ordered, infeasible[np.argsort(violation[infeasible], kind="stable")]])
