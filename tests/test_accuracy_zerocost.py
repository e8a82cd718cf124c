"""Zero-cost proxies on a real mini-batch, and their durable per-architecture cache."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas import get_space
from hwnas.datasets import load_dataset
from hwnas.predictors import ZERO_COST_PROXIES, compute_zero_cost, create_predictor, zero_cost_cache_path
from hwnas.predictors._zerocost import read_zero_cost

CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
POOL = "|avg_pool_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|none~1|none~2|"
DEAD = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_scores_are_finite_cached_and_reproducible(digits, tmp_path):
    space = get_space("nb201")
    frame = compute_zero_cost(space, [CONV, POOL], digits, batch_size=8, cache_dir=tmp_path, progress=False)
    assert list(frame.index) == [CONV, POOL]
    assert set(ZERO_COST_PROXIES) <= set(frame.columns)
    assert np.isfinite(frame[list(ZERO_COST_PROXIES)].to_numpy(float)).all()
    assert frame.loc[CONV, "params"] > frame.loc[POOL, "params"]
    assert frame.loc[CONV, "flops"] > frame.loc[POOL, "flops"]
    assert frame.loc[CONV, "synflow"] > frame.loc[POOL, "synflow"]  # more paths with weights
    path = zero_cost_cache_path(space, "digits", 8, 0, tmp_path)
    assert path.is_file() and path.with_suffix(".json").is_file()
    with open(path, "a") as f:  # a crash mid-append leaves a torn line: it is ignored
        f.write(DEAD + ",1.0,2")
    again = compute_zero_cost(space, [POOL, CONV, DEAD], digits, batch_size=8, cache_dir=tmp_path, progress=False)
    np.testing.assert_allclose(again.loc[CONV, "naswot"], frame.loc[CONV, "naswot"])
    assert len(read_zero_cost(path)) == 3
    fresh = compute_zero_cost(space, [CONV], digits, batch_size=8, cache_dir=tmp_path / "other", progress=False)
    np.testing.assert_allclose(fresh.loc[CONV, ["synflow", "snip", "naswot"]].to_numpy(float),
                               frame.loc[CONV, ["synflow", "snip", "naswot"]].to_numpy(float), rtol=1e-4)


def test_xgb_uses_cached_scores_as_features(digits, tmp_path):
    space = get_space("nb201")
    archs = [space.format(a) for a in space.sample_many(7, 5)]
    compute_zero_cost(space, archs[:5], digits, batch_size=8, cache_dir=tmp_path, progress=False)
    path = zero_cost_cache_path(space, "digits", 8, 0, tmp_path)
    y = np.linspace(50, 90, 5)
    model = create_predictor("accuracy", "xgb", space, zero_cost=str(path), n_estimators=20).fit(archs[:5], y)
    plain = create_predictor("accuracy", "xgb", space, n_estimators=20)
    assert model.features(space.genes_array([space.parse(a) for a in archs])).shape[1] == \
        plain.features(space.genes_array([space.parse(archs[0])])).shape[1] + 7
    pred = model.predict(archs)  # the last two are not cached: NaN features, still a prediction
    assert np.isfinite(pred).all()
    model.save(tmp_path / "p")
    path.unlink()  # the saved predictor carries its own copy of the scores
    from hwnas.predictors import load_predictor

    np.testing.assert_allclose(load_predictor(tmp_path / "p").predict(archs), pred, rtol=1e-5)
