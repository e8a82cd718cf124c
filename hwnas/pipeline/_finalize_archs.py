"""`finalize_architectures`: the one function behind ``hwnas finalize``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from hwnas import ConfigError, DataError, SearchSpace, create_space, get_space

from ._candidate import Candidate, candidate_from_arch, origin_baseline
from ._config import FinalizeConfig
from ._finalize import finalize
from ._report import write_report
from ._run_stages import pick_candidates

__all__ = ["finalize_architectures", "read_arch_file", "read_search_front"]


def read_arch_file(path: str | os.PathLike) -> list[str]:
    """Architecture strings, one a line (blank lines and ``#`` comments skipped)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: architecture file not found")
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line]


def read_search_front(run_dir: str | os.PathLike) -> tuple[SearchSpace, list[dict], list[float]]:
    """``(space, front, budgets)`` of a search run directory's ``pareto.json``: each front row as
    ``arch``, ``predicted_accuracy`` (metric ``accuracy``) and ``predicted_ms`` (the first
    ``latency*`` metric); ``budgets`` are the upper bounds of its latency constraints."""
    import json

    path = Path(run_dir) / "pareto.json"
    if not path.is_file():
        raise DataError(f"{run_dir}: not a search run directory (no pareto.json)")
    try:
        doc = json.loads(path.read_text())
        problem = doc["problem"]
        base = problem["space"].split(":", 1)[0]
        space = create_space(base, **problem["space_config"]) if problem.get("space_config") else get_space(base)
        budgets = [float(c["upper"]) for c in problem.get("constraints", []) if c["metric"].startswith("latency")]
        rows = []
        for rec in doc["pareto"]:
            values = rec["values"]
            lat = next((v["value"] for k, v in values.items() if k.startswith("latency")), None)
            acc = values.get("accuracy", {}).get("value")
            rows.append({"arch": rec["arch"], "predicted_accuracy": acc, "predicted_ms": lat})
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"{path}: malformed search result ({type(exc).__name__}: {exc})") from exc
    return space, rows, budgets


def _predict(directory, archs: Sequence[str], space) -> list[float | None]:
    if directory is None:
        return [None] * len(archs)
    from hwnas.predictors import load_predictor

    return [float(v) for v in load_predictor(directory, space=space).predict(list(archs))]


def _given(space: str, archs: Sequence[str], latency_predictor, accuracy_predictor) -> list[Candidate]:
    if not archs:
        return []
    sp = get_space(space)
    texts = [sp.format(sp.parse(a)) for a in archs]
    lat, acc = _predict(latency_predictor, texts, space), _predict(accuracy_predictor, texts, space)
    return [candidate_from_arch(sp, t, predicted_ms=l, predicted_accuracy=a) for t, l, a in zip(texts, lat, acc)]


def _searched(run_dir, top: int) -> tuple[list[Candidate], list[dict]]:
    if run_dir is None:
        return [], []
    sp, front, budgets = read_search_front(run_dir)
    chosen = pick_candidates(front, top, budgets)
    return [candidate_from_arch(sp, r["arch"], predicted_ms=r["predicted_ms"],
                                predicted_accuracy=r["predicted_accuracy"]) for r in chosen], front


def finalize_architectures(space: str, archs: Sequence[str], out_dir: str | os.PathLike,
                           config: FinalizeConfig | None = None, data: str = "auto",
                           data_dir: str | os.PathLike | None = None, baseline: bool = False,
                           latency_predictor: str | os.PathLike | None = None,
                           accuracy_predictor: str | os.PathLike | None = None,
                           from_search: str | os.PathLike | None = None, top: int = 3,
                           progress: bool = True) -> Path:
    """Finalize ``archs`` of ``space`` (and the origin baseline CNN if asked) on data set ``data``;
    predictions of saved predictors, when given, are checked against the measurements. With
    ``from_search`` (a ``hwnas search`` run directory), its best ``top`` front architectures (the
    best under each latency budget first) are added with the search's predictions.
    Returns the path of ``out_dir/report.md``.
    """
    from hwnas.datasets import load_dataset

    if not archs and not baseline and from_search is None:
        raise ConfigError("finalize: give architectures (--arch / --arch-file / --from-search) or --baseline")
    searched, front = _searched(from_search, top)
    candidates = ([origin_baseline()] if baseline else []) + _given(space, archs, latency_predictor,
                                                                    accuracy_predictor) + searched
    dataset = load_dataset(data, data_dir)
    config = config or FinalizeConfig()
    records = finalize(candidates, dataset, config, out_dir, progress=progress)
    context = {"title": "hwnas finalize", "dataset": dataset.describe(),
               "target": f"{config.target}, {config.latency_threads} thread(s)"}
    if dataset.name != "cifar10":
        why = "CIFAR-10 was not found" if data == "auto" else f"--data {data}"
        context["notes"] = [f"{why}: trained and evaluated on {dataset.name}, not CIFAR-10."]
    return write_report(out_dir, records, front, context)
