"""`bench_latency`: the few-shot benchmark on measurement tables (``hwnas bench latency``).

For each device column of the table and each seed: draw K measured architectures, fit the
``fewshot`` predictor on them with the pool's columns as prior devices (never the table's other
columns, and never a pool column of the same name), predict every other measured architecture of
the column and score it. Without a pool the prior is the space's own costs (multiply-adds,
parameters, memory traffic), and with many shots an XGBoost booster on the encoding takes over:
the classic many-sample setting.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from hwnas import ConfigError, SearchSpace, get_space
from hwnas.datasets import LatencyTable, load_latency_table

from ._base import write_json_atomic
from ._lat_features import LatencyFeatures
from ._lat_fewshot import FewShotLatency
from ._lat_metrics import LATENCY_SCORES, latency_scores
from ._lat_prior import PriorColumns

__all__ = ["bench_latency", "format_bench_table"]


def _summary(runs: list[dict]) -> dict:
    return {s: {"mean": float(np.mean([r[s] for r in runs])), "std": float(np.std([r[s] for r in runs]))}
            for s in LATENCY_SCORES}


def bench_latency(space: SearchSpace | str, table: str | os.PathLike | LatencyTable,
                  pool: str | os.PathLike | LatencyTable | None = None, shots: int = 10, seeds: int = 3,
                  json_path: str | os.PathLike | None = None, progress: bool = True,
                  temperature: float = 3.0, counts: bool = True) -> dict:
    """Score few-shot transfer to every device of ``table``; returns (and optionally writes) the
    summary. ``counts``: the predictor may also model the latency as a sum of per-choice costs."""
    started = time.time()
    space = get_space(space) if isinstance(space, str) else space
    if shots < 2:
        raise ConfigError(f"--shots must be at least 2, got {shots}")
    if seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {seeds}")
    table = table if isinstance(table, LatencyTable) else load_latency_table(table, space)
    if pool is not None and not isinstance(pool, LatencyTable):
        pool = table if table.read_from(pool) else load_latency_table(pool, space)  # one file: read once
    prior = PriorColumns(LatencyFeatures(space), pool, seed=0, use_counts=counts)
    genes = space.genes_array(table.archs)
    devices: dict[str, dict] = {}
    bar = _progress(len(table.devices) * seeds, progress)
    for j, device in enumerate(table.devices):
        rows = np.flatnonzero(np.isfinite(table.values[:, j]))
        if len(rows) < shots + 2:
            devices[device] = {"skipped": f"{len(rows)} measured architectures, need at least {shots + 2}"}
            bar.update(seeds)
            continue
        runs = []
        for seed in range(seeds):
            rng = np.random.default_rng([seed, j])
            train = rng.choice(rows, size=shots, replace=False)
            test = np.setdiff1d(rows, train)
            model = FewShotLatency(space, exclude=[device], temperature=temperature, seed=seed, prior=prior)
            model.fit([table.archs[i] for i in train], table.values[train, j])
            runs.append(latency_scores(table.values[test, j], model.predict_genes(genes[test])))
            bar.update(1)
        devices[device] = dict(_summary(runs), n_measured=int(len(rows)), n_test=int(len(rows) - shots))
    bar.close()
    scored = [d for d in devices.values() if "skipped" not in d]
    result = {
        "space": space.name, "table": str(table.path), "pool": None if pool is None else str(pool.path),
        "shots": int(shots), "seeds": int(seeds), "predictor": "latency/fewshot", "counts": bool(counts),
        "pool_devices": [] if pool is None else list(pool.devices),
        "devices": devices,
        "overall": {s: float(np.mean([d[s]["mean"] for d in scored])) if scored else None for s in LATENCY_SCORES},
        "wall_s": round(time.time() - started, 1),
    }
    if json_path is not None:
        write_json_atomic(Path(json_path), result)
    return result


def format_bench_table(result: dict) -> str:
    """The summary as a text table: one line per device, then the mean over devices."""
    head = f"{'device':<20}" + "".join(f"{s:>18}" for s in LATENCY_SCORES)
    lines = [f"{result['space']}: K={result['shots']} shots, {result['seeds']} seeds, "
             f"pool {result['pool'] or 'none'} ({result['wall_s']} s)", head]
    for name, d in result["devices"].items():
        if "skipped" in d:
            lines.append(f"{name:<20}  skipped: {d['skipped']}")
            continue
        lines.append(f"{name:<20}" + "".join(f"{d[s]['mean']:>10.4f} ±{d[s]['std']:<6.4f}" for s in LATENCY_SCORES))
    overall = result["overall"]
    lines.append(f"{'mean over devices':<20}" + "".join(
        f"{overall[s]:>10.4f}        " if overall[s] is not None else f"{'-':>18}" for s in LATENCY_SCORES))
    return "\n".join(lines)


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="bench latency", unit="fit", disable=not enabled, leave=False)
