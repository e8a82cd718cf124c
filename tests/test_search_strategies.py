"""Every registered strategy: the ask/tell contract, determinism, constraints, progress."""

from __future__ import annotations

import numpy as np
import pytest

import hwnas
from hwnas.search import (Constraint, FunctionMetric, Objective, Problem, create_strategy,
                          list_strategies, run_search)

FAST = {"bayes": {"pool": 1500, "n_estimators": 40, "members": 3}}


@pytest.fixture(scope="module")
def space():
    return hwnas.get_space("nb201")


def _problem(space, budget=None):
    """A synthetic but deterministic landscape: score = per-gene weights + one interaction;
    cost = per-gene costs (a budget on it makes part of the space infeasible)."""
    rng = np.random.default_rng(42)
    w, c = rng.normal(size=(6, 5)), rng.uniform(1, 3, size=(6, 5))
    idx = np.arange(6)
    score = FunctionMetric("score", lambda g: w[idx, g].sum(1) + 0.5 * (g[:, 0] == g[:, 5]))
    cost = FunctionMetric("cost", lambda g: c[idx, g].sum(1))
    cons = [] if budget is None else [Constraint(cost, budget)]
    return Problem(space, [Objective(score, maximize=True), Objective(cost)], cons)


@pytest.mark.parametrize("name", list_strategies())
def test_ask_returns_valid_canonical_genes(space, name):
    strat = create_strategy(name, space, seed=1, **FAST.get(name, {}))
    prob = _problem(space)
    for _ in range(3):
        genes = strat.ask(12)
        assert genes.shape == (12, 6) and genes.dtype == np.int64
        assert (genes >= 0).all() and (genes < np.asarray(space.cardinalities)).all()
        ev = prob.evaluate(genes)
        strat.tell(genes, ev.F, ev.violation)


@pytest.mark.parametrize("name", list_strategies())
def test_same_seed_same_search(space, name):
    runs = [run_search(_problem(space, 11.0), create_strategy(name, space, seed=3, **FAST.get(name, {})), 60, 20)
            for _ in range(2)]
    assert np.array_equal(runs[0].history.genes, runs[1].history.genes)
    other = run_search(_problem(space, 11.0), create_strategy(name, space, seed=4, **FAST.get(name, {})), 60, 20)
    assert not np.array_equal(runs[0].history.genes, other.history.genes)


@pytest.mark.parametrize("name", list_strategies())
def test_finds_feasible_good_architectures(space, name):
    prob = _problem(space, budget=11.0)
    all_genes = space.genes_array(list(space.enumerate()))
    ev = prob.evaluate(all_genes)
    feasible_scores = -ev.F[ev.violation <= 0, 0]
    evals = 100 if name == "bayes" else 400  # bayes is the sample-efficient (and slow-per-ask) one
    result = run_search(prob, create_strategy(name, space, seed=0, **FAST.get(name, {})), evals, 20)
    best = result.best()
    assert best is not None and best["feasible"]
    assert best["values"]["cost"]["value"] <= 11.0
    # better than 90% of the feasible space (random's expectation after 400 proposals: ~99.5%)
    assert best["values"]["score"]["value"] >= np.quantile(feasible_scores, 0.9)


def test_learning_strategies_beat_their_start(space):
    """Evolution and the policy improve on the random population they start from."""
    prob = _problem(space, budget=11.0)
    for name in ("evolution", "rl"):
        r = run_search(prob, create_strategy(name, space, seed=0), 3000, 50)
        h = r.history
        ok = h.violation <= 0
        early = -h.F[(h.step < 2) & ok, 0]
        late = -h.F[(h.step >= 50) & ok, 0]
        assert late.mean() > early.mean(), name


def test_registry_errors(space):
    with pytest.raises(hwnas.ConfigError, match="unknown strategy"):
        create_strategy("annealing", space)
    with pytest.raises(hwnas.ConfigError, match="unknown parameter"):
        create_strategy("evolution", space, populaton=10)
    with pytest.raises(hwnas.ConfigError, match="acquisition"):
        create_strategy("bayes", space, acquisition="pi")


def test_bayes_weighs_its_acquisition_by_feasibility(space):
    """With ``feasibility`` set and ``feasibility_power`` > 0, bayes proposes networks the driver
    believes allowed; with the power at 0 (default) the belief is ignored."""
    prob = _problem(space)
    allowed = lambda g: (g[:, 0] == 1).astype(float)  # noqa: E731 - only gene 0 == 1 is allowed
    picks = {}
    for power in (0.0, 1.0):
        strat = create_strategy("bayes", space, seed=0, n_init=20, feasibility_power=power, **FAST["bayes"])
        strat.feasibility = allowed
        genes = strat.ask(20)
        strat.tell(genes, prob.evaluate(genes).F, np.zeros(len(genes)))
        picks[power] = allowed(strat.ask(10)).mean()
    assert picks[1.0] == 1.0 and picks[0.0] < 1.0
