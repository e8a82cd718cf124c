"""The picture of a search: computed by `pareto_plot_data`, drawn by `plot_pareto` (matplotlib)."""

from __future__ import annotations

import os

import numpy as np

from hwnas._errors import require

from ._result import SearchResult

__all__ = ["pareto_plot_data", "plot_pareto"]


def pareto_plot_data(result: SearchResult, x: str | None = None, y: str | None = None) -> dict:
    """Arrays to draw: every evaluated architecture, which are feasible, and the front.

    ``x`` defaults to the second objective (or the first constraint's metric), ``y`` to the
    first objective.
    """
    problem = result.problem
    y = y or problem.objectives[0].metric.name
    if x is None:
        others = [o.metric.name for o in problem.objectives[1:]] + [c.metric.name for c in problem.constraints]
        x = next((m for m in others if m != y), y)
    h = result.history
    front = np.flatnonzero(result.is_pareto)
    front = front[np.argsort(h.mean(x)[front], kind="stable")]
    return {"x_name": x, "y_name": y, "x": h.mean(x), "y": h.mean(y), "feasible": result.feasible,
            "front_x": h.mean(x)[front], "front_y": h.mean(y)[front],
            "limits": {c.metric.name: c.upper for c in problem.constraints}}


def plot_pareto(result: SearchResult, path: str | os.PathLike, x: str | None = None, y: str | None = None) -> None:
    """Save the scatter of the search with its front (and budget lines) to ``path``."""
    require("matplotlib", "plots")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = pareto_plot_data(result, x, y)
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=110)
    ax.scatter(d["x"][~d["feasible"]], d["y"][~d["feasible"]], s=4, c="0.8", label="infeasible")
    ax.scatter(d["x"][d["feasible"]], d["y"][d["feasible"]], s=4, c="tab:blue", alpha=0.4, label="feasible")
    ax.plot(d["front_x"], d["front_y"], "o-", c="tab:red", ms=4, label="Pareto front")
    if d["x_name"] in d["limits"]:
        ax.axvline(d["limits"][d["x_name"]], ls="--", c="k", lw=1, label="budget")
    ax.set_xlabel(d["x_name"])
    ax.set_ylabel(d["y_name"])
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    tmp = f"{path}.tmp.png"
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
