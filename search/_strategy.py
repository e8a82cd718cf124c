"""`Strategy`: the ask/tell base class of every search strategy, and its registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

import numpy as np

from hwnas import ConfigError, SearchSpace, as_rng, get_space

from ._genes import random_genes

__all__ = ["Strategy", "register_strategy", "list_strategies", "create_strategy", "constrained_order"]

Screen = Callable[[np.ndarray], np.ndarray]


def constrained_order(score: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Indices from best to worst under constraint-domination (Deb): feasible rows first, by
    ``score`` (lower is better); then infeasible rows by their violation."""
    violation = np.asarray(violation, dtype=np.float64)
    score = np.where(violation > 0, 0.0, np.asarray(score, dtype=np.float64))
    return np.lexsort((score, violation))


class Strategy(ABC):
    """A search strategy that proposes architectures and learns from their scores.

    The contract is ask/tell, so that one strategy drives a search on surrogates (thousands of
    evaluations a second) and a search on real measurements (a few dozen) alike:

    - ``ask(n)`` returns an ``(n, n_choices)`` int gene matrix of canonical genomes to evaluate
      next (a strategy may propose an architecture again; drivers cache evaluations).
    - ``tell(genes, F, violation)`` reports their scores: ``F`` is ``(n, M)`` with every
      objective *minimised* (accuracy enters as its negative) and ``violation`` is ``(n,)``, 0
      for feasible rows and the summed relative excess over the constraints otherwise.
      Constraints dominate: any feasible row beats any infeasible one (``constrained_order``).
    - ``screen``, optional, set by a driver when constraints are cheap to compute (surrogates,
      tables): genes -> violation. Strategies use it to avoid proposing architectures that are
      known to be infeasible before paying for an evaluation.
    - ``feasibility``, optional, likewise: genes -> probability of meeting the constraints (an
      uncertain surrogate's belief). Model-based strategies weigh their acquisition by it.
    - ``universe``, optional, set by a driver when only these genomes can be evaluated (a table
      that samples a space too large to enumerate, e.g. 5000 FBNet networks): random draws
      (``draw``) come from it and model-based strategies rank its members; the driver maps any
      other proposal to its nearest member (``nearest_rows``).

    Single-objective strategies minimise ``F @ weights`` (default: the first objective).
    Every random draw comes from ``self.rng``, seeded by ``seed``: the same seed and the same
    told scores give the same proposals, which is what lets a run resume by replaying its
    history. Subclasses declare their hyper-parameters in ``DEFAULTS``.
    """

    name: ClassVar[str] = ""
    multi_objective: ClassVar[bool] = False
    DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init__(self, space: SearchSpace | str, seed: int = 0, weights=None, **params: Any) -> None:
        unknown = set(params) - set(self.DEFAULTS)
        if unknown:
            raise ConfigError(f"strategy {self.name!r}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(sorted(self.DEFAULTS)) or 'none'}")
        self.space = get_space(space) if isinstance(space, str) else space
        self.seed = int(seed)
        self.rng = as_rng(self.seed)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.params = {**self.DEFAULTS, **params}
        self.screen: Screen | None = None
        self.feasibility: Screen | None = None
        self.universe: np.ndarray | None = None

    def draw(self, n: int) -> np.ndarray:
        """``n`` random genomes: uniform per gene, or uniform over ``universe`` when set."""
        if self.universe is None:
            return random_genes(self.space, n, self.rng)
        return self.universe[self.rng.integers(len(self.universe), size=n)]

    @abstractmethod
    def ask(self, n: int) -> np.ndarray:
        """The next ``n`` genomes to evaluate."""

    @abstractmethod
    def tell(self, genes: np.ndarray, F: np.ndarray, violation: np.ndarray) -> None:
        """Scores of genomes returned by ``ask``."""

    # ------------------------------------------------------------------ helpers for subclasses
    def scalar(self, F: np.ndarray) -> np.ndarray:
        F = np.asarray(F, dtype=np.float64).reshape(len(F), -1)
        return F[:, 0] if self.weights is None else F @ self.weights

    def screened(self, propose: Callable[[int], np.ndarray], n: int, tries: int = 20) -> np.ndarray:
        """``n`` rows from ``propose``, re-drawing those ``screen`` finds infeasible (a few times;
        rows still infeasible after that are kept, so a search never stalls)."""
        genes = propose(n)
        if self.screen is None:
            return genes
        bad = np.flatnonzero(np.asarray(self.screen(genes)) > 0)
        for _ in range(tries):
            if bad.size == 0:
                break
            extra = propose(2 * bad.size)  # over-draw: fewer screening calls, each with a fixed cost
            ok = extra[np.asarray(self.screen(extra)) <= 0]
            take = min(len(ok), bad.size)
            genes[bad[:take]] = ok[:take]
            bad = bad[take:]
        return genes


_REGISTRY: dict[str, type[Strategy]] = {}


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: register a strategy under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def list_strategies() -> list[str]:
    """Names of the registered strategies."""
    return sorted(_REGISTRY)


def create_strategy(name: str, space: SearchSpace | str, seed: int = 0, **params: Any) -> Strategy:
    """A new strategy; ``params`` are its hyper-parameters (see its ``DEFAULTS``)."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown strategy {name!r}; known: {', '.join(list_strategies())}")
    return _REGISTRY[name](space, seed=seed, **params)
