"""`GenomeIndex`: slot numbers for gene rows, so that per-architecture results can live in arrays.

The search evaluates batches of 10^4..10^5 genomes, most of them seen before. Looking each row up
in a Python dict keyed on tuples costs microseconds per row; this index answers a whole batch with
numpy: for a small space (product of the cardinalities up to ``dense_limit``) a dense table indexed
by the mixed-radix code of the row, otherwise a dict keyed on the row's bytes. Rows are taken as
given (not made canonical): two spellings of one network get two slots holding equal values.
"""

from __future__ import annotations

import math
from itertools import repeat
from typing import Sequence

import numpy as np

__all__ = ["GenomeIndex"]


class GenomeIndex:
    """``lookup(genes)`` gives each row's slot (-1 when unknown); ``add(rows)`` numbers new rows."""

    def __init__(self, cardinalities: Sequence[int], dense_limit: int = 1 << 21) -> None:
        cards = np.asarray(cardinalities, dtype=np.int64)
        self.n_genes = len(cards)
        self.size = 0
        self._dense = math.prod(int(c) for c in cards) <= dense_limit
        if self._dense:  # mixed-radix code: last gene varies fastest
            self._strides = np.ones(len(cards), dtype=np.int64)
            if len(cards) > 1:
                self._strides[:-1] = np.cumprod(cards[::-1])[::-1][1:]
            self._table = np.full(math.prod(int(c) for c in cards), -1, dtype=np.int64)
        else:
            self._slots: dict[bytes, int] = {}

    def _keys(self, genes: np.ndarray) -> list[bytes]:
        rows = np.ascontiguousarray(genes, dtype=np.int64)
        return rows.view(np.dtype((np.void, 8 * self.n_genes))).ravel().tolist()

    def lookup(self, genes: np.ndarray) -> np.ndarray:
        """Slots of an ``(N, n_genes)`` matrix of valid genes; -1 for rows not added yet."""
        if self._dense:
            return self._table[genes @ self._strides]
        return np.fromiter(map(self._slots.get, self._keys(genes), repeat(-1)), dtype=np.int64, count=len(genes))

    def add(self, rows: np.ndarray) -> np.ndarray:
        """Give the (distinct, unknown) ``rows`` the next slots; returns them."""
        slots = np.arange(self.size, self.size + len(rows), dtype=np.int64)
        if self._dense:
            self._table[rows @ self._strides] = slots
        else:
            self._slots.update(zip(self._keys(rows), slots.tolist()))
        self.size += len(rows)
        return slots
