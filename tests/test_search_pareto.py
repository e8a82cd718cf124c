"""Pareto fronts, non-dominated sorting, crowding and hypervolume against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas.search import crowding_distance, hypervolume_2d, non_dominated_sort, pareto_mask


def _brute_front(F):
    n = len(F)
    return np.array([not any(np.all(F[j] <= F[i]) and np.any(F[j] < F[i]) for j in range(n)) for i in range(n)])


@pytest.mark.parametrize("m", [1, 2, 3])
def test_pareto_mask_matches_brute_force(m):
    rng = np.random.default_rng(m)
    F = rng.integers(0, 8, size=(150, m)).astype(float)  # many ties and duplicates
    assert np.array_equal(pareto_mask(F), _brute_front(F))


def test_non_dominated_sort_peels_fronts():
    rng = np.random.default_rng(0)
    F = rng.random((80, 2))
    rank = non_dominated_sort(F)
    assert np.array_equal(rank == 0, _brute_front(F))
    rest = rank > 0
    assert np.array_equal(rank[rest] == 1, _brute_front(F[rest]))


def test_crowding_distance_boundaries_and_order():
    F = np.array([[0.0, 1.0], [0.1, 0.9], [0.5, 0.5], [1.0, 0.0]])
    d = crowding_distance(F)
    assert np.isinf(d[0]) and np.isinf(d[3])
    assert d[2] > d[1]


def test_hypervolume_2d():
    F = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3.5, 3.5]])
    # staircase up to ref (4, 4): x in [1,2) covers 1, [2,3) covers 2, [3,4) covers 3
    assert hypervolume_2d(F, (4.0, 4.0)) == pytest.approx(1 + 2 + 3)
    assert hypervolume_2d(F[:1], (4.0, 4.0)) == pytest.approx(3.0)
    assert hypervolume_2d(np.array([[5.0, 5.0]]), (4.0, 4.0)) == 0.0
