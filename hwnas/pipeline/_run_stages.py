"""The stages of ``hwnas run``, each a short function over the public APIs of the other parts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from hwnas import Architecture, ConfigError, DataError, SearchSpace, create_space, export_onnx, get_space

from ._baseline import build_origin_cnn
from ._calibrate import calibration_networks
from ._io import write_json_atomic
from ._latency import measure_onnx_latency
from ._run_config import RunConfig
from ._sampling import architectures_in_band

__all__ = ["make_space", "baseline_latency", "profile_stage", "int8_latency_stage", "latency_stage",
           "calibrate_stage", "proxy_architectures", "accuracy_stage", "search_stage", "front_records",
           "with_int8_speedup", "feasible_records", "beyond_budget_records", "pick_candidates"]


def make_space(cfg: RunConfig, input_shape: tuple[int, int, int]) -> SearchSpace:
    """The space to search; a configured one runs at the data's resolution unless told otherwise."""
    if cfg.space_config is None:
        return get_space(cfg.space)
    config = dict(cfg.space_config)
    if cfg.space == "mbconv":
        config.setdefault("resolutions", [int(input_shape[1])])
    return create_space(cfg.space, **config)


def baseline_latency(input_shape, num_classes: int, cfg: RunConfig, out: Path) -> float:
    """Measured median latency (ms) of the origin document's CNN on the run's target; measured
    once per run directory, so that a resumed run keeps the same budget (and search)."""
    import torch

    saved = out / "baseline_latency.json"
    if saved.is_file():
        return float(json.loads(saved.read_text())["median_ms"])
    torch.manual_seed(cfg.seed)
    path = export_onnx(build_origin_cnn(num_classes, input_shape).eval(), input_shape, out / "baseline_latency.onnx")
    fin = cfg.finalize
    m = measure_onnx_latency(path, input_shape, fin.target, fin.latency_threads)
    write_json_atomic(saved, m.to_dict())
    return m.median_ms


def _reuse_or_profile(space: SearchSpace, input_shape, cfg: RunConfig, directory: str | None, target: str,
                      out_dir: Path, progress: bool, check_target: bool):
    """Load the profile in ``directory`` (it must be this space at this input, and on ``target``
    when ``check_target``), or profile this machine on ``target`` into ``out_dir``."""
    from hwnas.profiler import load_profile, profile

    shape = tuple(input_shape)
    if not directory:
        return profile(space, target, out_dir, networks=cfg.profile_networks, seed=cfg.seed, progress=progress,
                       threads=cfg.finalize.latency_threads, input_shape=shape)
    prof = load_profile(directory)
    wrong_target = check_target and prof.target.name != target
    if prof.space.name != space.name or tuple(prof.input_shape) != shape or wrong_target:
        on, needs = (f" on {prof.target.name}", f" on {target}") if check_target else ("", "")
        raise DataError(f"{directory}: profiled {prof.space.name}{on} at input {tuple(prof.input_shape)}, "
                        f"this run needs {space.name}{needs} at {shape}")
    return prof


def profile_stage(space: SearchSpace, input_shape, cfg: RunConfig, out: Path, progress: bool):
    """Reuse ``cfg.profile_dir`` (it must be this space at this input), or profile this machine."""
    return _reuse_or_profile(space, input_shape, cfg, cfg.profile_dir, cfg.finalize.target, out / "profile",
                             progress, check_target=False)


def int8_latency_stage(space: SearchSpace, input_shape, cfg: RunConfig, out: Path, progress: bool):
    """The INT8 latency surrogate (for ``cfg.int8_speedup``), from ``cfg.int8_profile_dir`` or a
    profile of this machine on ``ort-cpu-int8`` (2-3x an FP32 profile's time)."""
    from hwnas.predictors import create_predictor

    prof = _reuse_or_profile(space, input_shape, cfg, cfg.int8_profile_dir, "ort-cpu-int8", out / "profile-int8",
                             progress, check_target=True)
    pred = create_predictor("latency", cfg.latency_predictor, space, profile=prof).fit_profile()
    pred.save(out / "latency_predictor_int8")
    return pred


