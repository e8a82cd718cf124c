"""Run directories: files, resume after interruption, refusal of a different search; problems."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import hwnas
from hwnas.search import (Constraint, CrossPlatformMetric, FunctionMetric, Objective, Problem, create_strategy,
                          pareto_plot_data, run_search)


@pytest.fixture(scope="module")
def space():
    return hwnas.get_space("nb201")


def _problem(space):
    idx = np.arange(6)
    w = np.random.default_rng(1).normal(size=(6, 5))
    c = np.random.default_rng(2).uniform(1, 3, size=(6, 5))
    acc = FunctionMetric("accuracy", lambda g: 90 + w[idx, g].sum(1), source="surrogate")
    lat = FunctionMetric("latency", lambda g: (c[idx, g].sum(1), 0.1 * c[idx, g].sum(1)), source="surrogate")
    return Problem(space, [Objective(acc, True), Objective(lat)], [Constraint(lat, 11.0)])


def test_run_dir_files_and_provenance(space, tmp_path):
    result = run_search(_problem(space), create_strategy("nsga2", space, seed=0), 400, 50, tmp_path,
                        budgets={"latency": [9.0, 10.0]})
    for name in ("config.json", "history.csv", "pareto.json"):
        assert (tmp_path / name).is_file()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pass
    else:
        assert (tmp_path / "pareto.png").stat().st_size > 0
    hist = pd.read_csv(tmp_path / "history.csv")
    assert len(hist) == result.history.n and hist["arch"].is_unique
    assert hist["is_pareto"].sum() == len(result.pareto()) > 0
    assert (hist.loc[hist["is_pareto"], "feasible"]).all()
    doc = json.loads((tmp_path / "pareto.json").read_text())
    front = doc["pareto"]
    assert all(p["values"]["latency"]["source"] == "surrogate" and p["values"]["latency"]["std"] > 0 for p in front)
    accs = [p["values"]["accuracy"]["value"] for p in front]
    lats = [p["values"]["latency"]["value"] for p in front]
    assert accs == sorted(accs, reverse=True) and lats == sorted(lats, reverse=True)
    per_budget = doc["best_per_budget"]
    assert [b["budget"] for b in per_budget] == [9.0, 10.0]
    for b in per_budget:
        assert b["best"] is None or b["best"]["values"]["latency"]["value"] <= b["budget"]
    data = pareto_plot_data(result)
    assert data["x_name"] == "latency" and len(data["front_x"]) == len(front)


def test_resume_gives_the_uninterrupted_result(space, tmp_path):
    whole = run_search(_problem(space), create_strategy("evolution", space, seed=5, population=30), 600, 30)
    run_search(_problem(space), create_strategy("evolution", space, seed=5, population=30), 270, 30, tmp_path)
    resumed = run_search(_problem(space), create_strategy("evolution", space, seed=5, population=30), 600, 30, tmp_path)
    assert np.array_equal(whole.history.genes, resumed.history.genes)
    assert np.allclose(whole.history.F, resumed.history.F)
    assert len(pd.read_csv(tmp_path / "history.csv")) == whole.history.n


def test_run_dir_of_another_search_is_refused(space, tmp_path):
    run_search(_problem(space), create_strategy("random", space, seed=0), 50, 25, tmp_path)
    with pytest.raises(hwnas.ConfigError, match="different search"):
        run_search(_problem(space), create_strategy("random", space, seed=1), 50, 25, tmp_path)
    (tmp_path / "history.csv").write_text("step,arch\n0,garbage\n")
    with pytest.raises(hwnas.DataError, match="history.csv"):
        run_search(_problem(space), create_strategy("random", space, seed=0), 50, 25, tmp_path)


def test_cross_platform_sum_and_worst_case(space):
    a = FunctionMetric("a", lambda g: 1.0 + g[:, 0].astype(float))
    b = FunctionMetric("b", lambda g: 2.0 + 2 * g[:, 1].astype(float))
    genes = np.array([[0, 0, 0, 0, 0, 0], [4, 1, 0, 0, 0, 0]])
    total = CrossPlatformMetric("sum", [a, b], [1.0, 2.0]).evaluate(genes).mean
    worst = CrossPlatformMetric("worst", [a, b], [1.0, 2.0], worst_case=True).evaluate(genes).mean
    assert np.allclose(total, [1 + 1, 5 + 2]) and np.allclose(worst, [1, 5])
    with pytest.raises(hwnas.ConfigError):
        CrossPlatformMetric("bad", [a, b], [1.0, 0.0])


def test_bad_problem_definitions(space):
    m = FunctionMetric("x", lambda g: g.sum(1).astype(float))
    with pytest.raises(hwnas.ConfigError, match="objective"):
        Problem(space, [])
    with pytest.raises(hwnas.ConfigError, match="both named"):
        Problem(space, [Objective(m), Objective(FunctionMetric("x", lambda g: g[:, 0]))])
    with pytest.raises(hwnas.ConfigError, match="n_evals"):
        run_search(Problem(space, [Objective(m)]), create_strategy("random", space), 0)


@pytest.mark.parametrize("allow", [False, True])
def test_a_degenerate_network_is_infeasible_unless_allowed(space, allow):
    """Latency that a device saves by folding away a cell that ignores its input (pixel3 times such
    a network at 0 ms) must not buy a chance-level classifier a place on the front."""
    dead = space.degenerate_mask
    acc = FunctionMetric("accuracy", lambda g: np.where(dead(g), 10.0, 80 + (g == 3).sum(1)))
    lat = FunctionMetric("latency", lambda g: np.where(dead(g), 0.0, 1.0 + (g == 3).sum(1) + 0.5 * (g == 2).sum(1)))
    problem = Problem(space, [Objective(acc, True), Objective(lat)], allow_degenerate=allow)
    result = run_search(problem, create_strategy("nsga2", space, seed=0, population=50), 1000, 50)
    told_dead = space.degenerate_mask(result.history.genes)
    assert told_dead.any(), "the search met degenerate networks"
    front_dead = told_dead[result.is_pareto]
    assert front_dead.any() == allow
    assert (result.feasible[told_dead]).all() == allow
    assert problem.describe()["allow_degenerate"] == allow
