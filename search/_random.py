"""``random``: uniform sampling, the baseline every other strategy is compared with."""

from __future__ import annotations

import numpy as np

from ._strategy import Strategy, register_strategy

__all__ = ["RandomSearch"]


@register_strategy
class RandomSearch(Strategy):
    """Uniform random genomes (re-drawn while ``screen`` says they are infeasible); learns nothing."""

    name = "random"

    def ask(self, n: int) -> np.ndarray:
        return self.screened(self.draw, n)

    def tell(self, genes: np.ndarray, F: np.ndarray, violation: np.ndarray) -> None:
        pass
