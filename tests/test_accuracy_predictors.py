"""Accuracy predictors: the estimator contract, ranking quality and safe persistence, for each registered one."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas import ConfigError, DataError, NotFittedError, get_space
from hwnas.predictors import (accuracy_feature_names, accuracy_features, create_predictor, list_predictors,
                              load_predictor, precision_at_top, ranking_metrics)
from hwnas.datasets import load_accuracy_table

from conftest import shared_file

ACCURACY = [name.split("/", 1)[1] for name in list_predictors("accuracy")]
FAST = {"gnn": {"epochs": 30, "hidden": 32}, "ensemble": {"members": 3, "n_estimators": 100}, "xgb": {"n_estimators": 150}}


@pytest.fixture(scope="module")
def nb201_table():
    frame = load_accuracy_table(shared_file("nb201", "accuracy.csv"), "nb201", ["cifar10_test_acc"])
    rng = np.random.default_rng(0)
    rows = rng.choice(len(frame), 700, replace=False)
    return frame["arch"].to_numpy()[rows].tolist(), frame["cifar10_test_acc"].to_numpy()[rows]


def test_registry_has_the_three_accuracy_predictors():
    assert {"xgb", "gnn", "ensemble"} <= set(ACCURACY)


@pytest.mark.parametrize("name", ACCURACY)
def test_predictor_ranks_unseen_architectures_and_round_trips(name, nb201_table, tmp_path):
    archs, y = nb201_table
    model = create_predictor("accuracy", name, "nb201", **FAST.get(name, {}))
    with pytest.raises(NotFittedError):
        model.predict(archs[:3])
    assert model.fit(archs[:200], y[:200]) is model and model.n_train_ == 200
    pred = model.predict(archs[200:])
    assert pred.dtype == np.float64 and pred.shape == (500,)
    assert ranking_metrics(y[200:], pred)["kendall"] > 0.4
    mean, std = model.predict_with_std(archs[200:210])
    assert mean.shape == std.shape == (10,) and (std >= 0).all()
    model.save(tmp_path / name)
    again = load_predictor(tmp_path / name)
    assert type(again) is type(model)
    np.testing.assert_allclose(again.predict(archs[200:]), pred, rtol=1e-5, atol=1e-4)
    for f in (tmp_path / name).rglob("*"):  # corrupt model files: one clear error, no traceback
        if f.suffix in (".ubj", ".safetensors"):
            f.write_bytes(b"garbage")
    with pytest.raises(DataError):
        load_predictor(tmp_path / name)


@pytest.mark.parametrize("name", ACCURACY)
def test_same_seed_same_predictions(name, nb201_table):
    archs, y = nb201_table
    params = {**FAST.get(name, {}), "seed": 3}
    if name == "gnn":
        params["epochs"] = 10
    a = create_predictor("accuracy", name, "nb201", **params).fit(archs[:60], y[:60])
    b = create_predictor("accuracy", name, "nb201", **params).fit(archs[:60], y[:60])
    np.testing.assert_allclose(a.predict(archs[60:90]), b.predict(archs[60:90]), rtol=1e-6)


def test_ensemble_spread_is_an_uncertainty(nb201_table):
    archs, y = nb201_table
    model = create_predictor("accuracy", "ensemble", "nb201", **FAST["ensemble"]).fit(archs[:100], y[:100])
    _, std = model.predict_with_std(archs[100:300])
    assert std.max() > 0


def test_bad_parameters_and_input_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown parameter"):
        create_predictor("accuracy", "xgb", "nb201", depth=3)
    with pytest.raises(ConfigError, match="members"):
        create_predictor("accuracy", "ensemble", "nb201", members=1)
    with pytest.raises(ConfigError, match="targets"):
        create_predictor("accuracy", "xgb", "nb201").fit(["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"], [1, 2])
    with pytest.raises(DataError):
        load_predictor(tmp_path)


def test_cell_features_see_disconnection_and_paths():
    space = get_space("nb201")
    dead = space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|")
    deep = space.parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_3x3~2|")
    x = accuracy_features(space, space.genes_array([dead, deep]))
    names = accuracy_feature_names(space)
    assert x.shape == (2, len(names))
    col = {n: i for i, n in enumerate(names)}
    assert x[0, col["disconnected"]] == 1 and x[1, col["disconnected"]] == 0
    assert x[1, col["max_conv_depth"]] == 3 and x[1, col["alive_paths"]] == 1
    assert x[0, col["effective_count=nor_conv_3x3"]] == 0  # convs cut off from the output do nothing


def test_ranking_metrics():
    y = np.arange(200, dtype=float)
    m = ranking_metrics(y, y * 2 + 1)
    assert m["kendall"] == pytest.approx(1) and m["spearman"] == pytest.approx(1) and m["precision_top1pct"] == 1
    assert ranking_metrics(y, -y)["kendall"] == pytest.approx(-1)
    assert precision_at_top(y, np.r_[y[:-2], -1, -2], 0.01) == 0.0
    with pytest.raises(ConfigError):
        ranking_metrics([1.0], [1.0])