def latency_stage(space: SearchSpace, prof, cfg: RunConfig, out: Path):
    """The latency surrogate, fitted on the profile's whole-network measurements."""
    from hwnas.predictors import create_predictor

    pred = create_predictor("latency", cfg.latency_predictor, space, profile=prof).fit_profile()
    pred.save(out / "latency_predictor")
    return pred


def proxy_architectures(space: SearchSpace, latency_pred, budget_ms: float, n: int, seed: int) -> list[Architecture]:
    """``n`` architectures to train for real, spread over predicted latency from a quarter of the
    budget to 1.5x it (where the search will look), seeded. Random sampling alone rarely reaches a
    small budget (``architectures_in_band``): a default run here trained its 24 proxies at 2-5x the
    budget, so the accuracy surrogate ranked the search's region by extrapolation."""
    return architectures_in_band(space, latency_pred, 0.25 * budget_ms, 1.5 * budget_ms, n, seed)


def calibrate_stage(space: SearchSpace, prof, latency_pred, budgets_ms, cfg: RunConfig, out: Path,
                    progress: bool) -> tuple[object, dict]:
    """The latency surrogate refitted on the profile's networks and ``cfg.calibration_networks``
    more timed around the budgets (``calibration_networks``), saved over the first fit; and what
    the first fit had predicted for them (out of sample: it never saw them)."""
    from hwnas.predictors import create_predictor

    archs, ms = calibration_networks(space, prof, latency_pred, budgets_ms, cfg.calibration_networks, cfg.seed,
                                     out, progress)
    before = np.log(latency_pred.predict(archs) / ms)
    prof_archs, prof_ms = prof.network_latencies()
    pred = create_predictor("latency", cfg.latency_predictor, space, profile=prof).fit(
        [*prof_archs, *archs], np.concatenate([prof_ms, ms]))
    pred.save(out / "latency_predictor")
    summary = {"networks": len(archs), "min_ms": float(ms.min()), "max_ms": float(ms.max()),
               "median_log_error_before": float(np.median(before)),
               "within_10pct_before": float(np.mean(np.abs(before) <= np.log(1.1)))}
    return pred, summary


