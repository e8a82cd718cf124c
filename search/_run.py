"""`run_search`: drive a strategy on a problem, with a resumable run directory."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from hwnas import ConfigError, DataError, exact_floats

from ._genes import Universe
from ._history import History
from ._metrics import MetricValues
from ._problem import Evaluation, Problem
from ._result import SearchResult
from ._strategy import Strategy

__all__ = ["run_search", "load_history"]


def _screen(problem: Problem, cache: History):
    """Constraint violation, for strategies to skip known-infeasible proposals; only when every
    constrained metric is cheap (not a real measurement). It evaluates through the run's cache,
    so an architecture screened now costs nothing when it is told later."""
    metrics = [c.metric for c in problem.constraints]
    if not metrics or not all(getattr(m, "cheap", True) for m in metrics):
        return None

    def violation(genes: np.ndarray) -> np.ndarray:
        rows, _ = cache.lookup(genes, -1)
        return cache.violation[rows]

    return violation


def run_search(problem: Problem, strategy: Strategy, n_evals: int, batch_size: int | None = None,
               run_dir: str | os.PathLike | None = None, budgets: dict[str, list[float]] | None = None,
               progress: bool = False, checkpoint_s: float = 30.0, config: dict | None = None) -> SearchResult:
    """Ask/tell ``strategy`` on ``problem`` for ``n_evals`` proposals, in batches.

    Evaluations are cached per architecture (a strategy proposing a genome again costs nothing).
    With ``run_dir``, the run writes ``config.json``, ``history.csv``, ``pareto.json`` and
    ``pareto.png`` (when matplotlib is installed), checkpoints ``history.csv`` every
    ``checkpoint_s`` seconds, and resumes: a rerun replays the saved history through a fresh
    strategy with the same seed (its proposals are then identical) and continues, so an
    interrupted run and an uninterrupted one give the same result.
    """
    if n_evals < 1:
        raise ConfigError(f"n_evals must be >= 1, got {n_evals}")
    batch = int(batch_size or strategy.params.get("population", 100))
    if batch < 1:
        raise ConfigError(f"batch size must be >= 1, got {batch}")
    cache = History(problem)  # every evaluated architecture, told or only screened
    strategy.screen = _screen(problem, cache)
    cfg = {"strategy": strategy.name, "seed": strategy.seed, "params": strategy.params, "batch_size": batch,
           "weights": None if strategy.weights is None else strategy.weights.tolist(),
           "problem": problem.describe(), **(config or {})}
    steps_done, saved = 0, 0
    if run_dir is not None:
        run_dir = Path(run_dir)
        steps_done = _prepare_run_dir(run_dir, cfg, cache)
        saved = cache.n
    told: dict[int, int] = {}  # cache row -> step it was first told
    n_steps = -(-n_evals // batch)
    bar = _progress(progress, n_steps, steps_done)
    last = time.monotonic()
    universe = None if strategy.universe is None else Universe(strategy.universe)
    for step in range(n_steps):
        genes = strategy.ask(min(batch, n_evals - step * batch))
        if universe is not None:  # a sampled table: proposals it lacks become its nearest members
            _, genes = universe.project(genes)
        rows, _ = cache.lookup(genes, step)
        for r in rows.tolist():
            told.setdefault(r, step)
        if step < steps_done and rows.max(initial=-1) >= saved:
            raise DataError(f"{run_dir}: the saved history does not match this search (replay diverged at "
                            f"step {step}); use a new run directory")
        strategy.tell(genes, cache.F[rows], cache.violation[rows])
        if step >= steps_done:
            bar.update(1)
            if run_dir is not None and time.monotonic() - last > checkpoint_s:
                _checkpoint(run_dir, _told(cache, told), step + 1)
                last = time.monotonic()
    bar.close()
    result = SearchResult(_told(cache, told), dict(budgets or {}), n_evals)
    if run_dir is not None:
        write_run_dir(run_dir, result, n_steps)
    return result


def _told(cache: History, told: dict[int, int]) -> History:
    rows = np.fromiter(told, dtype=np.int64, count=len(told))
    return cache.subset(rows, np.fromiter(told.values(), dtype=np.int64, count=len(told)))


def _progress(enabled: bool, total: int, initial: int):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=min(initial, total), disable=not enabled, desc="search", unit="batch")


# ---------------------------------------------------------------------- run directory
def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _json(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, default=lambda x: x.item() if hasattr(x, "item") else str(x))


def _prepare_run_dir(run_dir: Path, cfg: dict, history: History) -> int:
    """Create ``run_dir`` or check that it holds this same search; load its history."""
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = run_dir / "config.json"
    cfg_text = _json(cfg)
    if not cfg_path.is_file():
        _write_atomic(cfg_path, cfg_text)
        return 0
    try:
        saved = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{cfg_path}: corrupt run configuration ({exc})") from exc
    if saved != json.loads(cfg_text):
        raise ConfigError(f"{run_dir}: holds a different search (config.json differs); use a new run directory")
    if (run_dir / "history.csv").is_file():
        load_history(run_dir / "history.csv", history)
    progress = run_dir / "progress.json"
    return int(json.loads(progress.read_text())["steps"]) if progress.is_file() else 0


def load_history(path: Path, history: History) -> None:
    """Fill ``history`` from a saved ``history.csv`` (raises ``DataError`` when it is malformed)."""
    import pandas as pd

    problem = history.problem
    try:
        df = pd.read_csv(path, keep_default_na=False, dtype=str)  # numbers parsed exactly below
        genes = df[[f"g{i}" for i in range(len(problem.space.cardinalities))]].astype(np.int64).to_numpy()
        values = {m: MetricValues(_floats(df[m]), _floats(df[f"{m}_std"]), df[f"{m}_source"].to_numpy(object))
                  for m in problem.metric_names}
        steps = df["step"].astype(np.int64).to_numpy()
    except (KeyError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a history of this search ({exc})") from exc
    for step in np.unique(steps):
        sel = steps == step
        F, violation = problem.score({m: v.mean[sel] for m, v in values.items()}, genes[sel])
        sub = {m: MetricValues(v.mean[sel], v.std[sel], v.source[sel]) for m, v in values.items()}
        history.add(Evaluation(genes[sel], sub, F, violation), int(step))


def _floats(column) -> np.ndarray:
    """A column of numbers written with 17 digits, read back bit for bit (a blank cell: NaN)."""
    values = exact_floats(column.tolist())
    bad = np.isnan(values) & ~column.str.strip().str.lower().isin(["", "nan"]).to_numpy()
    if bad.any():
        raise ValueError(f"column {column.name!r}: {column.iloc[int(np.flatnonzero(bad)[0])]!r} is not a number")
    return values


def _checkpoint(run_dir: Path, history: History, steps: int) -> None:
    result = SearchResult(history)
    _write_atomic(run_dir / "history.csv", result.frame().to_csv(index=False, float_format="%.17g"))
    _write_atomic(run_dir / "progress.json", _json({"steps": steps}))


def write_run_dir(run_dir: Path, result: SearchResult, steps: int) -> None:
    """``history.csv``, ``pareto.json`` and (with matplotlib) ``pareto.png``."""
    from ._plot import plot_pareto

    _checkpoint(run_dir, result.history, steps)
    _write_atomic(run_dir / "pareto.json", _json(result.summary()))
    if len(result.problem.objectives) >= 2 or result.problem.constraints:
        try:
            plot_pareto(result, run_dir / "pareto.png")
        except ImportError:
            pass  # matplotlib is optional: the data is in pareto.json / history.csv
