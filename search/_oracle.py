"""`QueryBudget`: true values that a search may read only a limited number of times."""

from __future__ import annotations

import numpy as np

from hwnas import HwnasError

__all__ = ["QueryBudget", "QueryBudgetExceeded"]


class QueryBudgetExceeded(HwnasError, RuntimeError):
    """A search asked for more true values than its query budget allows."""


class QueryBudget:
    """Reads ``values[row]`` (the truth: a table column, or real measurements) at most ``limit``
    times for distinct rows; reading a row again is free. ``known`` holds what was read, in
    order; the count is enforced, not advisory."""

    def __init__(self, name: str, values: np.ndarray, limit: int) -> None:
        if limit < 0:
            raise HwnasError(f"{name}: query budget must be >= 0, got {limit}")
        self.name, self.values, self.limit = name, np.asarray(values, dtype=np.float64), int(limit)
        self.known: dict[int, float] = {}

    @property
    def used(self) -> int:
        return len(self.known)

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    def query(self, rows) -> np.ndarray:
        rows = [int(r) for r in np.atleast_1d(rows)]
        new = {r for r in rows if r not in self.known}
        if len(new) > self.remaining:
            raise QueryBudgetExceeded(f"{self.name}: {len(new)} new queries but only {self.remaining} of "
                                      f"{self.limit} left")
        for r in rows:
            if r not in self.known:
                self.known[r] = float(self.values[r])
        return np.array([self.known[r] for r in rows])
