"""Drawing the report's figures (matplotlib, an optional extra) from `_report_data`'s output."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from hwnas._errors import require

__all__ = ["draw_pareto", "draw_latency", "draw_steps"]

_MARKERS = {"fp32": "o", "int8": "s", "pruned": "^", "pruned-int8": "D"}


def _figure():
    matplotlib = require("matplotlib", "plots")
    matplotlib.use("Agg")  # files only: no screen needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    return plt, fig, ax


def _save(plt, fig, path: str | os.PathLike) -> Path:
    path = Path(path)
    tmp = path.with_suffix(".tmp.png")
    fig.tight_layout()
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def draw_pareto(points: dict, path: str | os.PathLike, budget_ms: float | None = None) -> Path:
    """Predicted front (line) and the finalized models' measured points (markers per variant)."""
    plt, fig, ax = _figure()
    front = sorted((p for p in points["predicted"] if p["predicted_ms"] is not None),
                   key=lambda p: p["predicted_ms"])
    if front:
        ax.step([p["predicted_ms"] for p in front], [p["predicted_accuracy"] for p in front], where="post",
                color="0.5", label="predicted Pareto front")
    for variant, marker in _MARKERS.items():
        pts = [m for m in points["measured"] if m["variant"] == variant]
        if pts:
            ax.scatter([m["median_ms"] for m in pts], [m["accuracy"] for m in pts], marker=marker,
                       label=f"measured {variant}")
    if budget_ms:
        ax.axvline(budget_ms, color="red", linestyle=":", label=f"budget {budget_ms:g} ms")
    ax.set(xlabel="latency (ms, median)", ylabel="top-1 accuracy (%)", title="Pareto front and finalized models")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def draw_latency(points: Sequence[dict], path: str | os.PathLike) -> Path:
    """Predicted against measured FP32 latency, with the ±10% band."""
    plt, fig, ax = _figure()
    xs = [p["predicted_ms"] for p in points]
    ys = [p["measured_ms"] for p in points]
    hi = max(xs + ys, default=1.0) * 1.15
    ax.plot([0, hi], [0, hi], color="0.4", linewidth=1, label="measured = predicted")
    ax.fill_between([0, hi], [0, 0.9 * hi], [0, 1.1 * hi], color="0.85", label="±10%")
    ax.scatter(xs, ys, zorder=3)
    for p in points:
        ax.annotate(p["name"][:24], (p["predicted_ms"], p["measured_ms"]), fontsize=7)
    ax.set(xlabel="predicted latency (ms)", ylabel="measured latency (ms)", xlim=(0, hi), ylim=(0, hi),
           title="Predicted against measured latency (FP32)")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def draw_steps(series: Sequence[dict], path: str | os.PathLike) -> Path:
    """Each candidate's path through FP32 -> INT8 / pruned -> pruned INT8 (latency, accuracy)."""
    plt, fig, ax = _figure()
    for i, s in enumerate(series):
        color = f"C{i % 10}"
        at = {st["variant"]: (st["median_ms"], st["accuracy"]) for st in s["steps"]}
        for st in s["steps"]:  # an arrow from each step's input model to its result
            if st["parent"] in at:
                ax.annotate("", at[st["variant"]], at[st["parent"]],
                            arrowprops={"arrowstyle": "->", "color": color, "alpha": 0.6})
            ax.scatter(*at[st["variant"]], marker=_MARKERS.get(st["variant"], "x"), color=color)
        first = s["steps"][0]
        ax.annotate(s["name"][:24], (first["median_ms"], first["accuracy"]), fontsize=7)
    for variant, marker in _MARKERS.items():
        ax.scatter([], [], marker=marker, color="0.3", label=variant)
    ax.set(xlabel="latency (ms, median)", ylabel="top-1 accuracy, ONNX Runtime (%)",
           title="Accuracy and latency through each compression step")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)
