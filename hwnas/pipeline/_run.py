"""`run_pipeline`: the main job behind ``hwnas run``, from an unprofiled machine to a report."""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._anchors import neighbour_anchors
from ._candidate import candidate_from_arch, origin_baseline
from ._finalize import finalize
from ._io import write_json_atomic
from ._report import write_report
from ._run_config import RunConfig
from ._verify import baseline_frame_timer, int8_speedup_timer, verified_picks
from ._run_stages import (
    accuracy_stage,
    baseline_latency,
    beyond_budget_records,
    calibrate_stage,
    feasible_records,
    front_records,
    int8_latency_stage,
    latency_stage,
    make_space,
    pick_candidates,
    profile_stage,
    proxy_architectures,
    search_stage,
    with_int8_speedup,
)

__all__ = ["run_pipeline"]

log = logging.getLogger("hwnas.run")


class _Stages:
    """Wall-clock seconds of each stage, saved in ``run.json`` as the run goes: ``seconds`` of
    this invocation and ``seconds_all_runs`` summed over the invocations of a resumed run (a
    resumed stage takes seconds; its first, interrupted pass is what it really cost)."""

    def __init__(self, out: Path, state: dict) -> None:
        self.out, self.state = out, state
        state.setdefault("stages", [])
        self.earlier: dict[str, float] = {}
        try:
            for row in json.loads((out / "run.json").read_text()).get("stages", []):
                self.earlier[row["stage"]] = row.get("seconds_all_runs", row["seconds"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.earlier = {}  # no (readable) earlier invocation

    @contextmanager
    def stage(self, name: str, note: str = ""):
        log.info("stage %s", name)
        t0 = time.perf_counter()
        yield
        seconds = round(time.perf_counter() - t0, 1)
        total = round(seconds + self.earlier.get(name, 0.0), 1)
        self.state["stages"].append({"stage": name, "seconds": seconds, "seconds_all_runs": total, "note": note})
        write_json_atomic(self.out / "run.json", self.state)


def run_pipeline(out_dir: str | os.PathLike = "hwnas-run", config: RunConfig | None = None,
                 progress: bool = True) -> Path:
    """Profile this machine, fit the surrogates, search under the latency budget, finalize the
    best candidates (and the baseline) and write ``out_dir/report.md``; returns its path.

    Every stage keeps its results in ``out_dir`` (profile, proxy trainings, search history,
    checkpoints): rerunning the same command after an interruption continues where it stopped.
    """
    from hwnas.datasets import load_dataset

    cfg = config or RunConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state: dict = {"config": cfg.to_dict(), "notes": []}
    stages = _Stages(out, state)
    with stages.stage("data"):
        dataset = load_dataset(cfg.data, cfg.data_dir)
        shape = tuple(dataset.input_shape)
        state["dataset"] = dataset.describe()
        if dataset.name != "cifar10":
            why = "CIFAR-10 was not found" if cfg.data == "auto" else f"--data {cfg.data}"
            state["notes"].append(f"{why}: this run used the embedded {dataset.name} data set, not CIFAR-10.")
    space = make_space(cfg, shape)
    with stages.stage("baseline latency"):
        baseline_ms = baseline_latency(shape, dataset.num_classes, cfg, out)
        budget = cfg.budget_ms or cfg.budget_fraction * baseline_ms
        budgets = [budget, *cfg.extra_budgets_ms]
        state.update(baseline_ms=baseline_ms, budget_ms=budget, budgets_ms=budgets)
    with stages.stage("profile", "reused" if cfg.profile_dir else "measured"):
        prof = profile_stage(space, shape, cfg, out, progress)
    with stages.stage("latency surrogate", cfg.latency_predictor):
        lat = latency_stage(space, prof, cfg, out)
    if cfg.calibration_networks > 0:
        with stages.stage("calibrate", f"{cfg.calibration_networks} networks near the budget"):
            lat, state["calibration"] = calibrate_stage(space, prof, lat, budgets, cfg, out, progress)
            state["notes"].append(_calibration_note(state["calibration"]))
    if cfg.int8_speedup > 0:
        with stages.stage("int8 latency surrogate", "reused" if cfg.int8_profile_dir else "measured"):
            lat_int8 = int8_latency_stage(space, shape, cfg, out, progress)
    else:
        lat_int8 = None
    with stages.stage("accuracy surrogate", f"{cfg.proxy_archs} proxy trainings"):
        archs = proxy_architectures(space, lat, max(budgets), cfg.proxy_archs, cfg.seed)
        acc, proxies = accuracy_stage(space, archs, dataset, cfg, out, progress)
        state["proxy_trainings"] = proxies.to_dict("records")
    with stages.stage("search", f"{cfg.strategy}, {cfg.search_evals} evaluations"):
        result = search_stage(space, lat, acc, max(budgets), cfg, out, progress)
        front = front_records(result)
        state["front"] = front
        if not front:
            state["notes"].append(f"No architecture is predicted within {max(budgets):.4g} ms: the fastest "
                                  "ones found were finalized instead.")
    int8_note = f", INT8 >= {cfg.int8_speedup:g}x" if cfg.int8_speedup > 0 else ""
    with stages.stage("verify", f"up to {cfg.verify_tries} timings per budget{int8_note}"):
        int8_surrogates = (lat, lat_int8) if lat_int8 is not None else None
        chosen = _choose(space, front, result, budgets, baseline_ms, dataset, cfg, out, state, int8_surrogates,
                         _wider_search(space, lat, acc, cfg, out))
        state["candidates"] = chosen
    with stages.stage("finalize", f"{cfg.candidates} candidates" + (" + baseline" if cfg.baseline else "")):
        cands = [candidate_from_arch(space, r["arch"], predicted_ms=r["predicted_ms"],
                                     predicted_accuracy=r["predicted_accuracy"],
                                     latency_anchors=anchors_for(space, lat, r, cfg.latency_anchors, cfg.seed))
                 for r in chosen]
        if cfg.baseline:
            cands.insert(0, origin_baseline())
        records = finalize(cands, dataset, cfg.finalize, out, progress=progress)
    return write_report(out, records, front, _context(cfg, state, space.name))


def _wider_search(space, latency_pred, accuracy_pred, cfg: RunConfig, out: Path):
    """``rows(ms)``: the most accurate architectures of the same search under a predicted budget of
    ``ms`` (its own resumable run directory), for the verify stage when the timings show the
    latency surrogate pessimistic at the budget."""

    def rows(budget_ms: float) -> list[dict]:
        result = search_stage(space, latency_pred, accuracy_pred, budget_ms, cfg, out, progress=False,
                              run_dir=out / f"search-under-{budget_ms:.4g}ms")
        return feasible_records(result, 4 * cfg.verify_tries)

    return rows


def _choose(space, front, result, budgets, baseline_ms, dataset, cfg: RunConfig, out: Path,
            state: dict, int8_surrogates: tuple | None = None, wider=None) -> list[dict]:
    """The candidates: per budget the most accurate one whose timing fits it (``verify_tries > 0``;
    with ``int8_surrogates``, FP32 and INT8 latency, among every feasible architecture the search
    evaluated, ranked for INT8 speed-up), then the usual spread along the front; saved, so that a
    resumed run trains the same ones."""
    saved = out / "candidates.json"
    if saved.is_file():
        doc = json.loads(saved.read_text())
        state["notes"].extend(doc.get("notes", []))
        return doc["candidates"]
    first_notes = len(state["notes"])
    feasible = feasible_records(result)  # most accurate first
    fallback = feasible[:max(4 * cfg.candidates, cfg.verify_tries * len(budgets))]
    verified: list[dict] = []
    if cfg.verify_tries > 0:
        fin, shape = cfg.finalize, tuple(dataset.input_shape)
        timer = baseline_frame_timer(space, out / "baseline_latency.onnx", baseline_ms, shape,
                                     dataset.num_classes, fin.target, fin.latency_threads, seed=cfg.seed)
        int8 = (int8_speedup_timer(space, shape, dataset.num_classes, fin.target, fin.latency_threads,
                                   seed=cfg.seed) if cfg.int8_speedup > 0 else None)
        beyond = beyond_budget_records(result, max(budgets), 4 * cfg.verify_tries)
        rows = [*front, *fallback, *beyond]
        if int8_surrogates is not None:
            rows = with_int8_speedup([*front, *feasible, *beyond], space, *int8_surrogates)
        verified, notes = verified_picks(rows, budgets, timer, cfg.verify_tries, int8, cfg.int8_speedup,
                                         wider=wider)
        state["notes"].extend(notes)
    chosen = list(verified)
    for row in pick_candidates(front, cfg.candidates, budgets, fallback):
        if len(chosen) >= max(cfg.candidates, len(verified)):
            break
        if row["arch"] not in {c["arch"] for c in chosen}:
            chosen.append(row)
    write_json_atomic(saved, {"candidates": chosen, "notes": state["notes"][first_notes:]})
    return chosen


def anchors_for(space, latency_pred, row: dict, k: int, seed: int) -> tuple:
    """One-gene neighbours of a candidate, to re-anchor its prediction when it is measured
    (``k=0``: none, the surrogate's prediction is reported as is)."""
    return tuple(neighbour_anchors(space, row["arch"], latency_pred, k, seed)) if k > 0 else ()


def _calibration_note(c: dict) -> str:
    ratio = float(np.exp(-c["median_log_error_before"]))
    return (f"Calibration: {c['networks']} networks timed around the budget ({c['min_ms']:.4g}-{c['max_ms']:.4g} ms) "
            f"measured a median {ratio:.3g}x what the surrogate fitted on the profile's networks predicted "
            f"({100 * c['within_10pct_before']:.0f}% within +-10%); the surrogate was refitted with them.")


def _context(cfg: RunConfig, state: dict, space: str) -> dict:
    """What the report says about the run itself."""
    budgets = ", ".join(f"{b:.4g}" for b in state["budgets_ms"])
    return {"title": "hwnas run", "dataset": state["dataset"], "space": space,
            "target": f"{cfg.finalize.target}, {cfg.finalize.latency_threads} thread(s)",
            "budget_ms": max(state["budgets_ms"]), "stages": state["stages"],
            "verified": state.get("candidates", []),
            "notes": state["notes"] + [f"Latency budgets: {budgets} ms (the origin CNN measures "
                                       f"{state['baseline_ms']:.4g} ms here)."]}
