"""Latency predictors on a real (small, quickly measured) ort-cpu profile of nb201: contract,
persistence, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwnas import ConfigError, DataError, get_space
from hwnas.predictors import create_predictor, fit_log_combination, list_predictors, load_predictor
from hwnas.profiler import Profile, TimingProtocol, profile as run_profile

pytestmark = pytest.mark.slow
FAST = {"gnn": {"epochs": 15, "hidden": 16}, "xgb": {"n_estimators": 50}, "ensemble": {"n_estimators": 30, "n_members": 3}}


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Profile:
    """Ten cells made of skip and 1x1 conv edges (16 distinct units), timed coarsely: real
    measurements, a few seconds."""
    space = get_space("nb201")
    rng = np.random.default_rng(0)
    archs = list(dict.fromkeys(space.make(rng.choice([1, 2], size=6)) for _ in range(40)))[:10]
    quick = TimingProtocol(warmup_s=0.0, warmup_runs=1, block_ms=0.1, min_runs=3, max_runs=3, max_time_s=0.01,
                           remeasure=False)
    return run_profile(space, "ort-cpu", tmp_path_factory.mktemp("profile"), archs=archs, networks=10,
                       protocol=quick, progress=False)


@pytest.fixture(scope="module")
def networks(profile):
    return profile.network_latencies()


@pytest.mark.parametrize("name", [p.split("/")[1] for p in list_predictors("latency")])
def test_fit_predict_save_load(name, profile, networks, tmp_path):
    archs, ms = networks
    model = create_predictor("latency", name, "nb201", profile=profile, **FAST.get(name, {}))
    assert model.fit(archs[:7], ms[:7]) is model and model.n_train_ == 7
    pred = model.predict(archs[7:])
    assert pred.shape == (len(archs) - 7,) and np.all(np.isfinite(pred)) and np.all(pred > 0)
    mean, std = model.predict_with_std(archs[7:])
    assert np.allclose(mean, pred) and np.all(std >= 0)
    model.save(tmp_path / name)
    assert not list(tmp_path.glob(f"{name}/*.pkl")) and not list(tmp_path.glob(f"{name}/*.pt"))
    again = load_predictor(tmp_path / name)
    assert np.allclose(again.predict(archs[7:]), pred)
    assert again.fitted_on() == model.fitted_on() and profile.hash in (model.fitted_on() or "")
    with pytest.raises(DataError, match="fitted for space 'nb201'"):
        load_predictor(tmp_path / name, space="fbnet")


def test_lut_sum_and_correction(profile, networks):
    archs, ms = networks
    plain = create_predictor("latency", "lut", "nb201", profile=profile, correction="none").fit(archs[:5], ms[:5])
    assert np.allclose(plain.predict(archs), profile.lut_sums(archs))
    fitted = create_predictor("latency", "lut", "nb201", profile=profile).fit_profile()
    assert fitted.n_train_ == len(archs)
    assert np.abs(np.log(fitted.predict(archs) / ms)).mean() <= np.abs(np.log(plain.predict(archs) / ms)).mean()
    with pytest.raises(ConfigError, match="needs a profile"):
        create_predictor("latency", "lut", "nb201").fit(archs[:5], ms[:5])


def test_other_profile_is_refused(profile, networks):
    archs, ms = networks
    model = create_predictor("latency", "xgb", "nb201", profile=profile, n_estimators=20).fit(archs, ms)
    model.check_profile(profile)
    manifest = {k: v for k, v in profile.manifest.items() if k != "table_hash"}
    other = Profile(profile.lut, profile.networks.iloc[:5], manifest, Path("elsewhere"))
    with pytest.raises(DataError, match="not the one this predictor was fitted with"):
        model.check_profile(other)


def test_log_combination_finds_the_related_device():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 6))
    y = 2.0 + 0.5 * Z[:, 3]
    comb = fit_log_combination(Z[:10], y[:10])
    on_3 = sum(w for w, cols in zip(comb.weights, comb.columns) if 3 in cols)
    assert on_3 > 0.99 and comb.columns[np.argmax(comb.weights)] == [3]
    assert np.allclose(comb.predict(Z), y, atol=1e-3)
    flat = fit_log_combination(Z[:1], y[:1])  # one shot: a prior-mean scale, no slope to learn
    assert np.all(np.isfinite(flat.predict(Z)))
