"""Why a latency prediction differs from a measurement: the numbers behind it, side by side.

The question users of lookup-table predictors ask most is "why does the prediction not match my
measurement?". The usual causes are all visible in what a profile already holds, so
``explain_latency`` gathers them for one network instead of leaving the user to guess:

- the units the network runs as, with their table latency, spread and share of the sum (and the
  units the table lacks, which no sum can cover);
- how whole networks of this profile compare with their unit sums (fusions, overheads);
- the profile's own measurement of this network, when it took one;
- the predictor's error on the nearest measured networks (a local bias, or one odd network);
- the machine and runtime the profile was measured with, against this machine's.

The result is plain data (JSON-able); ``format_explanation`` draws it as text.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from hwnas import Architecture, ConfigError, DataError, Unit

from ._base import create_predictor, load_predictor
from ._lat_base import LatencyPredictor, as_profile

__all__ = ["explain_latency", "format_explanation"]

_NOISE_FLOOR = 0.05  # below this relative difference a measurement is not worth explaining: a network
                    # re-measured in a fresh session differs by a median 2-5% even on a quiet machine
                    # (benchmarks/results/latency_repeatability_device_check.md)


def explain_latency(profile: Any, arch: Architecture | str, measured_ms: float | None = None,
                    model: str | os.PathLike | LatencyPredictor | None = None, neighbours: int = 3,
                    remeasure: bool = False, seed: int = 0) -> dict:
    """Everything that bears on ``arch``'s predicted latency on ``profile`` (a directory or a
    ``Profile``), and, given ``measured_ms``, the likeliest reasons a measurement differs.
    ``model``: a fitted latency predictor (or its directory); default, the profile's LUT sum with
    the affine correction fitted on its whole networks. ``remeasure``: time the network here, now,
    on the profile's target with its protocol (the measurement, unless ``measured_ms`` is given)."""
    if measured_ms is not None and not measured_ms > 0:
        raise ConfigError(f"the measured latency must be a positive number of ms, got {measured_ms}")
    prof = as_profile(profile)
    arch = prof.space.as_arch(arch)
    units = _unit_rows(prof, prof.space.units(arch, prof.input_shape))
    predictor = _predictor(prof, model)
    again = _remeasure(prof, arch, seed) if remeasure else None
    if measured_ms is None and again is not None:
        measured_ms = again["median_ms"]
    out = {"arch": prof.space.format(arch), "space": prof.space.name, "profile": _profile_info(prof),
           "units": units, "missing_units": [u["unit"] for u in units if u["median_ms"] is None],
           "this_machine": _this_machine(), "measured_ms": measured_ms, "remeasured": again}
    if out["missing_units"]:
        out["diagnosis"] = [f"{len(out['missing_units'])} of the network's units are not in the lookup table "
                            f"(first: {out['missing_units'][0]}): profile this architecture "
                            "(hwnas profile --archs FILE) before predicting it"]
        return out
    out["lut_sum_ms"] = float(sum(u["total_ms"] for u in units))
    out["sum_gap"] = _sum_gap(prof)
    out["own_measurement"] = _own_measurement(prof, arch)
    out["prediction"] = _prediction(predictor, arch, out["lut_sum_ms"])
    out["neighbours"] = _neighbours(prof, arch, predictor, neighbours)
    out["diagnosis"] = _diagnose(out)
    return out


def _unit_rows(prof, units: list[Unit]) -> list[dict]:
    """The distinct units in first-use order, with count, table latency, spread and share."""
    counts: dict[Unit, int] = {}
    for u in units:
        counts[u] = counts.get(u, 0) + 1
    median, iqr = prof.table("median_ms"), prof.table("rel_iqr")
    rows = []
    for u, n in counts.items():
        ms = median.get(u)
        rows.append({"unit": _label(u), "count": n, "median_ms": ms, "rel_iqr": iqr.get(u),
                     "total_ms": None if ms is None else n * ms})
    total = sum(r["total_ms"] or 0.0 for r in rows)
    for r in rows:
        r["share"] = None if r["total_ms"] is None or total <= 0 else r["total_ms"] / total
    return rows


