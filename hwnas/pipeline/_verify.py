"""Verify on the device, before training, that a candidate really fits its latency budget.

Ten epochs of training are too dear to spend on a network the surrogate under-predicted. Each
budget's most accurate front architectures are timed (random weights: latency does not depend on
their values) in alternation with the baseline CNN, and expressed in the time frame of the
baseline's measurement at the start of the run (``ms * baseline_ms / baseline_now_ms``), so that a
machine busier now than then neither rejects nor admits a candidate by itself. The first that
fits is kept; the measurement is recorded (``verified_ms``), never used as the prediction.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from hwnas import SearchSpace, export_onnx

from ._latency import interleaved_median_ms

__all__ = ["verified_picks", "baseline_frame_timer"]


def baseline_frame_timer(space: SearchSpace, baseline_onnx: Path, baseline_ms: float,
                         input_shape: tuple[int, int, int], num_classes: int, target: str = "ort-cpu",
                         threads: int = 1, rounds: int = 3, seed: int = 0) -> Callable[[str], float]:
    """``time(arch) -> ms``: the architecture timed in alternation with the baseline, scaled to the
    baseline's reference measurement."""
    import torch

    def time_arch(arch: str) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            torch.manual_seed(seed)
            model = space.build(space.as_arch(arch), num_classes, tuple(input_shape)).eval()
            path = export_onnx(model, input_shape, Path(tmp) / "candidate.onnx")
            ms, base = interleaved_median_ms([path, baseline_onnx], input_shape, target, threads, rounds)
        return ms * baseline_ms / base

    return time_arch


def verified_picks(ranked: Sequence[dict], budgets_ms: Sequence[float], time_arch: Callable[[str], float],
                   tries: int = 4) -> tuple[list[dict], list[str]]:
    """Per budget (smallest first), the most accurate of ``ranked`` (rows with ``arch``,
    ``predicted_ms``, ``predicted_accuracy``) predicted within it whose timing fits it, trying at
    most ``tries``. When none fits and the timings show the surrogate optimistic (median
    measured/predicted ratio above 1), a second round of at most ``tries`` takes the most accurate
    whose prediction times that ratio fits. Returns the picks (with ``verified_ms`` and
    ``budget_ms``) and notes on the budgets where none fitted."""
    ranked = sorted(ranked, key=lambda r: -r["predicted_accuracy"])
    timed: dict[str, float] = {}
    picks: list[dict] = []
    notes: list[str] = []
    for budget in sorted(budgets_ms):
        taken = {p["arch"] for p in picks}
        options = [r for r in ranked if r["predicted_ms"] <= budget and r["arch"] not in taken][:tries]
        pick = _first_fitting(options, budget, time_arch, timed)
        if pick is None and options:
            ratio = float(np.median([timed[r["arch"]] / r["predicted_ms"] for r in options]))
            retry = [r for r in ranked if r["predicted_ms"] * ratio <= budget and r["arch"] not in taken
                     and r["arch"] not in timed][:tries] if ratio > 1 else []
            pick = _first_fitting(retry, budget, time_arch, timed)
            if pick is None:
                notes.append(f"None of the {len(options) + len(retry)} architectures tried (the most accurate "
                             f"predicted within {budget:.4g} ms, then within it once scaled by the measured/"
                             f"predicted ratio {ratio:.3g}) measured within it before training.")
            else:
                notes.append(f"Under {budget:.4g} ms the surrogate's picks measured {ratio:.3g}x their prediction: "
                             f"the pick is the most accurate whose prediction fits once scaled by that.")
        if pick is not None:
            picks.append(dict(pick, verified_ms=timed[pick["arch"]], budget_ms=budget))
    return picks, notes


def _first_fitting(options: Sequence[dict], budget: float, time_arch: Callable[[str], float],
                   timed: dict[str, float]) -> dict | None:
    """The first of ``options`` whose timing (cached in ``timed``) fits ``budget``."""
    for row in options:
        if row["arch"] not in timed:
            timed[row["arch"]] = time_arch(row["arch"])
        if timed[row["arch"]] <= budget:
            return row
    return None
