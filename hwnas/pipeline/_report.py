"""The Markdown report of a finalize or run directory: readable without running anything."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from hwnas import MissingDependencyError

from ._baseline import ORIGIN_REFERENCE
from ._report_data import (candidate_table, latency_points, pareto_points, report_headline, step_series,
                           variant_table)

__all__ = ["write_report", "markdown_table"]


def markdown_table(rows: Sequence[dict]) -> str:
    """A GitHub Markdown table of dict rows (columns of the first row)."""
    if not rows:
        return "_none_\n"
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if v == v else "nan"
    return "" if v is None else str(v).replace("|", "\\|")


def _plots(directory: Path, records, front, budget_ms) -> tuple[list[str], str]:
    """Draw what there is data for; returns the Markdown image lines and a note."""
    from ._report_plots import draw_latency, draw_pareto, draw_steps

    jobs = [("pareto.png", "Pareto front and measured points",
             lambda p: draw_pareto(pareto_points(front, records), p, budget_ms)),
            ("latency.png", "Predicted against measured latency",
             lambda p: draw_latency(latency_points(records), p)),
            ("steps.png", "Through each compression step", lambda p: draw_steps(step_series(records), p))]
    lines = []
    try:
        for name, title, draw in jobs:
            draw(directory / name)
            lines.append(f"![{title}]({name})")
    except MissingDependencyError as exc:
        return lines, f"Plots skipped: {exc}"
    return lines, ""


def _verified_row(r: dict) -> dict:
    return {"arch": r["arch"], "budget_ms": r.get("budget_ms"), "predicted_ms": r.get("predicted_ms"),
            "verified_ms": r["verified_ms"], "int8_speedup": r.get("verified_int8_speedup"),
            "int8_speedup_tables": r.get("predicted_int8_speedup")}


def write_report(directory: str | os.PathLike, records: Sequence[dict], front: Sequence[dict] = (),
                 context: dict | None = None) -> Path:
    """Write ``report.md`` (and its PNGs) into ``directory``; returns its path.

    ``records`` are finalize records, ``front`` the search's Pareto front (``arch``,
    ``predicted_ms``, ``predicted_accuracy``), ``context`` what the run was: ``title``,
    ``dataset``, ``notes`` (lines), ``space``, ``target``, ``budget_ms``, ``stages`` (rows),
    ``verified`` (the candidates timed before training: ``arch``, ``budget_ms``, ``predicted_ms``,
    ``verified_ms``, maybe ``verified_int8_speedup``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ctx = dict(context or {})
    images, plot_note = _plots(directory, records, front, ctx.get("budget_ms"))
    md = [f"# {ctx.get('title', 'hwnas report')}", ""]
    facts = {k: ctx[k] for k in ("dataset", "space", "target", "budget_ms") if ctx.get(k) is not None}
    md += [f"- **{k}**: {v}" for k, v in facts.items()] + [f"- {n}" for n in ctx.get("notes", [])] + [""]
    if ctx.get("stages"):
        md += ["## Stages", "", markdown_table(ctx["stages"])]
    md += ["## Headline", "", markdown_table([{"figure": k, "value": v} for k, v in report_headline(records).items()]),
           f"Reference from the origin document (CIFAR-10, this machine): {ORIGIN_REFERENCE['test_accuracy']}% "
           f"at {ORIGIN_REFERENCE['median_ms']} ms.", ""]
    if front:
        shown = [front[i] for i in sorted({round(j * (len(front) - 1) / 24) for j in range(25)})]
        md += ["## Predicted Pareto front", "", f"{len(front)} architectures; {len(shown)} shown, evenly spaced.", "",
               markdown_table(shown), ""]
    verified = [_verified_row(r) for r in ctx.get("verified", []) if "verified_ms" in r]
    if verified:
        md += ["## Verified before training", "", "Each budget's pick timed on the device (random weights, in "
               "alternation with the baseline CNN, in the time frame of its first measurement) before "
               "training; `int8_speedup` is FP32 over static INT8 of the same graph, when asked for.", "",
               markdown_table(verified), ""]
    md += ["## Finalized models", "", "`surrogate_ms` is the latency surrogate's prediction from the profile; "
           "`predicted_ms` re-anchors it on one-gene neighbours of the model timed in alternation with it "
           "(their median measured/predicted ratio), so that it and `measured_ms` see the same machine "
           "state; the model's own measurement never enters its prediction. `vs_baseline` is the model's "
           "latency over the baseline CNN's, both timed in alternation.", "",
           markdown_table(candidate_table(records)), "",
           "## Every variant (FP32, INT8, pruned, pruned INT8)", "",
           "Accuracies are top-1 % on the test set; `agree_*` is the share of test images on which two "
           "runtimes pick the same class (torch FP32 against ONNX Runtime).", "",
           markdown_table(variant_table(records)), ""]
    md += ["## Figures", ""] + [line + "\n" for line in images] + ([plot_note, ""] if plot_note else [])
    path = directory / "report.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(md) + "\n")
    os.replace(tmp, path)
    return path
