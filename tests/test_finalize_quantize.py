"""INT8 post-training quantization with ONNX Runtime, calibrated on real images."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from torch import nn

from hwnas import DataError, HwnasError, ConfigError, export_onnx
from hwnas.pipeline import agreement, onnx_predictions, preprocess, quantize_onnx, torch_predictions


@pytest.fixture(scope="module")
def digits():
    from hwnas.datasets import load_dataset

    ds = load_dataset("digits")
    return preprocess(ds.x_train[:64], ds.mean, ds.std), preprocess(ds.x_test[:100], ds.mean, ds.std)


@pytest.fixture(scope="module")
def fp32(tmp_path_factory, digits):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)).eval()
    path = export_onnx(net, (3, 16, 16), tmp_path_factory.mktemp("q") / "fp32.onnx")
    return net, path


def _ops(path) -> set[str]:
    return {n.op_type for n in onnx.load(str(path)).graph.node}


def test_static_qdq_quantization_agrees_with_fp32(fp32, digits, tmp_path):
    net, path = fp32
    calib, test = digits
    result = quantize_onnx(path, tmp_path / "int8.onnx", calib)
    assert result.mode == "static" and result.fallback_reason == ""
    assert {"QuantizeLinear", "DequantizeLinear"} <= _ops(result.path)
    assert result.path.stat().st_size < path.stat().st_size
    ref = torch_predictions(net, test)
    assert agreement(ref, onnx_predictions(path, test)) == 100.0
    assert agreement(ref, onnx_predictions(result.path, test)) >= 90.0


def test_dynamic_mode_and_fallback_without_calibration(fp32, tmp_path):
    _, path = fp32
    dyn = quantize_onnx(path, tmp_path / "dyn.onnx", None, mode="dynamic")
    assert dyn.mode == "dynamic" and dyn.path.is_file()
    fallback = quantize_onnx(path, tmp_path / "fb.onnx", None, mode="static")
    assert fallback.mode == "dynamic" and "calibration" in fallback.fallback_reason


def test_a_graph_made_for_timing_is_static_or_an_error(fp32, tmp_path):
    from hwnas import quantize_for_timing

    _, path = fp32
    noise = np.random.default_rng(0).normal(size=(4, 3, 16, 16)).astype(np.float32)
    int8 = quantize_for_timing(path, tmp_path / "t.onnx", noise)
    assert {"QuantizeLinear", "DequantizeLinear"} <= _ops(int8)
    with pytest.raises(HwnasError, match="no calibration images"):  # a dynamic graph is never timed as static
        quantize_for_timing(path, tmp_path / "none.onnx", noise[:0])


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        quantize_onnx(tmp_path / "missing.onnx", tmp_path / "o.onnx", None)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not an onnx model")
    with pytest.raises(HwnasError, match="junk.onnx"):
        quantize_onnx(junk, tmp_path / "o.onnx", None)
    with pytest.raises(ConfigError, match="mode"):
        quantize_onnx(junk, tmp_path / "o.onnx", None, mode="int4")


def test_every_static_recipe_makes_an_int8_model_that_agrees(fp32, digits, tmp_path):
    from hwnas import STATIC_RECIPES

    net, path = fp32
    calib, test = digits
    ref = torch_predictions(net, test)
    for recipe in STATIC_RECIPES:
        result = quantize_onnx(path, tmp_path / f"{recipe}.onnx", calib, recipe=recipe)
        assert result.mode == "static" and result.recipe == recipe
        ops = _ops(result.path)
        assert ("QLinearConv" in ops) if recipe == "qoperator" else ({"QuantizeLinear", "DequantizeLinear"} <= ops)
        assert agreement(ref, onnx_predictions(result.path, test)) >= 90.0, recipe
    with pytest.raises(ConfigError, match="recipe"):
        quantize_onnx(path, tmp_path / "x.onnx", calib, recipe="int4-magic")
