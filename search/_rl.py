"""``rl``: a REINFORCE policy over the space's choices (Zoph & Le 2017, factorised as in ENAS/TuNAS)."""

from __future__ import annotations

import numpy as np

from ._strategy import Strategy, register_strategy

__all__ = ["ReinforcePolicy"]


@register_strategy
class ReinforcePolicy(Strategy):
    """An independent softmax per choice; each told batch moves the logits along
    ``advantage * (onehot(gene) - p)`` (the REINFORCE gradient of a factorised policy).

    The reward is minus the (scalarised) objective; an infeasible genome earns the worst reward
    seen so far minus its violation, so the policy learns to stay within the budget. The
    baseline is an exponential moving average of the reward, and advantages are divided by a
    moving spread so that ``learning_rate`` does not depend on the objective's units.
    """

    name = "rl"
    DEFAULTS = {"learning_rate": 0.2, "baseline_decay": 0.9}

    def __init__(self, space, seed: int = 0, **params) -> None:
        super().__init__(space, seed, **params)
        cards = np.asarray(self.space.cardinalities)
        self.mask = np.arange(cards.max())[None, :] < cards[:, None]
        self.logits = np.where(self.mask, 0.0, -np.inf)
        self.baseline: float | None = None
        self.spread = 1.0
        self.worst: float | None = None

    def probabilities(self) -> np.ndarray:
        z = np.exp(self.logits - self.logits.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def _sample(self, n: int) -> np.ndarray:
        from ._genes import canonical_genes

        cum = np.cumsum(self.probabilities(), axis=1)
        u = self.rng.random((n, len(cum), 1))
        genes = np.minimum((u > cum[None]).sum(axis=2), self.mask.sum(axis=1) - 1)
        return canonical_genes(self.space, genes.astype(np.int64))

    def ask(self, n: int) -> np.ndarray:
        return self.screened(self._sample, n)

    def tell(self, genes: np.ndarray, F: np.ndarray, violation: np.ndarray) -> None:
        reward = -self.scalar(F)
        feasible = np.asarray(violation) <= 0
        if feasible.any():
            low = float(reward[feasible].min())
            self.worst = low if self.worst is None else min(self.worst, low)
        reward = np.where(feasible, reward, (self.worst or 0.0) - (1.0 + violation) * self.spread)
        decay = self.params["baseline_decay"]
        if self.baseline is None:
            self.baseline = float(reward.mean())
            self.spread = float(reward.std()) or 1.0
        advantage = (reward - self.baseline) / self.spread
        self.baseline = decay * self.baseline + (1 - decay) * float(reward.mean())
        self.spread = decay * self.spread + (1 - decay) * (float(reward.std()) or self.spread)
        onehot = np.zeros((len(genes),) + self.logits.shape)
        rows = np.arange(len(genes))[:, None]
        onehot[rows, np.arange(self.logits.shape[0])[None, :], genes] = 1.0
        grad = np.einsum("n,ngk->gk", advantage, onehot - self.probabilities()[None]) / len(genes)
        self.logits = np.where(self.mask, self.logits + self.params["learning_rate"] * grad, -np.inf)
