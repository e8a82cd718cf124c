"""One row per variant of a finalized model (FP32, INT8, pruned...): export, measure, score."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from hwnas import count_params, export_onnx, quantize_onnx

from ._anchors import LatencyAnchor, timed_with_anchors
from ._config import FinalizeConfig
from ._evaluate import accuracy, agreement, onnx_predictions, torch_predictions
from ._latency import interleaved_median_ms

__all__ = ["Inputs", "error_row", "fp32_row", "int8_row", "timed_pair"]

# Interleaved timing rounds of a model next to what it is compared with (its anchors, or its FP32
# parent): medians over rounds, each round seeing the same machine load for both.
_ROUNDS = 3


@dataclass
class Inputs:
    """The preprocessed images every variant of a candidate is scored on."""

    x_test: np.ndarray
    y_test: np.ndarray
    calibration: np.ndarray
    input_shape: tuple[int, int, int]
    num_classes: int = 10
    x_check: np.ndarray | None = None  # training images apart from the calibration ones: they
    y_check: np.ndarray | None = None  # choose the INT8 recipe without looking at the test set


def error_row(variant: str, parent: str, message: str) -> dict:
    return {"variant": variant, "parent": parent, "error": message.splitlines()[0]}


def _size_row(row: dict, path: Path) -> None:
    row.update(onnx=path.name, size_kb=round(path.stat().st_size / 1024, 1))


def timed_pair(a: Path, b: Path, input_shape, config: FinalizeConfig) -> tuple[float, float]:
    """Median latency of two models timed in alternation (a ratio immune to load drift)."""
    ms_a, ms_b = interleaved_median_ms([a, b], input_shape, config.target, config.latency_threads, _ROUNDS)
    return ms_a, ms_b


def _check_accuracy(model: Path, inputs: Inputs, config: FinalizeConfig) -> float:
    """Accuracy of an ONNX model on the check images (0 without them: no loss is then seen)."""
    if inputs.x_check is None or len(inputs.x_check) == 0:
        return 0.0
    return accuracy(onnx_predictions(model, inputs.x_check, threads=config.latency_threads), inputs.y_check)


def _fastest_int8(parent: Path, out: Path, inputs: Inputs, config: FinalizeConfig):
    """Quantize with each recipe (``dynamic``: once), time each in alternation with the parent, and
    keep at ``out`` the fastest that loses at most ``config.int8_max_loss`` points on the check
    images (none does: the one that loses least). Returns it, the parent's and its median ms, and
    per recipe its ms and check loss."""
    recipes = config.int8_recipes if config.quantize == "static" else ("qdq",)
    made, tried = [], {}
    parent_check = _check_accuracy(parent, inputs, config)  # scored once, not once per recipe
    for recipe in recipes:
        q = quantize_onnx(parent, out.with_name(f"{out.stem}.{recipe}.onnx"), inputs.calibration,
                          config.quantize, recipe=recipe)
        parent_ms, ms = timed_pair(parent, q.path, inputs.input_shape, config)
        loss = parent_check - _check_accuracy(q.path, inputs, config)
        tried[q.recipe or q.mode] = {"median_ms": ms, "speedup": parent_ms / ms, "check_loss": loss}
        made.append((q, parent_ms, ms, loss))
        if q.mode != "static":  # static failed: the other recipes would fail the same way
            break
    keep = [m for m in made if m[3] <= config.int8_max_loss]
    q, parent_ms, ms, _ = (min(keep, key=lambda m: m[2] / m[1]) if keep else min(made, key=lambda m: m[3]))
    for other in made:
        if other[0] is not q:
            other[0].path.unlink(missing_ok=True)
    q.path.replace(out)
    return dataclasses.replace(q, path=out), parent_ms, ms, tried


def fp32_row(variant: str, model, inputs: Inputs, config: FinalizeConfig, directory: Path,
             predicted_ms: float | None, anchors: Sequence[LatencyAnchor] = ()) -> dict:
    """Export, time (next to ``anchors`` when given) and score a torch model."""
    row = {"variant": variant, "parent": "fp32" if variant != "fp32" else "", "params": count_params(model),
           "predicted_ms": predicted_ms, "error": ""}
    try:
        row["_torch_pred"] = torch_predictions(model, inputs.x_test)
        row["torch_accuracy"] = accuracy(row["_torch_pred"], inputs.y_test)
        path = export_onnx(model, inputs.input_shape, directory / f"{variant}.onnx")
        _size_row(row, path)
        use = list(anchors) if predicted_ms is not None else []
        ms, ratio, rows = timed_with_anchors(path, use, inputs.input_shape, inputs.num_classes, config.target,
                                             config.latency_threads, rounds=_ROUNDS, seed=config.seed)
        row["median_ms"] = ms
        if rows:
            row.update(predicted_ms=predicted_ms * ratio, predicted_ms_surrogate=predicted_ms,
                       anchor_ratio=ratio, anchors=rows)
        row["_ort_pred"] = onnx_predictions(path, inputs.x_test, threads=config.latency_threads)
        row["ort_accuracy"] = accuracy(row["_ort_pred"], inputs.y_test)
        row["agreement_torch_ort"] = agreement(row["_torch_pred"], row["_ort_pred"])
    except Exception as exc:  # noqa: BLE001  (a failing export must not stop the other variants)
        row["error"] = f"export/measure failed: {type(exc).__name__}: {exc}".splitlines()[0]
    return row


def int8_row(variant: str, parent: dict, inputs: Inputs, config: FinalizeConfig, directory: Path) -> dict:
    """Quantize the parent's ONNX model, time it in alternation with the parent, score it."""
    row = {"variant": variant, "parent": parent["variant"], "params": parent.get("params"), "error": ""}
    if parent.get("error") or "onnx" not in parent:
        row["error"] = f"skipped: {parent['variant']} failed"
        return row
    try:
        parent_path = directory / parent["onnx"]
        q, parent_ms, row["median_ms"], tried = _fastest_int8(parent_path, directory / f"{variant}.onnx",
                                                              inputs, config)
        row.update(quantization=q.mode, quantization_recipe=q.recipe, quantization_note=q.fallback_reason,
                   recipes_ms=tried)
        _size_row(row, q.path)
        pred = onnx_predictions(q.path, inputs.x_test, threads=config.latency_threads)
        row["ort_accuracy"] = accuracy(pred, inputs.y_test)
        row["agreement_torch_ort"] = agreement(parent["_torch_pred"], pred)
        row["agreement_fp32_int8"] = agreement(parent["_ort_pred"], pred)
        row["parent_ms_paired"] = parent_ms
        row["speedup"] = parent_ms / row["median_ms"]
    except Exception as exc:  # noqa: BLE001
        row["error"] = f"quantization failed: {type(exc).__name__}: {exc}".splitlines()[0]
    return row
