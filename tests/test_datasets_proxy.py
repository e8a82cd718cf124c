"""Real short training as an accuracy source: train_proxy and the resumable data set builder."""

from __future__ import annotations

import json

import pytest

from hwnas import ConfigError, DataError
from hwnas.datasets import ProxyBudget, build_accuracy_dataset, load_accuracy_dataset, train_proxy
from hwnas.predictors import fit_accuracy, load_predictor

A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
B = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
C = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
TINY = ProxyBudget(epochs=1, subset=120, val_size=100, batch_size=60, resolution=8, dataset="digits")


@pytest.mark.slow
def test_dataset_builder_resumes_and_feeds_fit_accuracy(tmp_path):
    out = tmp_path / "ds"
    frame = build_accuracy_dataset("nb201", [A, B], TINY, out, n_jobs=1, progress=False)
    assert sorted(frame["arch"]) == sorted([A, B])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["space"] == "nb201" and manifest["data_set"] == "digits" and manifest["budget"]["epochs"] == 1
    before = (out / "accuracy.csv").read_text()
    frame = build_accuracy_dataset("nb201", [A, B, C], TINY, out, n_jobs=1, progress=False)
    assert len(frame) == 3 and (out / "accuracy.csv").read_text().startswith(before)  # A, B not retrained
    rows, _ = load_accuracy_dataset(out)
    assert len(rows) == 3 and rows["accuracy"].between(0, 100).all()
    seeded = train_proxy(A, TINY, space="nb201")  # same budget and seed: the same accuracy
    assert seeded == pytest.approx(float(rows.set_index("arch").loc[A, "accuracy"]))
    with pytest.raises(ConfigError, match="space="):
        train_proxy(A, TINY)
    with pytest.raises(ConfigError, match="budget"):
        build_accuracy_dataset("nb201", [A], ProxyBudget(epochs=2, dataset="digits"), out, progress=False)
    summary = fit_accuracy("nb201", tmp_path / "model", dataset_dir=out, params={"n_estimators": 10})
    assert summary["n_train"] == 3 and load_predictor(tmp_path / "model").predict([A]).shape == (1,)


def test_not_a_dataset_dir_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="not an accuracy data set"):
        load_accuracy_dataset(tmp_path)
