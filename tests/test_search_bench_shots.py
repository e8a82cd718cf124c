"""The benchmark search's use of its latency shots: measure the candidates that decide the answer."""

from __future__ import annotations

import numpy as np

from hwnas.search import QueryBudget
from hwnas.search._bench_shots import pick_answer, shoot_best


class ScaledTruth:
    """A deliberately biased latency model: the truth times ``bias`` until refitted on shots,
    then rescaled by their median ratio (a one-parameter few-shot model)."""

    def __init__(self, truth: np.ndarray, bias: float, log_std: float = 0.1) -> None:
        self.truth, self.mean_, self.log_std_ = truth, truth * bias, log_std

    def fit(self, rows, ms) -> "ScaledTruth":
        self.mean_ = self.truth * np.median(np.asarray(ms) / self.truth[np.asarray(rows)])
        return self


def _setup(bias: float):
    rng = np.random.default_rng(0)
    latency = rng.uniform(5, 15, size=200)
    accuracy = latency + rng.normal(0, 1, size=200)  # slower networks are better, as in NB201
    acc_q, lat_q = QueryBudget("accuracy", accuracy, 40), QueryBudget("latency", latency, 5)
    acc_q.query(rng.choice(200, 40, replace=False))
    return latency, accuracy, acc_q, lat_q


def test_a_pessimistic_model_still_gets_the_best_candidates_measured():
    latency, accuracy, acc_q, lat_q = _setup(bias=1.15)
    budget = 10.0
    model = ScaledTruth(latency, 1.15)
    row, verified = pick_answer(budget, model, acc_q, lat_q)
    queried = np.fromiter(acc_q.known, dtype=np.int64)
    best = queried[latency[queried] <= budget][np.argmax(accuracy[queried][latency[queried] <= budget])]
    assert verified and latency[row] <= budget
    assert accuracy[row] >= accuracy[best] - 1.0  # near the best queried network within budget
    assert lat_q.used <= 5


def test_no_shot_is_spent_when_nothing_can_beat_the_safe_answer():
    latency, accuracy, acc_q, lat_q = _setup(bias=1.0)
    model = ScaledTruth(latency, 1.0, log_std=1e-6)  # a certain model: every candidate is decided
    assert not shoot_best(10.0, model, acc_q, lat_q)
    row, verified = pick_answer(10.0, model, acc_q, lat_q)
    assert lat_q.used == 1 and verified and latency[row] <= 10.0  # the one shot spent verifies the answer


def test_with_nothing_safe_a_shot_goes_to_a_network_that_could_beat_the_fallback_answer():
    """No queried network is within budget with p >= 0.99, so the answer would be the fallback (the
    70% network, nearly as likely as the likeliest). Its accuracy is the bar: measuring the 94%
    network can improve the answer, measuring the fallback itself cannot (a bar at the worst
    queried accuracy, 10%, chose the fallback)."""
    latency, accuracy = np.array([5.0, 9.0, 4.0]), np.array([70.0, 94.0, 10.0])
    acc_q, lat_q = QueryBudget("accuracy", accuracy, 3), QueryBudget("latency", latency, 1)
    acc_q.query([0, 1, 2])
    model = ScaledTruth(latency, 1.0, log_std=0.5)  # unbiased but unsure: p 0.92, 0.58, 0.97
    model.fit = lambda rows, ms: model
    assert shoot_best(10.0, model, acc_q, lat_q)
    assert list(lat_q.known) == [1]


def test_a_shot_left_over_catches_a_confident_wrong_answer():
    latency, accuracy, acc_q, lat_q = _setup(bias=0.98)
    model = ScaledTruth(latency, 0.98, log_std=1e-6)  # certain, and 2% too fast
    model.fit = lambda rows, ms: model  # never learns from its shots
    lat_q = QueryBudget("latency", latency, 3)
    believed = max(acc_q.known, key=lambda r: acc_q.known[r] if model.mean_[r] <= 10.0 else -np.inf)
    assert latency[believed] > 10.0  # the setup: the believed answer is over budget
    row, verified = pick_answer(10.0, model, acc_q, lat_q)
    assert verified and latency[row] <= 10.0  # wrong believed answers were measured and passed over


def test_a_budget_no_queried_network_can_meet_returns_the_fastest_not_the_most_accurate():
    latency, accuracy, acc_q, lat_q = _setup(bias=1.0)
    model = ScaledTruth(latency, 1.0, log_std=0.05)
    lat_q = QueryBudget("latency", latency, 0)  # no shot to measure anything
    row, verified = pick_answer(1.0, model, acc_q, lat_q)  # every network takes 5 ms or more
    queried = np.fromiter(acc_q.known, dtype=np.int64)
    assert not verified and row == queried[np.argmin(latency[queried])]


