"""Batched latency features and cached XGBoost predictions: exactly what row-by-row computation gives;
few-shot uncertainty in ms."""

from __future__ import annotations

import numpy as np
import pytest

import hwnas
from hwnas import ArchitectureError, DataError, get_space, unit_op_costs
from hwnas.predictors import LatencyFeatures, create_predictor
from hwnas.predictors._lat_features import unit_costs
from hwnas.predictors._lat_index import GenomeIndex


@pytest.mark.parametrize("dense_limit", [0, 1 << 21])
def test_genome_index_numbers_rows_once(dense_limit):
    index = GenomeIndex([3, 4, 2], dense_limit=dense_limit)
    rows = np.array([[0, 0, 0], [2, 3, 1], [1, 2, 0]])
    assert np.all(index.lookup(rows) == -1)
    assert list(index.add(rows[:2])) == [0, 1]
    assert list(index.lookup(rows)) == [0, 1, -1]
    assert list(index.add(rows[2:])) == [2] and index.size == 3
    assert list(index.lookup(rows[::-1])) == [2, 1, 0]


@pytest.mark.parametrize("space_name", ["nb201", "fbnet"])  # dense index, then bytes-keyed dict
def test_features_match_per_architecture_rows(space_name):
    space = get_space(space_name)
    rng = np.random.default_rng(1)
    genes = np.array([a.genes for a in space.sample_many(12, rng)])
    batch = np.concatenate([genes[:8], genes[:3], genes[5:]])  # repeats, and rows added later
    feats = LatencyFeatures(space)
    first = feats.compute(genes[:5])
    out = feats.compute(batch)
    fresh = LatencyFeatures(space)
    expected = np.stack([fresh.of_arch(space.make(g)) for g in batch.tolist()])
    assert out.shape == (len(batch), len(feats.names))
    assert np.array_equal(out, expected) and np.array_equal(first, expected[:5])
    assert feats.size == len(genes) and feats.compute(genes[:0]).shape == (0, len(feats.names))
    with pytest.raises(ArchitectureError):
        feats.compute(np.full((1, genes.shape[1]), 99))
    with pytest.raises(ArchitectureError):
        feats.compute(genes[:, :-1])


def test_cached_xgb_predictions_are_exact():
    space = get_space("nb201")
    rng = np.random.default_rng(2)
    archs = space.sample_many(60, rng)
    macs = LatencyFeatures(space).compute(space.genes_array(archs))[:, 1]
    y = 0.5 + macs / macs.max() + rng.random(len(archs)) * 0.1  # a latency-like target
    model = create_predictor("latency", "xgb", space, n_estimators=20).fit(archs[:40], y[:40])
    genes = space.genes_array(archs)
    batch = genes[rng.integers(len(genes), size=200)]
    direct = model._member_predictions(batch).mean(axis=0)
    assert np.array_equal(model.predict_genes(batch[:50]), direct[:50])
    assert np.array_equal(model.predict_genes(batch), direct)  # partly cached, partly new
    assert np.array_equal(model.predict_genes(batch), direct)  # all cached
    model.fit(archs[20:], y[20:])  # a refit must not serve the old model's numbers
    assert np.array_equal(model.predict_genes(batch), model._member_predictions(batch).mean(axis=0))


def test_fewshot_std_is_spread_of_components_in_ms(shared_data):
    from hwnas.datasets import load_latency_table

    space = get_space("fbnet")
    table = load_latency_table(shared_data / "fbnet" / "latency_ms.csv", space)
    device = table.devices[0]
    archs, ms = table.column(device)
    model = create_predictor("latency", "fewshot", space, pool=table.without([device])).fit(archs[:10], ms[:10])
    mean, std = model.predict_with_std(archs[10:200])
    assert np.allclose(mean, model.predict(archs[10:200]))
    assert np.all(std >= 0) and np.any(std > 0) and np.all(np.isfinite(std))
    comb = model.combination_
    assert len(comb.weights) > 1  # 10 shots cannot single out one prior device
    Z = model._prior_columns().matrix(space.genes_array(archs[10:200]), model.columns_)
    members_ms = np.exp(comb.members(Z))
    assert members_ms.min(axis=0).min() >= 0
    assert np.all(std <= np.abs(members_ms - mean).max(axis=0) + 1e-9)  # a spread, bounded by the members


def test_slot_tables_give_the_per_architecture_rows_and_name_a_unit_the_table_lacks():
    space = get_space("fbnet")  # every layer's unit is its gene's alone: features by table look-up
    rng = np.random.default_rng(3)
    lut = {u: 0.01 * (i + 1) for i, u in enumerate(space.all_units())}
    genes = space.genes_array(space.sample_many(30, rng))
    feats = LatencyFeatures(space, lut=lut)
    expected = np.stack([LatencyFeatures(space, lut=lut).of_arch(space.make(g)) for g in genes.tolist()])
    assert np.array_equal(feats.compute(genes), expected) and feats._slot_tables is not None
    lacking = space.units(space.make(genes[0].tolist()))[5]
    partial = LatencyFeatures(space, lut={u: v for u, v in lut.items() if u != lacking})
    uses = np.array([lacking in space.units(space.make(g)) for g in genes.tolist()])
    assert np.array_equal(partial.compute(genes[~uses]), expected[~uses])
    with pytest.raises(DataError, match="no row for"):
        partial.compute(genes[:1])


@pytest.mark.parametrize("space_name", hwnas.list_spaces())
def test_unit_cost_formulas_give_exactly_the_counted_costs(space_name):
    """An op's registered cost formula stands in for counting on the built module: it must agree
    exactly, or every latency feature (and every fitted model) would shift."""
    space = get_space(space_name)
    units = sorted(set(space.all_units() or [u for a in space.sample_many(5, 0) for u in space.units(a)]))
    kinds = {}
    for u in units:  # one of each op, grouping, stride, residual and resize
        kinds.setdefault((u.op, u.groups, u.stride, u.residual, u.extra), u)
    rng = np.random.default_rng(4)
    sample = list(kinds.values()) + [units[i] for i in rng.choice(len(units), min(40, len(units)), replace=False)]
    with_formula = [u for u in sample if unit_op_costs(u) is not None]
    for unit in with_formula:
        assert unit_costs(unit) == unit_costs(unit, use_formula=False), unit