def accuracy_stage(space: SearchSpace, archs, dataset, cfg: RunConfig, out: Path, progress: bool):
    """Short real trainings of ``archs`` (resumable), and the accuracy surrogate fitted on them."""
    from hwnas.datasets import ProxyBudget, build_accuracy_dataset
    from hwnas.predictors import create_predictor

    # A space whose networks resize their input to a searched resolution (mbconv) trains its proxies
    # on full-size images: on images pre-shrunk to 16 px every resolution would look alike to the
    # accuracy surrogate, which would then always prefer the cheapest, and the network's own resize
    # already shrinks the images of low-resolution networks at no extra cost.
    searched_resolution = any(c.name == "resolution" for c in space.choices)
    budget = ProxyBudget(epochs=cfg.proxy_epochs, subset=cfg.proxy_subset, batch_size=cfg.proxy_batch_size,
                         seed=cfg.seed, dataset=dataset.name, val_size=int(min(1000, len(dataset.y_train) // 4)),
                         resolution=None if searched_resolution else ProxyBudget.resolution)
    frame = build_accuracy_dataset(space, archs, budget, out / "accuracy_dataset", data_dir=cfg.data_dir,
                                   progress=progress)
    if len(frame) < 2:
        raise DataError(f"{out / 'accuracy_dataset'}: fewer than 2 trained architectures")
    pred = create_predictor("accuracy", cfg.accuracy_predictor, space).fit(
        frame["arch"].tolist(), frame["accuracy"].to_numpy(np.float64))
    pred.save(out / "accuracy_predictor")
    return pred, frame


def search_stage(space: SearchSpace, latency_pred, accuracy_pred, budget_ms: float, cfg: RunConfig,
                 out: Path, progress: bool, run_dir: Path | None = None):
    """Maximise predicted accuracy, minimise predicted latency, latency <= budget (resumable, in
    ``run_dir``, default ``out/search``)."""
    from hwnas.search import Constraint, Objective, PredictorMetric, Problem, create_strategy, run_search

    latency = PredictorMetric("latency_ms", latency_pred)
    problem = Problem(space, [Objective(PredictorMetric("accuracy", accuracy_pred), maximize=True),
                              Objective(latency)], [Constraint(latency, budget_ms)])
    strategy = create_strategy(cfg.strategy, space, seed=cfg.seed)
    return run_search(problem, strategy, cfg.search_evals, run_dir=run_dir or out / "search",
                      budgets={"latency_ms": [budget_ms]}, progress=progress)


def front_records(result) -> list[dict]:
    """The feasible Pareto front as ``arch``, ``predicted_accuracy``, ``predicted_ms`` rows."""
    rows = []
    for r in result.pareto():
        values: dict[str, Any] = r["values"]
        rows.append({"arch": r["arch"], "predicted_accuracy": values["accuracy"]["value"],
                     "predicted_ms": values["latency_ms"]["value"]})
    return rows


def with_int8_speedup(rows: list[dict], space: SearchSpace, latency_pred, int8_pred) -> list[dict]:
    """``rows`` with ``predicted_int8_speedup``: FP32 over INT8 surrogate latency. The INT8 table
    times each unit with a quantize and dequantize at its borders, so the figure is low (1.16 for
    networks measured at 1.6x here) but it ranks the real speed-up (Spearman 0.56-0.71)."""
    if not rows:
        return rows
    archs = [space.parse(r["arch"]) for r in rows]
    ratio = np.asarray(latency_pred.predict(archs), float) / np.asarray(int8_pred.predict(archs), float)
    return [dict(r, predicted_int8_speedup=float(x)) for r, x in zip(rows, ratio)]


def feasible_records(result, n: int | None = None) -> list[dict]:
    """The ``n`` (None: all) feasible architectures of a search with the highest predicted
    accuracy; when none is feasible, the ``n`` fastest (a budget below everything the space can do)."""
    frame = result.frame()
    if frame["feasible"].any():
        frame = frame[frame["feasible"]].sort_values("accuracy", ascending=False, kind="stable").head(n)
    else:
        frame = frame.sort_values("latency_ms", kind="stable").head(n)
    return _records(frame)


def beyond_budget_records(result, budget_ms: float, n: int) -> list[dict]:
    """The ``n`` most accurate architectures of a search predicted over ``budget_ms`` but within
    twice it: what the verify stage may try when the timings show the surrogate pessimistic."""
    frame = result.frame()
    frame = frame[(frame["latency_ms"] > budget_ms) & (frame["latency_ms"] <= 2 * budget_ms)]
    return _records(frame.sort_values("accuracy", ascending=False, kind="stable").head(n))


def _records(frame) -> list[dict]:
    """A search history's rows as ``arch``, ``predicted_accuracy``, ``predicted_ms`` records."""
    return [{"arch": a, "predicted_accuracy": float(acc), "predicted_ms": float(ms)}
            for a, acc, ms in zip(frame["arch"], frame["accuracy"], frame["latency_ms"])]


def pick_candidates(front: list[dict], k: int, budgets_ms: Sequence[float] = (),
                    fallback: Sequence[dict] = ()) -> list[dict]:
    """The most accurate point of the front under each budget, then more spread along the front
    until there are ``k``; a front shorter than that (a flat accuracy surrogate collapses it to
    the fastest network) is completed from ``fallback`` (e.g. ``feasible_records``)."""
    if not front and not fallback:
        raise ConfigError("the search found no architecture within the latency budget; raise --budget-ms")
    ranked = sorted(front, key=lambda r: -r["predicted_accuracy"])
    chosen: list[dict] = []
    for b in sorted(budgets_ms):
        best = next((r for r in ranked if r["predicted_ms"] <= b), None)
        if best is not None and best not in chosen:
            chosen.append(best)
    for row in [*ranked[::max(1, len(ranked) // k)], *fallback]:
        if len(chosen) >= k:
            break
        if row["arch"] not in {c["arch"] for c in chosen}:
            chosen.append(row)
    return chosen[:max(k, len(budgets_ms))]
