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
    most ``tries``; returns the picks (with ``verified_ms`` and ``budget_ms``) and notes on the
    budgets where none fitted."""
    ranked = sorted(ranked, key=lambda r: -r["predicted_accuracy"])
    timed: dict[str, float] = {}
    picks: list[dict] = []
    notes: list[str] = []
    for budget in sorted(budgets_ms):
        taken = {p["arch"] for p in picks}
        options = [r for r in ranked if r["predicted_ms"] <= budget and r["arch"] not in taken][:tries]
        for row in options:
            if row["arch"] not in timed:
                timed[row["arch"]] = time_arch(row["arch"])
            if timed[row["arch"]] <= budget:
                picks.append(dict(row, verified_ms=timed[row["arch"]], budget_ms=budget))
                break
        else:
            if options:
                notes.append(f"None of the {len(options)} most accurate architectures predicted within "
                             f"{budget:.4g} ms measured within it before training.")
    return picks, notes
