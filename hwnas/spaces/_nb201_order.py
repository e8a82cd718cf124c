"""The official NAS-Bench-201 index order.

NB201's ``generate_meta_info`` lists the 15625 cells with ``CellStructure.gen_all`` (the
lexicographic product of the six edges' ops, edges in string order, ops in the order
``none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3``), then calls
``random.seed(88); random.shuffle(archs)``. The index of an architecture in every NB201 table is
its position after that shuffle. The shuffle is re-implemented on ``getrandbits`` (Python's own
algorithm) so that a future change of ``random.shuffle`` cannot silently reorder the benchmark.
"""

from __future__ import annotations

import itertools
import random
from functools import lru_cache

import numpy as np

__all__ = ["official_genes", "official_index"]

_SEED = 88


def _shuffle(items: list, seed: int) -> None:
    """``random.seed(seed); random.shuffle(items)`` as CPython (3.2 and later) does it."""
    rng = random.Random(seed)
    for i in reversed(range(1, len(items))):
        n = i + 1
        k = n.bit_length()
        j = rng.getrandbits(k)
        while j >= n:  # rejection sampling, as random._randbelow_with_getrandbits
            j = rng.getrandbits(k)
        items[i], items[j] = items[j], items[i]


@lru_cache(maxsize=1)
def official_genes(n_ops: int = 5, n_edges: int = 6) -> np.ndarray:
    """``(15625, 6)`` genes; row i is the architecture of official index i (read-only)."""
    archs = list(itertools.product(range(n_ops), repeat=n_edges))
    _shuffle(archs, _SEED)
    out = np.array(archs, dtype=np.int64)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=1)
def _index_of_flat() -> np.ndarray:
    genes = official_genes()
    flat = genes @ (5 ** np.arange(5, -1, -1))
    inverse = np.empty(len(flat), dtype=np.int64)
    inverse[flat] = np.arange(len(flat))
    return inverse


def official_index(genes: tuple[int, ...]) -> int:
    """The official NB201 index of an architecture's genes."""
    flat = 0
    for g in genes:
        flat = flat * 5 + int(g)
    return int(_index_of_flat()[flat])
