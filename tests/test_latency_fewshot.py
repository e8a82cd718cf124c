"""Few-shot latency transfer: robust model averaging and the smoothed (additive) pool columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hwnas import get_space
from hwnas.datasets import load_latency_table
from hwnas.predictors import (FewShotLatency, LatencyFeatures, PriorColumns, fit_log_combination, load_predictor,
                               pool_device_of)

from conftest import shared_file


def _related():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 6))
    return Z, 2.0 + 0.5 * Z[:, 3] + 0.01 * rng.normal(size=200)


def test_robust_average_is_not_misled_by_one_disturbed_shot():
    Z, y = _related()
    shots = y[:10].copy()
    shots[4] += 1.5  # one run that was disturbed (e.g. a phone's background job): e^1.5 = 4.5x slower
    robust = fit_log_combination(Z[:10], shots)
    plain = fit_log_combination(Z[:10], shots, huber=None)
    err_robust = np.abs(robust.predict(Z[10:]) - y[10:]).mean()
    err_plain = np.abs(plain.predict(Z[10:]) - y[10:]).mean()
    assert err_robust < 0.05 < err_plain
    assert sum(w for w, cols in zip(robust.weights, robust.columns) if 3 in cols) > 0.9


def test_robust_and_plain_fits_agree_on_clean_shots():
    Z, y = _related()
    for k in (3, 10):
        robust, plain = fit_log_combination(Z[:k], y[:k]), fit_log_combination(Z[:k], y[:k], huber=None)
        assert np.allclose(robust.predict(Z), plain.predict(Z), atol=0.02)
    again = fit_log_combination(Z[:10], y[:10])
    assert np.array_equal(again.predict(Z), fit_log_combination(Z[:10], y[:10]).predict(Z))  # deterministic


def test_a_pair_of_nearly_collinear_columns_cannot_split_one_slope_into_a_huge_contrast():
    rng = np.random.default_rng(5)
    z1 = np.linspace(0.0, 1.0, 10)
    Z = np.column_stack([z1, z1 + 0.001 * rng.normal(size=10)])  # collinear on the shots...
    y = z1 + 0.05 * rng.normal(size=10)
    free = fit_log_combination(Z, y, max_pair_slope=None)
    capped = fit_log_combination(Z, y)
    assert max(np.abs(b).max() for b in free.slopes) > 10  # the unguarded fit finds the contrast
    assert max(np.abs(b).max() for b in capped.slopes) <= 10
    off = np.array([[1.0, 0.0]])  # ...but not elsewhere: the guarded prediction stays near the data
    assert abs(capped.predict(off)[0]) < 2 < abs(free.predict(off)[0])


@pytest.fixture(scope="module")
def small_pool(tmp_path_factory):
    df = pd.read_csv(shared_file("fbnet", "latency_ms.csv")).iloc[:400]
    path = tmp_path_factory.mktemp("pool") / "pool.csv"
    df[["arch", "titan_rtx_1", "titanxp_1", "gold_6240", "samsung_s7"]].to_csv(path, index=False)
    return load_latency_table(path, get_space("fbnet")), df


def test_additive_columns_smooth_each_pool_device(small_pool):
    pool, df = small_pool
    prior = PriorColumns(LatencyFeatures(pool.space), pool)
    assert {"additive:gold_6240", "gold_6240", "log_macs"} <= set(prior.columns)
    assert "additive:gold_6240" not in PriorColumns(LatencyFeatures(pool.space), pool, additive=False).columns
    genes = pool.space.genes_array(pool.archs)
    raw, smooth = prior.matrix(genes, ["gold_6240", "additive:gold_6240"]).T
    assert np.all(np.isfinite(smooth)) and np.corrcoef(raw, smooth)[0, 1] > 0.9
    unseen = pool.space.genes_array(pool.space.sample_many(50, 1))  # not in the pool: predicted, not looked up
    assert np.all(np.isfinite(prior.matrix(unseen, ["additive:samsung_s7"])))


def test_fewshot_never_reads_an_excluded_device_raw_or_smoothed(small_pool, tmp_path):
    pool, df = small_pool
    model = FewShotLatency("fbnet", pool=pool, exclude=["titanxp_1"], seed=0)
    model.fit(df["arch"][:10], df["titanxp_1"][:10])
    assert "titanxp_1" not in {pool_device_of(c) for c in model.columns_}
    pred = model.predict(df["arch"][10:])
    assert np.corrcoef(np.log(pred), np.log(df["titanxp_1"][10:]))[0, 1] > 0.9  # titan_rtx_1 stands in
    model.save(tmp_path / "fs")
    assert np.allclose(load_predictor(tmp_path / "fs").predict(df["arch"][10:]), pred)


def test_pool_columns_are_read_without_computing_unit_features(small_pool):
    pool, df = small_pool
    prior = PriorColumns(LatencyFeatures(pool.space), pool)
    genes = pool.space.genes_array(pool.archs)
    raw = prior.matrix(genes[::-1], ["gold_6240", "additive:gold_6240"])[::-1, 0]
    assert np.allclose(raw, np.log(df["gold_6240"].to_numpy(float)))  # each row its own pool row
    assert prior.features.size == 0  # the lookup needed no network's units (they cost 1 ms each)
    unseen = pool.space.genes_array(pool.space.sample_many(5, 3))
    assert np.all(np.isfinite(prior.matrix(np.vstack([genes[:3], unseen]), ["gold_6240"])))  # filled, not looked up


def _additive_device(space, genes: np.ndarray, seed: int = 0) -> np.ndarray:
    """Latency (ms) of a device that adds up a fixed cost per choice (an accelerator simulator, or a
    compute-bound GPU at a large batch, behaves so): a constant plus each gene's option cost."""
    rng = np.random.default_rng(seed)
    prior = PriorColumns(LatencyFeatures(space), use_costs=False, use_counts=True)
    counts = prior.matrix(genes)
    return 1.0 + counts @ rng.uniform(0.1, 2.0, size=counts.shape[1])


