"""`finalize_architectures`: the one function behind ``hwnas finalize``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from hwnas import ConfigError, DataError, get_space

from ._candidate import Candidate, candidate_from_arch, origin_baseline
from ._config import FinalizeConfig
from ._finalize import finalize
from ._report import write_report

__all__ = ["finalize_architectures", "read_arch_file"]


def read_arch_file(path: str | os.PathLike) -> list[str]:
    """Architecture strings, one a line (blank lines and ``#`` comments skipped)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: architecture file not found")
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line]


def _predict(directory, archs: Sequence[str], space) -> list[float | None]:
    if directory is None:
        return [None] * len(archs)
    from hwnas.predictors import load_predictor

    return [float(v) for v in load_predictor(directory, space=space).predict(list(archs))]


def finalize_architectures(space: str, archs: Sequence[str], out_dir: str | os.PathLike,
                           config: FinalizeConfig | None = None, data: str = "auto",
                           data_dir: str | os.PathLike | None = None, baseline: bool = False,
                           latency_predictor: str | os.PathLike | None = None,
                           accuracy_predictor: str | os.PathLike | None = None,
                           progress: bool = True) -> Path:
    """Finalize ``archs`` of ``space`` (and the origin baseline CNN if asked) on data set ``data``;
    predictions of saved predictors, when given, are checked against the measurements.
    Returns the path of ``out_dir/report.md``.
    """
    from hwnas.datasets import load_dataset

    if not archs and not baseline:
        raise ConfigError("finalize: give at least one architecture (--arch / --arch-file) or --baseline")
    candidates: list[Candidate] = []
    if archs:
        sp = get_space(space)
        texts = [sp.format(sp.parse(a)) for a in archs]
        lat, acc = _predict(latency_predictor, texts, space), _predict(accuracy_predictor, texts, space)
        candidates = [candidate_from_arch(sp, t, predicted_ms=l, predicted_accuracy=a)
                      for t, l, a in zip(texts, lat, acc)]
    if baseline:
        candidates.insert(0, origin_baseline())
    dataset = load_dataset(data, data_dir)
    config = config or FinalizeConfig()
    records = finalize(candidates, dataset, config, out_dir, progress=progress)
    context = {"title": "hwnas finalize", "dataset": dataset.describe(), "space": space,
               "target": f"{config.target}, {config.latency_threads} thread(s)"}
    if dataset.name != "cifar10":
        why = "CIFAR-10 was not found" if data == "auto" else f"--data {data}"
        context["notes"] = [f"{why}: trained and evaluated on {dataset.name}, not CIFAR-10."]
    return write_report(out_dir, records, (), context)