def _label(u: Unit) -> str:
    text = f"{u.op} {u.in_channels}->{u.out_channels} @{u.resolution} k{u.kernel} s{u.stride}"
    extras = [f"g{u.groups}" if u.groups != 1 else "", f"e{u.expansion:g}" if u.expansion != 1 else "",
              "res" if u.residual else "", u.extra]
    return " ".join([text] + [e for e in extras if e])


def _predictor(prof, model) -> LatencyPredictor | None:
    """The given predictor, or the LUT sum scaled on the profile's networks (``None``: it has none)."""
    if model is None:
        archs, ms = prof.network_latencies()
        if not archs:
            return None
        return create_predictor("latency", "lut", prof.space, profile=prof, correction="affine").fit(archs, ms)
    fitted = model if isinstance(model, LatencyPredictor) else load_predictor(model, space=prof.space.name)
    if fitted.kind != "latency":
        raise DataError(f"{model}: holds a {fitted.kind} predictor, not a latency one")
    fitted.check_profile(prof)
    return fitted


def _prediction(predictor: LatencyPredictor | None, arch: Architecture, lut_sum: float) -> dict:
    if predictor is None:
        return {"predictor": "lut sum (the profile has no whole networks to correct it)", "ms": lut_sum,
                "std_ms": 0.0, "n_train": 0}
    mean, std = predictor.predict_with_std([arch])
    name = f"latency/{predictor.name}"
    if predictor.params.get("correction"):
        name += f" ({predictor.params['correction']} correction)"
    return {"predictor": name, "ms": float(mean[0]), "std_ms": float(std[0]),
            "n_train": int(getattr(predictor, "n_train_", 0))}


def _profile_info(prof) -> dict:
    m = prof.manifest
    return {"path": None if prof.path is None else str(prof.path), "target": prof.target.label,
            "device": m.get("device", {}), "runtime": m.get("runtime", {}), "hash": prof.hash,
            "networks": len(prof.networks), "network_rel_iqr_p50": _median(prof.networks["rel_iqr"])}


def _median(values) -> float | None:
    arr = np.asarray(values, dtype=float)
    return float(np.median(arr)) if arr.size else None


def _this_machine() -> dict:
    from hwnas.profiler import device_fingerprint, runtime_versions

    return {"device": device_fingerprint(), "runtime": runtime_versions()}


def _sum_gap(prof) -> dict | None:
    """Whole network over its unit sum, across the profile's measured networks."""
    archs, ms = prof.network_latencies()
    if not archs:
        return None
    ratio = ms / prof.lut_sums(archs)
    p10, p50, p90 = np.percentile(ratio, [10, 50, 90])
    return {"networks": len(archs), "ratio_p10": float(p10), "ratio_median": float(p50), "ratio_p90": float(p90)}


def _remeasure(prof, arch: Architecture, seed: int) -> dict:
    """The network timed on this machine, as the profile timed its networks."""
    from hwnas.profiler import create_target, measure_architecture

    t = prof.target
    runner = create_target(t.name, threads=t.threads, batch_size=t.batch_size)
    m = measure_architecture(prof.space, arch, runner, prof.protocol, prof.input_shape, seed)
    return {"median_ms": m.median_ms, "rel_iqr": m.relative_iqr, "runs": m.runs}


def _own_measurement(prof, arch: Architecture) -> dict | None:
    rows = prof.networks[prof.networks["arch"] == prof.space.format(arch)]
    if rows.empty:
        return None
    r = rows.iloc[0]
    return {"median_ms": float(r["median_ms"]), "rel_iqr": float(r["rel_iqr"]), "runs": int(r["runs"])}


def _neighbours(prof, arch: Architecture, predictor: LatencyPredictor | None, k: int) -> list[dict]:
    """The ``k`` measured networks nearest to ``arch`` (fewest differing choices), other than
    itself, with the predictor's error on each: a shared bias, or one odd network. A predictor
    fitted on the profile's networks has seen them: the default (two parameters) errs on them as on
    others, a flexible one (xgb, gnn) less, which makes a network look odder than it is."""
    archs, ms = prof.network_latencies()
    keep = [i for i, a in enumerate(archs) if a != arch]
    if predictor is None or not keep or k <= 0:
        return []
    genes = prof.space.genes_array([archs[i] for i in keep])
    distance = (genes != np.asarray(arch.genes)).sum(axis=1)
    nearest = [keep[j] for j in np.argsort(distance, kind="stable")[:k]]
    pred = predictor.predict([archs[i] for i in nearest])
    return [{"arch": prof.space.format(archs[i]), "differs_in": int(distance[keep.index(i)]),
             "measured_ms": float(ms[i]), "predicted_ms": float(p), "error": float(p / ms[i] - 1)}
            for i, p in zip(nearest, pred)]


