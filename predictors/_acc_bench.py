"""The public functions behind ``hwnas fit|predict|bench accuracy``."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from hwnas import ConfigError, DataError, SearchSpace, get_space

from ._acc_metrics import ranking_metrics
from ._base import create_predictor, load_predictor

__all__ = ["bench_accuracy", "fit_accuracy", "predict_accuracy", "zero_cost_source"]

_METRICS = ("kendall", "spearman", "precision_top1pct", "fit_seconds", "query_us_per_arch", "query_cpu_us_per_arch")


def zero_cost_source(space: SearchSpace, archs: Sequence[str], mode: str, data_dir=None,
                     cache_dir=None, batch_size: int = 16, seed: int = 0) -> tuple[str | None, str]:
    """The zero-cost cache to use as features, and a line saying why.

    ``mode="off"``: none. ``"on"``: compute what the cache lacks (slow: about 0.3 s per
    architecture on one core), then use it. ``"auto"``: use the cache only when it already holds
    every architecture, so that a cold cache never turns a benchmark into hours of scoring.
    """
    from hwnas.datasets import which_dataset

    from ._zerocost import compute_zero_cost, read_zero_cost, zero_cost_cache_path

    if mode not in ("auto", "on", "off"):
        raise ConfigError(f"zero_cost must be auto, on or off, got {mode!r}")
    if mode == "off":
        return None, "zero-cost features: off"
    data_name = which_dataset("auto", data_dir, cache_dir)
    path = zero_cost_cache_path(space, data_name, batch_size, seed, cache_dir)
    if mode == "on":
        compute_zero_cost(space, archs, batch_size=batch_size, seed=seed, data_dir=data_dir, cache_dir=cache_dir)
        return str(path), f"zero-cost features: {path} ({data_name})"
    cached = read_zero_cost(path)
    missing = len(set(archs) - set(cached.index))
    if missing:
        return None, (f"zero-cost features: off (cache {path} lacks {missing} of {len(archs)} architectures; "
                      "use --zero-cost on to compute them)")
    return str(path), f"zero-cost features: {path} ({data_name}, complete)"


def bench_accuracy(space: SearchSpace | str, table: str | os.PathLike, column: str,
                   train_sizes: Sequence[int] = (100, 1000), seeds: int = 3, data_dir=None,
                   predictor: str = "xgb", zero_cost: str = "auto", cache_dir=None,
                   params: dict | None = None, progress: bool = True) -> dict:
    """Rank quality of an accuracy predictor fitted on few rows of ``table`` and tested on the rest.

    For each size and seed ``0..seeds-1``: draw ``size`` rows (seeded) to fit on, predict every
    other row, score Kendall, Spearman and precision@top-1%, time the fit and the batch query.
    Returns per-run rows and, per size, the mean and standard deviation over seeds.
    """
    from tqdm.auto import tqdm

    from hwnas.datasets import load_accuracy_table

    space = get_space(space) if isinstance(space, str) else space
    frame = load_accuracy_table(table, space, [column]).dropna(subset=[column])
    archs, y = frame["arch"].tolist(), frame[column].to_numpy()
    genes = space.genes_array([space.parse(a) for a in archs])
    sizes = [int(s) for s in train_sizes]
    if seeds < 1 or not sizes or min(sizes) < 2 or max(sizes) > len(y) - 2:
        raise ConfigError(f"train sizes must be in 2..{len(y) - 2} and seeds >= 1 (table has {len(y)} rows)")
    zc_path, zc_line = zero_cost_source(space, archs, zero_cost, data_dir, cache_dir)
    extra = dict(params or {})
    if zc_path is not None:
        extra["zero_cost"] = zc_path
    runs = []
    for size, seed in tqdm([(s, k) for s in sizes for k in range(seeds)], desc="bench accuracy", disable=not progress):
        runs.append(_one_run(space, genes, archs, y, size, seed, predictor, extra))
    summary = {str(s): {m: _mean_std([r[m] for r in runs if r["train_size"] == s]) for m in _METRICS} for s in sizes}
    return {"space": space.name, "table": str(table), "column": column, "predictor": f"accuracy/{predictor}",
            "zero_cost": zc_path, "zero_cost_note": zc_line, "n_archs": len(y), "seeds": seeds,
            "train_sizes": sizes, "summary": summary, "runs": runs}


def _one_run(space, genes, archs, y, size: int, seed: int, predictor: str, params: dict) -> dict:
    rng = np.random.default_rng(seed)
    train = np.sort(rng.choice(len(y), size=size, replace=False))
    test = np.setdiff1d(np.arange(len(y)), train)
    model = create_predictor("accuracy", predictor, space, **{**params, "seed": seed})
    t0 = time.perf_counter()
    model.fit([archs[i] for i in train], y[train])
    fit_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    pred = model.predict_genes(genes[test])
    query_us = (time.perf_counter() - t0) / len(test) * 1e6
    query_cpu_us = (time.process_time() - c0) / len(test) * 1e6  # less sensitive to a busy machine
    return {"train_size": size, "seed": seed, **ranking_metrics(y[test], pred), "fit_seconds": fit_s,
            "query_us_per_arch": query_us, "query_cpu_us_per_arch": query_cpu_us, "n_test": int(len(test))}


def _mean_std(values: list[float]) -> dict:
    return {"mean": float(np.mean(values)), "std": float(np.std(values))}


def fit_accuracy(space: SearchSpace | str, out: str | os.PathLike, table: str | os.PathLike | None = None,
                 column: str | None = None, dataset_dir: str | os.PathLike | None = None,
                 predictor: str = "xgb", params: dict | None = None) -> dict:
    """Fit an accuracy predictor on a table column or on a proxy-training data set; save it to ``out``."""
    from hwnas.datasets import load_accuracy_dataset, load_accuracy_table

    space = get_space(space) if isinstance(space, str) else space
    if (table is None) == (dataset_dir is None):
        raise ConfigError("fit accuracy: give either a table (with its column) or a proxy-training data set")
    if table is not None:
        if column is None:
            raise ConfigError("fit accuracy: --column is required with --table")
        frame = load_accuracy_table(table, space, [column])
        sha = frame.attrs["sha256"]
        frame = frame.dropna(subset=[column])
        archs, y, source = frame["arch"].tolist(), frame[column].to_numpy(), str(table)
    else:
        frame, manifest = load_accuracy_dataset(dataset_dir)
        if manifest.get("space") != space.name.split(":", 1)[0]:
            raise DataError(f"{dataset_dir}: built for space {manifest.get('space')!r}, not {space.name!r}")
        archs, y, source = frame["arch"].tolist(), frame["accuracy"].to_numpy(np.float64), str(dataset_dir)
        if not len(y):
            raise DataError(f"{dataset_dir}: no trained architectures yet")
        sha = hashlib.sha256((Path(dataset_dir) / "accuracy.csv").read_bytes()).hexdigest()
    model = create_predictor("accuracy", predictor, space, **(params or {}))
    t0 = time.perf_counter()
    model.fit(archs, y)
    model.fitted_on_ = sha
    fit_s = time.perf_counter() - t0
    model.save(out)
    return {"predictor": f"accuracy/{predictor}", "space": space.name, "source": source, "n_train": len(y),
            "fit_seconds": fit_s, "out": str(out), "fitted_on": sha}


def predict_accuracy(predictor_dir: str | os.PathLike, archs: Sequence[str]) -> list[dict]:
    """``[{"arch", "accuracy", "std"}]`` for each architecture string, from a saved predictor."""
    model = load_predictor(predictor_dir)
    if model.kind != "accuracy":
        raise DataError(f"{predictor_dir}: holds a {model.kind} predictor, not an accuracy one")
    parsed = [model.space.as_arch(a) for a in archs]
    mean, std = model.predict_with_std(parsed)
    return [{"arch": model.space.format(a), "accuracy": float(m), "std": float(s)} for a, m, s in zip(parsed, mean, std)]
