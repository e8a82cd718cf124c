"""Latency anchors: neighbour networks timed next to a finalized model to re-anchor its prediction.

A latency surrogate predicts from a profile taken earlier, maybe under another load or clock
state, and a lookup-table sum misses how a particular network's pieces run together (15% median
error of the affine LUT on the held-out networks of this project's mbconv profile). Timing a few
*neighbours* of the model (the same network with one gene changed, or the profile's networks of
closest predicted latency), interleaved with the model, tells how far this machine now is from
what the surrogate says for networks like it: the anchored prediction is the surrogate's
prediction times the median measured/predicted ratio of its anchors. The model's own
measurement is never used: it stays a prediction, made from other networks measured at the same
time (as a few-shot latency calibration does).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from hwnas import SearchSpace, export_onnx

from ._latency import interleaved_median_ms

if TYPE_CHECKING:
    import torch

__all__ = ["LatencyAnchor", "choose_anchors", "neighbour_anchors", "timed_with_anchors"]


@dataclass(frozen=True)
class LatencyAnchor:
    """A profiled network: its name (architecture string), builder and surrogate prediction (ms)."""

    name: str
    build: Callable[[int, tuple[int, int, int]], "torch.nn.Module"]
    predicted_ms: float


def choose_anchors(space: SearchSpace, archs: Sequence, predicted_ms: np.ndarray, target_ms: float,
                   k: int = 4, exclude: str = "") -> list[LatencyAnchor]:
    """The ``k`` networks of ``archs`` (a profile's measured networks) whose predicted latency is
    closest to ``target_ms`` in log scale (latency errors are relative); never ``exclude`` (the
    model itself: its own measurement must not anchor its prediction)."""
    predicted_ms = np.asarray(predicted_ms, dtype=np.float64)
    if len(archs) == 0 or not np.isfinite(target_ms) or target_ms <= 0:
        return []
    distance = np.abs(np.log(np.maximum(predicted_ms, 1e-9)) - np.log(target_ms))
    if exclude:
        distance[[space.format(space.as_arch(a)) == exclude for a in archs]] = np.inf
    order = [i for i in np.argsort(distance, kind="stable")[:k] if np.isfinite(distance[i])]
    out = []
    for i in order:
        arch = space.as_arch(archs[i])
        out.append(LatencyAnchor(space.format(arch), lambda c, s, a=arch: space.build(a, c, s),
                                 float(predicted_ms[i])))
    return out


def neighbour_anchors(space: SearchSpace, arch, latency_pred, k: int = 4, seed: int = 0) -> list[LatencyAnchor]:
    """``k`` distinct one-gene mutants of ``arch`` (never ``arch`` itself), with the surrogate's
    predictions: they share most of the model's structure, hence most of its prediction error."""
    rng = np.random.default_rng(seed)
    arch = space.as_arch(arch)
    found: dict = {}
    for _ in range(20 * k):
        if len(found) >= k:
            break
        mutant = space.mutate(arch, rng)
        if mutant != arch:
            found.setdefault(mutant, None)
    mutants = list(found)
    if not mutants:
        return []
    predicted = np.asarray(latency_pred.predict(mutants), dtype=np.float64)
    return [LatencyAnchor(space.format(m), lambda c, s, a=m: space.build(a, c, s), float(p))
            for m, p in zip(mutants, predicted)]


def timed_with_anchors(model_path: str | os.PathLike, anchors: Sequence[LatencyAnchor],
                       input_shape: tuple[int, int, int], num_classes: int, target: str = "ort-cpu",
                       threads: int = 1, rounds: int = 3, seed: int = 0) -> tuple[float, float, list[dict]]:
    """Time the model and its anchors in ``rounds`` interleaved rounds (so that both see the same
    load). Returns the model's median latency (ms), the anchor ratio (median of measured/predicted
    over the anchors; 1.0 without anchors) and one row per anchor."""
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, anchor in enumerate(anchors):
            torch.manual_seed(seed)  # latency does not depend on the weights' values
            paths.append(export_onnx(anchor.build(num_classes, tuple(input_shape)).eval(), input_shape,
                                     Path(tmp) / f"anchor{i}.onnx"))
        model_ms, *anchor_ms = interleaved_median_ms([model_path, *paths], input_shape, target, threads, rounds)
    rows = [{"arch": a.name, "predicted_ms": a.predicted_ms, "measured_ms": ms}
            for a, ms in zip(anchors, anchor_ms)]
    ratio = float(np.median([r["measured_ms"] / r["predicted_ms"] for r in rows])) if rows else 1.0
    return model_ms, ratio, rows