def _diagnose(e: dict) -> list[str]:
    """The likeliest reasons, most telling first (plain sentences for the report)."""
    notes = _machine_notes(e)
    pred, measured, own = e["prediction"], e["measured_ms"], e["own_measurement"]
    if measured is None and own is None:
        return notes + [_summary_note(e)]
    if measured is None:  # the profile's own measurement is the one to explain
        notes += [_summary_note(e), f"Explaining the profile's own measurement of this network "
                                    f"({own['median_ms']:.4g} ms)."]
        measured = own["median_ms"]
    noise = max(_NOISE_FLOOR, 2 * (e["profile"]["network_rel_iqr_p50"] or 0.0))
    miss = pred["ms"] / measured - 1  # the prediction's error, as the neighbours' are given
    if own is not None and e["measured_ms"] is not None:
        apart = measured / own["median_ms"] - 1
        if abs(apart) > noise:
            notes.append(f"The profile measured this very network at {own['median_ms']:.4g} ms; yours is "
                         f"{apart:+.0%} from that: the two measurements disagree, whatever the predictor "
                         f"says. Same target ({e['profile']['target']}: runtime, threads, batch size) and a "
                         "quiet machine?")
        else:
            notes.append(f"The profile measured this network at {own['median_ms']:.4g} ms, {apart:+.0%} from "
                         "yours: your measurement agrees with the profile's.")
    if abs(miss) <= noise:
        notes.append(f"The prediction is {miss:+.1%} off the measurement: within this profile's measurement "
                     f"spread of +-{noise:.0%} (twice its networks' median relative IQR, at least 5%); a "
                     "fresh session can add more (benchmarks/latency_repeatability.py measures how much).")
        return notes
    notes += _neighbour_notes(e["neighbours"], miss, noise)
    notes += _gap_notes(e, measured)
    return notes


def _machine_notes(e: dict) -> list[str]:
    there, here = e["profile"]["device"], e["this_machine"]["device"]
    notes = []
    if there.get("id") and there.get("id") != here.get("id"):
        notes.append(f"The profile was measured on {_machine(there)}; this machine is {_machine(here)}. A "
                     "measurement taken here is of another device: profile this machine (hwnas profile) "
                     "to predict it.")
    runtime_there, runtime_here = e["profile"]["runtime"], e["this_machine"]["runtime"]
    changed = [f"{k} {runtime_there[k]} there, {runtime_here.get(k)} here" for k in ("onnxruntime", "torch")
               if runtime_there.get(k) and runtime_there.get(k) != runtime_here.get(k)]
    if changed:
        notes.append("Runtime versions differ (" + "; ".join(changed) + "): kernels and fusions change "
                     "between versions.")
    return notes


def _machine(device: dict) -> str:
    parts = [str(device.get("cpu", "?")), f"{device.get('logical_cores', '?')} cores"]
    return ", ".join(parts + ([str(device["gpu"])] if device.get("gpu") else []))


def _neighbour_notes(neighbours: list[dict], miss: float, noise: float) -> list[str]:
    if not neighbours:
        return []
    errors = np.array([n["error"] for n in neighbours])
    typical = float(np.median(np.abs(errors)))
    where = f"the {len(neighbours)} nearest measured networks (differing in {neighbours[0]['differs_in']}+ choices)"
    if typical <= noise or abs(miss) > 3 * typical:
        return [f"The prediction is {miss:+.0%} off the measurement, but within {typical:.0%} on {where}: "
                "one odd network or one odd measurement. Re-measure it; if it holds, add it to the "
                "profile's networks (hwnas profile --archs FILE --networks 1 --out PROFILE) and refit."]
    if np.all(np.sign(errors) == np.sign(miss)):
        return [f"The predictor misses {where} the same way (median {np.median(errors):+.0%}; this one "
                f"{miss:+.0%}): a bias in this part of the space. Whole-network measurements near it and a "
                "refit correct that."]
    return [f"The predictor's errors on {where} scatter (median size {typical:.0%}; this one "
            f"{miss:+.0%}): this profile's networks are measured no steadier than that, or the predictor "
            "has too few of them to learn from."]