def test_a_degenerate_network_is_never_the_answer_while_another_was_queried():
    """A dead cell (fastest of all, at chance accuracy) is the only network believed within a
    1 ms budget: without the mask it is returned; with it, the fastest useful network is."""
    rng = np.random.default_rng(0)
    latency = rng.uniform(5, 15, size=200)
    accuracy = 80 + latency + rng.normal(0, 1, size=200)
    latency[0], accuracy[0] = 0.03, 10.0
    useless = np.zeros(200, dtype=bool)
    useless[0] = True
    acc_q = QueryBudget("accuracy", accuracy, 40)
    acc_q.query(np.r_[0, rng.choice(np.arange(1, 200), 39, replace=False)])
    queried = np.fromiter(acc_q.known, dtype=np.int64)
    model = ScaledTruth(latency, 1.0, log_std=0.05)
    assert pick_answer(1.0, model, acc_q, QueryBudget("latency", latency, 0))[0] == 0
    row, _ = pick_answer(1.0, model, acc_q, QueryBudget("latency", latency, 0), useless)
    assert row == queried[1:][np.argmin(latency[queried[1:]])]
    row, _ = pick_answer(12.0, model, acc_q, QueryBudget("latency", latency, 3), useless)
    assert row != 0 and latency[row] <= 12.0  # with shots and a reachable budget: a useful answer


def test_grid_step_finds_whole_milliseconds_and_leaves_continuous_values_alone():
    from hwnas.search._bench_shots import grid_step

    assert grid_step([9.0, 14.0, 31.0]) == 1.0
    assert grid_step([9.5, 14.0, 31.5, 12.0]) == 0.5
    assert grid_step([9.01, 14.2, 31.37]) == 0.01
    assert grid_step(np.random.default_rng(0).uniform(1, 50, size=5)) == 0.0
    assert grid_step([9.0, 14.0]) == 0.0, "two values are too few to tell a grid from chance"


def test_a_recorded_grid_moves_the_models_threshold_to_the_grid_points_rounding_edge():
    from hwnas.search._bench_shots import model_threshold, p_within_rows

    whole = QueryBudget("latency", np.array([9.0, 11.0, 14.0, 20.0]), 4)
    whole.query([0, 1, 2])
    assert model_threshold(11.0, whole) == 11.5  # recorded 11 (within) up to a true 11.5
    assert model_threshold(14.5, whole) == 14.5  # an interpolated budget: 14 is the last grid point in
    continuous = QueryBudget("latency", np.array([9.0312, 11.7147, 14.2093, 20.0]), 4)
    continuous.query([0, 1, 2])
    assert model_threshold(11.0, continuous) == 11.0

    class Model:
        mean_, log_std_ = np.array([9.0, 11.0, 14.0, 11.2]), 0.05

    # a network predicted at 11.2 ms is recorded as 11 (within an 11 ms budget) more often than not
    assert p_within_rows(11.0, Model, whole, np.array([3]))[0] > 0.5
    assert p_within_rows(11.0, Model, continuous, np.array([3]))[0] < 0.5


def test_shot_design_spreads_over_the_prior_and_skips_excluded_rows():
    from hwnas.search._latency_shots import shot_design

    prior = np.random.default_rng(1).normal(size=400)
    exclude = prior < np.quantile(prior, 0.1)  # e.g. the space's degenerate networks, here the fastest
    redrawn = 0
    for seed in range(30):
        rows = shot_design(prior, 4, np.random.default_rng(seed), exclude=exclude)
        assert len(rows) == 4 and not exclude[rows].any()
        quartile = np.searchsorted(np.quantile(prior, [0.25, 0.5, 0.75]), prior[rows])
        assert sorted(quartile.tolist()) == [0, 1, 2, 3]  # one shot per quantile bin
        plain = shot_design(prior, 4, np.random.default_rng(seed))
        if exclude[plain].any():
            redrawn += 1
        else:  # only a design that drew an excluded row changes
            np.testing.assert_array_equal(rows, plain)
    assert redrawn > 0
    everything = np.ones(400, dtype=bool)  # nothing left to choose from: the exclusion is ignored
    assert len(shot_design(prior, 4, np.random.default_rng(0), exclude=everything)) == 4