def test_a_sum_member_fits_a_device_whose_latency_adds_up_over_its_choices():
    space = get_space("nb201")
    genes = space.genes_array(space.sample_many(300, 0))
    ms = _additive_device(space, genes)
    prior = PriorColumns(LatencyFeatures(space), use_counts=True)  # cost columns + counts, no pool
    Z = prior.matrix(genes)
    counts = [j for j, c in enumerate(prior.columns) if c.startswith("count:")]
    assert len(counts) == 6  # none, skip, nor, 1x1, 3x3, avg (connect, conv, pool mark the same options)
    comb = fit_log_combination(Z[:10], np.log(ms[:10]), count_columns=counts)
    assert "sum" in comb.kinds and comb.sum_weight > 0.99
    assert np.abs(comb.predict(Z) - np.log(ms)).max() < 1e-3
    costs = [j for j in range(Z.shape[1]) if j not in counts]  # the cost columns alone cannot
    plain = fit_log_combination(Z[:10, costs], np.log(ms[:10]))
    assert np.abs(plain.predict(Z[:, costs]) - np.log(ms)).max() > 0.05
    few = fit_log_combination(Z[:6], np.log(ms[:6]), count_columns=counts)  # 5 parameters, 1 spare shot
    assert few.kinds == []  # too few to judge a sum: the log members alone