def _gap_notes(e: dict, measured: float) -> list[str]:
    gap = e["sum_gap"]
    ratio = measured / e["lut_sum_ms"]
    if gap is None or gap["ratio_p10"] <= ratio <= gap["ratio_p90"]:
        return []
    return [f"Measured over its unit sum: {ratio:.2f}, outside the {gap['ratio_p10']:.2f}-{gap['ratio_p90']:.2f} "
            f"(p10-p90) of this profile's {gap['networks']} networks: this network pays something its units "
            "measured alone do not, or saves something they pay (operator fusion, memory traffic, call overhead)."]


def _summary_note(e: dict) -> str:
    top = max(e["units"], key=lambda u: u["total_ms"])
    text = (f"Predicted {e['prediction']['ms']:.4g} ms by {e['prediction']['predictor']}; the units sum to "
            f"{e['lut_sum_ms']:.4g} ms, {top['share']:.0%} of it {top['count']} x {top['unit']}.")
    gap = e["sum_gap"]
    if gap is not None:
        text += (f" Whole networks of this profile measure {gap['ratio_p10']:.2f}-{gap['ratio_p90']:.2f} x "
                 "their unit sums (p10-p90).")
    return text


def format_explanation(e: dict, max_units: int = 12) -> str:
    """``explain_latency``'s result as a text report."""
    prof = e["profile"]
    lines = [f"{e['space']} network on {prof['target']} ({_machine(prof['device'])}; profile {prof['path']})",
             f"  {e['arch']}", ""]
    lines += _unit_lines(e["units"], max_units)
    if "prediction" in e:
        p = e["prediction"]
        spread = f" +- {p['std_ms']:.3g}" if p["std_ms"] > 0 else ""
        lines += ["", f"unit sum          {e['lut_sum_ms']:.4g} ms",
                  f"prediction        {p['ms']:.4g} ms{spread} ({p['predictor']}, {p['n_train']} networks)"]
        if e["own_measurement"]:
            own = e["own_measurement"]
            lines.append(f"profile measured  {own['median_ms']:.4g} ms (relative IQR {own['rel_iqr']:.1%}, "
                         f"{own['runs']} runs)")
        if e.get("remeasured"):
            r = e["remeasured"]
            lines.append(f"measured here now {r['median_ms']:.4g} ms (relative IQR {r['rel_iqr']:.1%}, "
                         f"{r['runs']} runs)")
        if e["measured_ms"] is not None:
            lines.append(f"the measurement   {e['measured_ms']:.4g} ms ({p['ms'] / e['measured_ms'] - 1:+.1%} "
                         "prediction error)")
        for n in e["neighbours"]:
            lines.append(f"  neighbour, {n['differs_in']} choices apart: measured {n['measured_ms']:.4g} ms, "
                         f"predicted {n['predicted_ms']:.4g} ({n['error']:+.1%})  {n['arch']}")
    lines += ["", "why:"] + [f"  - {d}" for d in e["diagnosis"]]
    return "\n".join(lines)


def _unit_lines(units: list[dict], max_units: int) -> list[str]:
    lines = [f"{'unit':<44} {'count':>5} {'ms each':>9} {'IQR':>6} {'share':>6}"]
    for u in sorted(units, key=lambda u: -(u["total_ms"] or np.inf))[:max_units]:
        if u["median_ms"] is None:
            lines.append(f"{u['unit']:<44} {u['count']:>5} {'missing':>9}")
            continue
        lines.append(f"{u['unit']:<44} {u['count']:>5} {u['median_ms']:>9.4f} {u['rel_iqr']:>6.1%} "
                     f"{u['share']:>6.1%}")
    if len(units) > max_units:
        lines.append(f"... {len(units) - max_units} more distinct units")
    return lines
