"""INT8 post-training quantization with ONNX Runtime: static QDQ, dynamic as a fallback."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._errors import ConfigError, DataError, HwnasError

__all__ = ["QuantizeResult", "quantize_onnx", "quantize_for_timing", "STATIC_RECIPES"]

# Ways to make the INT8 static model. Which one is fastest depends on the network and the CPU
# (per-op quantize/dequantize and requantization overhead against the INT8 kernels' gain), so the
# finalizer times those it is given and keeps the fastest that keeps accuracy. ``qdq``: QDQ format,
# per-channel weights; ``qdq-tensor``: per-tensor weights (cheaper requantization: 1.1x faster than
# ``qdq`` on mbconv networks of 0.2-15 ms here, at some accuracy risk on depthwise convolutions);
# ``qoperator``: QLinear* operators, per-channel. Measured and rejected on this project's Xeon (ORT
# 1.32): leaving depthwise convolutions or non-convolution ops in FP32 (the extra Q/DQ pairs made
# the models 1.2-4x *slower* than all-INT8), signed INT8 activations (1.5-2.5x slower than UINT8).
STATIC_RECIPES = ("qdq", "qdq-tensor", "qoperator")


@dataclass(frozen=True)
class QuantizeResult:
    """Where the INT8 model is, how it was made, and why the preferred way failed, if it did."""

    path: Path
    mode: str  # "static" or "dynamic"
    fallback_reason: str = ""
    recipe: str = ""


class _Calibration:
    """ONNX Runtime's ``CalibrationDataReader`` over preprocessed real images, in batches."""

    def __init__(self, input_name: str, images: np.ndarray, batch_size: int) -> None:
        self._batches = iter([{input_name: np.ascontiguousarray(images[i:i + batch_size], dtype=np.float32)}
                              for i in range(0, len(images), batch_size)])

    def get_next(self):
        return next(self._batches, None)


def quantize_onnx(fp32_path: str | os.PathLike, out_path: str | os.PathLike,
                  calibration: np.ndarray | None, mode: str = "static",
                  batch_size: int = 1, recipe: str = "qdq") -> QuantizeResult:
    """Quantize ``fp32_path`` to INT8 at ``out_path`` (atomically).

    ``calibration`` holds preprocessed training images (float32 NCHW, the model's input, fed in
    batches of ``batch_size``, which must match a fixed-batch model's input); with
    ``mode="static"`` activations get QDQ scales from them (per-channel INT8 weights, UINT8
    activations, after ``quant_pre_process``, placed as ``recipe`` says: see ``STATIC_RECIPES``);
    if that fails, or ``mode="dynamic"``, weights are quantized and activations at run time.
    Raises ``HwnasError`` when both fail.
    """
    from onnxruntime.quantization import quant_pre_process

    if mode not in ("static", "dynamic"):
        raise ConfigError(f"quantization mode must be 'static' or 'dynamic', got {mode!r}")
    if recipe not in STATIC_RECIPES:
        raise ConfigError(f"quantization recipe must be one of {', '.join(STATIC_RECIPES)}, got {recipe!r}")
    if not Path(fp32_path).is_file():
        raise DataError(f"{fp32_path}: ONNX model not found")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    reason = ""
    with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
        pre = Path(tmp) / "pre.onnx"
        try:
            quant_pre_process(str(fp32_path), str(pre), skip_symbolic_shape=False)
        except Exception as exc:  # noqa: BLE001  (onnx raises its own kinds on unreadable models)
            raise DataError(f"{fp32_path}: not a readable ONNX model ({type(exc).__name__}: {exc})"
                            .splitlines()[0]) from exc
        tmp_out = Path(tmp) / "int8.onnx"
        if mode == "static":
            if calibration is None or len(calibration) == 0:
                reason = "no calibration images"
            else:
                try:
                    _static(pre, tmp_out, calibration, batch_size, recipe)
                except Exception as exc:  # noqa: BLE001  (ORT's quantizer raises anything)
                    reason = f"static quantization failed: {type(exc).__name__}: {exc}".splitlines()[0]
        if mode == "dynamic" or reason:
            try:
                _dynamic(pre, tmp_out)
            except Exception as exc:  # noqa: BLE001
                raise HwnasError(f"{fp32_path}: INT8 quantization failed ({reason}; dynamic: "
                                 f"{type(exc).__name__}: {exc})".splitlines()[0]) from exc
        os.replace(tmp_out, out_path)
    static = not (mode == "dynamic" or reason)
    return QuantizeResult(out_path, "static" if static else "dynamic", reason, recipe if static else "")


def quantize_for_timing(fp32_path: str | os.PathLike, out_path: str | os.PathLike, calibration: np.ndarray,
                        batch_size: int = 1) -> Path:
    """The static INT8 graph (``qdq`` recipe) of an FP32 model, made to be *timed*: calibration
    on any input will do (INT8 kernels take as long whatever the scales). Raises ``HwnasError``
    when static quantization fails: a dynamic graph would be timed as if it were the static one.
    The quantizer's per-weight warnings on the root logger are kept quiet."""
    import logging

    before = logging.root.manager.disable
    logging.disable(logging.WARNING)  # the quantizer warns on the root logger for every 1-D weight
    try:
        done = quantize_onnx(fp32_path, out_path, calibration, mode="static", batch_size=batch_size, recipe="qdq")
    finally:
        logging.disable(before)
    if done.mode != "static":
        raise HwnasError(done.fallback_reason)
    return done.path


def _static(pre: Path, out: Path, calibration: np.ndarray, batch_size: int, recipe: str) -> None:
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    input_name = onnx.load(str(pre), load_external_data=False).graph.input[0].name
    quantize_static(str(pre), str(out), _Calibration(input_name, calibration, batch_size),
                    quant_format=QuantFormat.QOperator if recipe == "qoperator" else QuantFormat.QDQ,
                    per_channel=recipe != "qdq-tensor", activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)


def _dynamic(pre: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(pre), str(out), weight_type=QuantType.QInt8)