def test_fewshot_with_counts_learns_an_additive_device_and_saves_it(tmp_path):
    space = get_space("nb201")
    genes = space.genes_array(space.sample_many(200, 1))
    ms = _additive_device(space, genes, seed=3)
    archs = [space.make(g) for g in genes.tolist()]
    model = FewShotLatency("nb201", seed=0).fit(archs[:10], ms[:10])  # no pool: costs and counts
    assert any(c.startswith("count:") for c in model.columns_)
    pred = model.predict(archs[10:])
    assert np.abs(np.log(pred / ms[10:])).max() < 1e-3
    without = FewShotLatency("nb201", seed=0, counts=False).fit(archs[:10], ms[:10]).predict(archs[10:])
    assert np.abs(np.log(without / ms[10:])).max() > 0.05
    model.save(tmp_path / "sum")
    assert np.array_equal(load_predictor(tmp_path / "sum").predict(archs[10:]), pred)


def test_a_true_sum_keeps_its_weight_among_many_near_miss_pool_maps():
    """One sum member against many affine maps that each explain the shots almost as well: by BIC
    alone the maps together outweigh it; its leave-one-out share gives the sum back its weight."""
    space = get_space("nb201")
    genes = space.genes_array(space.sample_many(400, 2))
    rng = np.random.default_rng(5)
    truth = _additive_device(space, genes, seed=4)
    ms = truth * np.exp(rng.normal(0, 0.02, len(truth)))  # measured with 2% noise
    prior = PriorColumns(LatencyFeatures(space), use_costs=False, use_counts=True)
    counts_only = prior.matrix(genes)
    maps = np.log(truth)[:, None] + rng.normal(0, 0.12, size=(len(truth), 30))  # 30 near-miss prior devices
    Z = np.column_stack([maps, counts_only])
    counts = list(range(30, Z.shape[1]))
    y = np.log(ms)
    average = fit_log_combination(Z[:10], y[:10], count_columns=counts, sum_share=False)
    shared = fit_log_combination(Z[:10], y[:10], count_columns=counts, sum_share=True)
    sum_weight = [c.sum_weight for c in (average, shared)]
    assert sum_weight[0] < 0.5 < 0.8 < sum_weight[1]
    assert average.loo_errors is None and shared.loo_errors.shape == (10,)
    error = [np.sqrt(np.mean((c.predict(Z[10:]) - np.log(truth[10:])) ** 2)) for c in (average, shared)]
    assert error[1] < 0.5 * error[0]
    again = fit_log_combination(Z[:10], y[:10], count_columns=counts, sum_share=True)
    assert np.array_equal(shared.predict(Z), again.predict(Z))
    nine = fit_log_combination(Z[:9], y[:9], count_columns=counts, sum_share=True)  # 3 spare shots per refit
    assert nine.loo_errors is None


def test_fewshot_over_a_pool_shares_the_sum_by_leave_one_out_and_not_without_one():
    from hwnas.datasets import LatencyTable

    space = get_space("nb201")
    genes = space.genes_array(space.sample_many(300, 3))
    archs = [space.make(g) for g in genes.tolist()]
    rng = np.random.default_rng(6)
    truth = _additive_device(space, genes, seed=7)
    ms = truth * np.exp(rng.normal(0, 0.02, len(truth)))
    pool = LatencyTable(space, archs, [f"near{i}" for i in range(12)],
                        truth[:, None] * np.exp(rng.normal(0, 0.12, size=(len(truth), 12))))
    shared = FewShotLatency("nb201", pool=pool, seed=0).fit(archs[:10], ms[:10])
    plain = FewShotLatency("nb201", pool=pool, seed=0, sum_share=False).fit(archs[:10], ms[:10])
    assert shared.loo_log_errors_.shape == (10,) and plain.loo_log_errors_ is None
    error = [np.sqrt(np.mean(np.log(m.predict(archs[10:]) / truth[10:]) ** 2)) for m in (plain, shared)]
    # the pool's per-choice smoothings fit this sum as well as the sum member: the leave-one-out
    # evidence may move weight either way, never to a worse prediction here
    assert error[1] <= 1.05 * error[0]
    no_pool = FewShotLatency("nb201", seed=0).fit(archs[:10], ms[:10])  # cost columns and counts: few members
    assert no_pool.loo_log_errors_ is None
