"""``bayes``'s surrogates and acquisition options: the GP, rank targets, the trust region."""

from __future__ import annotations

import numpy as np
import pytest

import hwnas
from hwnas.search import GaussianProcess, create_strategy, random_genes


@pytest.fixture(scope="module")
def space():
    return hwnas.get_space("nb201")


def _score(genes: np.ndarray) -> np.ndarray:
    """A deterministic landscape to minimise: per-gene weights plus one interaction."""
    w = np.random.default_rng(7).normal(size=(6, 5))
    return w[np.arange(6), genes].sum(1) + 0.5 * (genes[:, 0] == genes[:, 5])


def test_gp_is_unsure_far_from_its_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    gp = GaussianProcess(seed=0)
    assert gp.fit(X, y) is gp
    mean, std = gp.predict_with_std(np.vstack([X[:5], X[:5] + 20.0]))
    assert np.corrcoef(mean[:5], y[:5])[0, 1] > 0.9
    assert std[5:].min() > 3 * std[:5].max()


@pytest.mark.parametrize("params", [{"surrogate": "gp", "rank_targets": True},
                                    {"rank_targets": True, "local_share": 0.5, "greedy_after": 20,
                                     "pool": 1500, "n_estimators": 40, "members": 3}])
def test_bayes_options_improve_on_random(space, params):
    strat = create_strategy("bayes", space, seed=0, n_init=10, acquisition="ucb", kappa=2.0, **params)
    for _ in range(6):
        genes = strat.ask(10)
        strat.tell(genes, _score(genes)[:, None], np.zeros(len(genes)))
    start, late = strat.told_score[:10], strat.told_score[30:]
    assert late.mean() < start.mean()
    assert len(np.unique(strat.told_genes, axis=0)) == len(strat.told_genes)  # never asks a told one again


def test_local_share_proposes_neighbours_of_the_best(space):
    strat = create_strategy("bayes", space, seed=1, n_init=10, local_share=1.0, elite=1, pool=1500,
                            n_estimators=40, members=3)
    genes = random_genes(space, 10, np.random.default_rng(1))
    strat.tell(genes, _score(genes)[:, None], np.zeros(len(genes)))
    best = genes[np.argmin(_score(genes))]
    assert ((strat.ask(5) != best).sum(1) == 1).all()


@pytest.mark.parametrize("share", [0.5, 1.0])
def test_safe_share_asks_networks_likely_feasible(space, share):
    strat = create_strategy("bayes", space, seed=2, n_init=10, surrogate="gp", acquisition="ucb",
                            rank_targets=True, safe_share=share)
    strat.feasibility = lambda genes: np.where(genes[:, 0] <= 1, 1.0, 0.0)  # only these can be allowed
    genes = random_genes(space, 10, np.random.default_rng(2))
    strat.tell(genes, _score(genes)[:, None], np.zeros(len(genes)))
    asked = strat.ask(10)
    assert len(np.unique(asked, axis=0)) == 10
    assert (asked[:, 0] <= 1).sum() >= int(share * 10)  # the safe share, at least
    assert (asked[-int(share * 10):, 0] <= 1).all()


def test_unknown_surrogate_is_a_config_error(space):
    with pytest.raises(hwnas.ConfigError, match="surrogate"):
        create_strategy("bayes", space, surrogate="forest")


def test_gp_bayes_on_a_space_too_large_to_enumerate():
    fbnet = hwnas.get_space("fbnet")
    strat = create_strategy("bayes", fbnet, seed=0, n_init=8, surrogate="gp", acquisition="ucb", pool=400,
                            rank_targets=True)
    for _ in range(3):
        genes = strat.ask(8)
        assert genes.shape == (8, len(fbnet.cardinalities))
        strat.tell(genes, genes.sum(1, keepdims=True).astype(float), np.zeros(len(genes)))