def test_one_extrapolating_leave_one_out_fit_does_not_flatten_every_chance_of_meeting_the_budget():
    """NB201 pixel3, the 4 design shots of one benchmark seed: a 3-shot fit extrapolates e^5-fold, so
    the unclipped rms made the log uncertainty 5.5 and every network ~45% likely within budget."""
    from conftest import shared_file
    from hwnas import get_space
    from hwnas.datasets import load_latency_table
    from hwnas.search._latency_shots import FewShotLatency

    space = get_space("nb201")
    table = load_latency_table(shared_file("nb201", "latency_ms.csv"), space)
    archs, ms = table.column("pixel3")
    shots = ["|skip_connect~0|+|none~0|skip_connect~1|+|nor_conv_3x3~0|skip_connect~1|nor_conv_3x3~2|",
             "|nor_conv_1x1~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|nor_conv_3x3~0|skip_connect~1|nor_conv_1x1~2|",
             "|none~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|nor_conv_3x3~2|",
             "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|"]
    rows = np.array([archs.index(space.parse(s)) for s in shots])
    model = FewShotLatency(space, space.genes_array(archs), table.without(["pixel3"]), seed=0).fit(rows, ms[rows])
    assert np.abs(model.loo_log_errors(rows, ms[rows])).max() > 3  # the case this guards: one fit far off
    assert model.log_std_ <= 1.0
    near = (ms > 0.6 * np.quantile(ms, 0.3)) & (ms < 1.6 * np.quantile(ms, 0.3))
    assert np.sqrt(np.mean(np.log(model.mean_[near] / ms[near]) ** 2)) < model.log_std_  # still honest


def test_a_shot_no_other_shot_stands_in_for_leaves_the_uncertainty_of_a_sum_device_alone():
    """A noise-free per-operation sum (an analytical simulator): the only shot with a pooling edge
    has leverage 1 for the sum member, so its leave-one-out error is an extrapolation to a cost no
    other shot reveals. Kept in, it made the uncertainty ten times the model's real error."""
    from hwnas import get_space
    from hwnas.datasets import LatencyTable
    from hwnas.search._latency_shots import FewShotLatency

    space = get_space("nb201")
    genes = space.genes_array(list(space.enumerate()))
    ops = list(space.choices[0].options)
    cost = np.array([{"none": 0.0, "skip_connect": 0.05, "nor_conv_1x1": 1.0, "nor_conv_3x3": 9.0,
                      "avg_pool_3x3": 0.6}[o] for o in ops])
    ms = 2.0 + 0.3 * cost[genes].sum(axis=1)
    rng = np.random.default_rng(0)
    pool = LatencyTable(space, [space.make(g) for g in genes.tolist()], [f"d{i}" for i in range(6)],
                        ms[:, None] * np.exp(rng.normal(0, 0.1, size=(len(ms), 6))))
    pooling = (genes == ops.index("avg_pool_3x3")).any(axis=1)
    degenerate = space.degenerate_mask(genes)
    rows = np.concatenate([rng.choice(np.flatnonzero(~pooling & ~degenerate), 9, replace=False),
                           rng.choice(np.flatnonzero(pooling & ~degenerate), 1)])
    kept = FewShotLatency(space, genes, pool, seed=0, skip_leverage_one=False).fit(rows, ms[rows])
    skipped = FewShotLatency(space, genes, pool, seed=0).fit(rows, ms[rows])
    assert skipped._sum_leverage_one(rows).tolist() == [False] * 9 + [True]
    real_error = np.sqrt(np.mean(np.log(skipped.mean_ / ms) ** 2))
    assert real_error < 0.01
    assert skipped.log_std_ < kept.log_std_ / 3


def _junk_safe_setup(shots: int):
    """Queried: a 50% network far under the budget (safe), an 88% one likely within (p 0.98) and
    two 93.6-93.7% ones at the budget (p 0.52-0.54): the safe set alone holds a chance-level answer."""
    latency, accuracy = np.array([5.0, 8.0, 9.9, 9.95]), np.array([50.0, 88.0, 93.6, 93.7])
    acc_q, lat_q = QueryBudget("accuracy", accuracy, 4), QueryBudget("latency", latency, shots)
    acc_q.query([0, 1, 2, 3])
    model = ScaledTruth(latency, 1.0, log_std=0.11)
    model.fit = lambda rows, ms: model
    return acc_q, lat_q, model


def test_a_shot_is_not_spent_lifting_the_bar_off_a_chance_level_safe_answer():
    """The 88% network, nearly safe and 38 points better than the safe one, is the answer without a
    shot; the one shot goes where it can beat it, a 93% network (it once went to the 88% network,
    and with the 93% ones left unmeasured the answer was 88%)."""
    acc_q, lat_q, model = _junk_safe_setup(shots=1)
    row, verified = pick_answer(10.0, model, acc_q, lat_q)
    assert list(lat_q.known) == [2] and (row, verified) == (2, True)


def test_with_no_shot_left_a_nearly_safe_network_far_better_than_the_safe_one_is_the_answer():
    acc_q, lat_q, model = _junk_safe_setup(shots=0)
    assert pick_answer(10.0, model, acc_q, lat_q) == (1, False)
