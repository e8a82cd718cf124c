"""The figures of a report, computed from finalize records (drawing is `_report_plots`)."""

from __future__ import annotations

import math
from typing import Sequence

__all__ = ["candidate_table", "variant_table", "latency_points", "step_series", "pareto_points",
           "report_headline"]


def _variant(record: dict, name: str) -> dict:
    for row in record.get("variants", []):
        if row.get("variant") == name:
            return row
    return {}


def _ok(row: dict) -> bool:
    return bool(row) and not row.get("error") and _finite(row.get("median_ms"))


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def candidate_table(records: Sequence[dict]) -> list[dict]:
    """One row per candidate: what was predicted against what the FP32 model measured."""
    rows = []
    for r in records:
        fp32 = _variant(r, "fp32")
        pred, meas = r.get("predicted_ms"), fp32.get("median_ms")
        err = 100.0 * (meas - pred) / pred if _finite(pred) and _finite(meas) and pred > 0 else None
        rows.append({"candidate": r["name"], "arch": r.get("arch", ""), "params": r.get("params"),
                     "mflops": r["flops"] / 1e6 if _finite(r.get("flops")) else None,
                     "surrogate_ms": r.get("predicted_ms_surrogate"), "predicted_ms": pred,
                     "measured_ms": meas, "latency_error_%": err, "vs_baseline": r.get("baseline_ratio"),
                     "predicted_acc": r.get("predicted_accuracy"),
                     "test_acc": fp32.get("torch_accuracy"),
                     "s_per_epoch": r.get("train", {}).get("seconds_per_epoch"),
                     "error": r.get("error") or fp32.get("error", "")})
    return rows


def variant_table(records: Sequence[dict]) -> list[dict]:
    """Every variant of every candidate: latency, accuracy, size and runtime agreement."""
    rows = []
    for r in records:
        for v in r.get("variants", []):
            rows.append({"candidate": r["name"], "variant": v.get("variant"), "median_ms": v.get("median_ms"),
                         "torch_acc": v.get("torch_accuracy"),
                         "ort_acc": v.get("ort_accuracy"), "size_kb": v.get("size_kb"),
                         "params": v.get("params"), "speedup_vs_fp32": v.get("speedup"),
                         "agree_torch_%": v.get("agreement_torch_ort"),
                         "agree_fp32_int8_%": v.get("agreement_fp32_int8"),
                         "quantization": v.get("quantization_recipe") or v.get("quantization", ""),
                         "error": v.get("error", "")})
    return rows


def latency_points(records: Sequence[dict]) -> list[dict]:
    """(predicted, measured) FP32 latency of candidates that have both."""
    out = []
    for r in records:
        fp32 = _variant(r, "fp32")
        if _finite(r.get("predicted_ms")) and _ok(fp32):
            out.append({"name": r["name"], "predicted_ms": r["predicted_ms"], "measured_ms": fp32["median_ms"]})
    return out


def step_series(records: Sequence[dict]) -> list[dict]:
    """Per candidate, its (variant, parent, latency, accuracy) through the compression steps."""
    out = []
    for r in records:
        steps = [{"variant": v["variant"], "parent": v.get("parent", ""), "median_ms": v["median_ms"],
                  "accuracy": v.get("ort_accuracy")} for v in r.get("variants", []) if _ok(v)]
        if steps:
            out.append({"name": r["name"], "steps": steps})
    return out


def pareto_points(front: Sequence[dict], records: Sequence[dict]) -> dict:
    """The predicted front and the finalized models' measured (latency, accuracy) points."""
    measured = []
    for r in records:
        for name in ("fp32", "int8", "pruned", "pruned-int8"):
            v = _variant(r, name)
            if _ok(v) and _finite(v.get("ort_accuracy")):
                measured.append({"name": r["name"], "variant": name, "median_ms": v["median_ms"],
                                 "accuracy": v["ort_accuracy"]})
    predicted = [{"arch": p.get("arch"), "predicted_ms": p.get("predicted_ms"),
                  "predicted_accuracy": p.get("predicted_accuracy")} for p in front]
    return {"predicted": predicted, "measured": measured}


def report_headline(records: Sequence[dict], baseline: str = "origin-cnn", under_ms: float = 1.0) -> dict:
    """The best finalized model against the baseline, and the best accuracy under ``under_ms``."""
    # The FP32 rows, with the record's latency ratio to the baseline (timed in alternation), if any.
    fp32 = [(r["name"], dict(_variant(r, "fp32"), **{k: r[k] for k in ("baseline_ratio",) if k in r}))
            for r in records]
    fp32 = [(n, v) for n, v in fp32 if _ok(v) and _finite(v.get("ort_accuracy"))]
    base = next((v for n, v in fp32 if n == baseline), None)
    others = [(n, v) for n, v in fp32 if n != baseline]
    out: dict = {"baseline_acc": base["ort_accuracy"] if base else None,
                 "baseline_ms": base["median_ms"] if base else None}
    if base is not None:
        # Latency against the baseline's: the ratio timed in alternation when there is one.
        dominating = [(n, v) for n, v in others if v["ort_accuracy"] > base["ort_accuracy"]
                      and v.get("baseline_ratio", v["median_ms"] / base["median_ms"]) <= 1.0]
        best = max(dominating, key=lambda nv: nv[1]["ort_accuracy"], default=None)
        out["dominating"] = best[0] if best else None
        out["dominating_acc"] = best[1]["ort_accuracy"] if best else None
        out["dominating_ms"] = best[1]["median_ms"] if best else None
        out["dominating_latency_ratio"] = best[1].get("baseline_ratio") if best else None
    under = [(n, v) for n, v in others if v["median_ms"] < under_ms]
    best_under = max(under, key=lambda nv: nv[1]["ort_accuracy"], default=None)
    out[f"best_under_{under_ms:g}ms"] = best_under[0] if best_under else None
    out[f"best_under_{under_ms:g}ms_acc"] = best_under[1]["ort_accuracy"] if best_under else None
    return out
