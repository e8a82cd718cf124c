"""The public functions behind ``hwnas fit latency`` and ``hwnas predict latency``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from hwnas import ConfigError, DataError, SearchSpace, get_space

from ._base import create_predictor, load_predictor
from ._lat_base import LatencyPredictor, as_profile

__all__ = ["fit_latency", "predict_latency", "read_arch_lines"]


def fit_latency(predictor: str = "xgb", space: SearchSpace | str | None = None, profile: Any = None,
                table: str | os.PathLike | None = None, column: str | None = None,
                pool: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
                max_networks: int | None = None, **params: Any) -> LatencyPredictor:
    """Fit a latency predictor on a profile's whole networks, or on one column of a measurement
    table (``table`` + ``column``); save it to ``out`` when given."""
    from hwnas.datasets import load_latency_table

    prof = as_profile(profile)
    if prof is not None:
        if space is not None and (get_space(space) if isinstance(space, str) else space).name != prof.space.name:
            raise ConfigError(f"profile {prof.path} is for space {prof.space.name!r}, not {space!r}")
        space = prof.space
    if space is None:
        raise ConfigError("fit latency: give --space (or a --profile, which names its space)")
    space = get_space(space) if isinstance(space, str) else space
    if predictor == "fewshot":
        params.update(pool=None if pool is None else str(pool), exclude=[column] if column else [])
    elif pool is not None:
        raise ConfigError("--pool is only used by the fewshot predictor")
    model = create_predictor("latency", predictor, space, profile=prof, **params)
    if table is not None:
        if column is None:
            raise ConfigError("fit latency: --table needs --column (the device to fit)")
        archs, ms = load_latency_table(table, space).column(column)
        if max_networks is not None:
            archs, ms = archs[:max_networks], ms[:max_networks]
        if len(archs) == 0:
            raise DataError(f"{table}: column {column!r} has no measurements")
        model.fit(archs, ms)
    elif prof is not None:
        model.fit_profile(max_networks)
    else:
        raise ConfigError("fit latency: give a --profile directory or --table T.csv --column C")
    if out is not None:
        model.save(out)
    return model


def read_arch_lines(path: str | os.PathLike) -> list[str]:
    """Architecture strings from a file: one per line, blank lines and ``#`` comments skipped."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    return [s for s in (line.split("#", 1)[0].strip() for line in path.read_text().splitlines()) if s]


def predict_latency(model_dir: str | os.PathLike, archs: Sequence[str] = (), file: str | os.PathLike | None = None,
                    profile: Any = None) -> list[dict]:
    """Latency (ms) and its uncertainty (0 where the model has none) of each architecture."""
    model = load_predictor(model_dir)
    if model.kind != "latency":
        raise DataError(f"{model_dir}: holds a {model.kind} predictor, not a latency one")
    if profile is not None:
        model.check_profile(profile)
    texts = list(archs) + (read_arch_lines(file) if file is not None else [])
    if not texts:
        raise ConfigError("predict latency: no architectures (give them as arguments or with --file)")
    parsed = [model.space.as_arch(t) for t in texts]
    mean, std = model.predict_with_std(parsed)
    return [{"arch": model.space.format(a), "latency_ms": float(m), "std_ms": float(s)}
            for a, m, s in zip(parsed, np.asarray(mean), np.asarray(std))]
