"""Accuracy from real (short) training: ``train_proxy`` and the resumable data set builder."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from hwnas import Architecture, ConfigError, DataError, SearchSpace, create_space, get_space

from ._acc_csvlog import append_csv_rows, read_csv_rows
from ._acc_images import ImageDataset, load_dataset, split_train_val
from ._train import TrainConfig, train_model

__all__ = ["ProxyBudget", "train_proxy", "build_accuracy_dataset", "load_accuracy_dataset", "downsample"]

_COLUMNS = ("arch", "accuracy", "seconds", "seconds_per_epoch")


@dataclass(frozen=True)
class ProxyBudget:
    """How much training an architecture gets: a cheap stand-in for the full schedule.

    ``subset`` training images (class-balanced) for ``epochs`` epochs, evaluated on ``val_size``
    held-out training images; ``resolution`` (e.g. 16) trains on area-downsampled images, which
    keeps the ranking of architectures while costing 4x less (EcoNAS-style reduced proxy).
    """

    epochs: int = 5
    subset: int = 2000
    val_size: int = 1000
    batch_size: int = 64
    lr: float = 0.1
    resolution: int | None = 16
    seed: int = 0
    dataset: str = "auto"

    def train_config(self) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, subset=self.subset,
                           seed=self.seed, threads=1, augment=True, schedule="cosine")


def downsample(ds: ImageDataset, resolution: int | None) -> ImageDataset:
    """``ds`` with images area-averaged to ``resolution`` pixels a side (a divisor of the side);
    ``ds`` itself when ``resolution`` is None or not smaller."""
    side = ds.input_shape[1]
    if resolution is None or resolution >= side:
        return ds
    if side % resolution:
        raise ConfigError(f"resolution {resolution} must divide the image side {side}")
    f = side // resolution

    def pool(x: np.ndarray) -> np.ndarray:
        n, h, w, c = x.shape
        return x.reshape(n, h // f, f, w // f, f, c).mean((2, 4)).round().astype(np.uint8)

    return ImageDataset(ds.name, pool(ds.x_train), ds.y_train, pool(ds.x_test), ds.y_test, ds.classes)


def train_proxy(arch: "Architecture | str", budget: ProxyBudget | None = None,
                space: SearchSpace | str | None = None, dataset: ImageDataset | None = None,
                data_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None) -> float:
    """Validation accuracy (%) of ``arch`` after ``budget``'s short training run (seeded)."""
    import torch

    budget = budget or ProxyBudget()
    space = _space(space, arch)
    arch = space.as_arch(arch)
    ds = downsample(dataset or load_dataset(budget.dataset, data_dir, cache_dir), budget.resolution)
    train_idx, val_idx = split_train_val(ds, min(0.5, budget.val_size / len(ds.y_train)), budget.seed)
    torch.manual_seed(budget.seed)
    model = space.build(arch, ds.num_classes, ds.input_shape)
    result = train_model(model, ds, budget.train_config(), train_idx, val_idx, progress=False,
                         eval_each_epoch=False)
    return result.final_accuracy


def _space(space: SearchSpace | str | None, arch) -> SearchSpace:
    if isinstance(space, SearchSpace):
        return space
    if space is not None:
        return get_space(space)
    if isinstance(arch, Architecture):
        return get_space(arch.space)
    raise ConfigError("train_proxy: pass space= when arch is a string")


def _worker(space_name: str, space_config: dict, arch: str, budget: ProxyBudget,
            data_dir, cache_dir) -> dict:
    import torch

    torch.set_num_threads(1)  # one core per job: joblib runs n_jobs of these at once
    space = create_space(space_name, **space_config) if space_config else get_space(space_name)
    t0 = time.perf_counter()
    ds = _cached_dataset(budget, data_dir, cache_dir)
    acc = train_proxy(arch, budget, space, ds)
    return {"arch": arch, "accuracy": acc, "seconds": time.perf_counter() - t0,
            "seconds_per_epoch": (time.perf_counter() - t0) / budget.epochs}


_DATA: dict = {}


def _cached_dataset(budget: ProxyBudget, data_dir, cache_dir) -> ImageDataset:
    """The (downsampled) data set, loaded once per worker process."""
    key = (budget.dataset, budget.resolution, str(data_dir), str(cache_dir))
    if key not in _DATA:
        _DATA.clear()
        _DATA[key] = downsample(load_dataset(budget.dataset, data_dir, cache_dir), budget.resolution)
    return _DATA[key]


def build_accuracy_dataset(space: SearchSpace | str, archs: Sequence["Architecture | str"],
                           budget: ProxyBudget | None = None, out_dir: str | os.PathLike = "accuracy_dataset",
                           n_jobs: int = 1, data_dir: str | os.PathLike | None = None,
                           cache_dir: str | os.PathLike | None = None, progress: bool = True):
    """Train every architecture with ``train_proxy`` in parallel; ``out_dir/accuracy.csv`` + manifest.

    Each finished row is appended and fsync'ed at once, so an interrupted build resumes where it
    stopped (architectures already in the CSV are skipped). The manifest records the space, the
    budget and the data set; resuming with another budget is refused.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    budget = budget or ProxyBudget()
    space = get_space(space) if isinstance(space, str) else space
    wanted = list(dict.fromkeys(space.format(space.as_arch(a)) for a in archs))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ds_name = _cached_dataset(budget, data_dir, cache_dir).name
    _check_manifest(out, space, budget, ds_name)
    done = set(_read_rows(out / "accuracy.csv")["arch"]) if (out / "accuracy.csv").is_file() else set()
    todo = [a for a in wanted if a not in done]
    base = space.name.split(":", 1)[0]
    jobs = (delayed(_worker)(base, space.config(), a, budget, data_dir, cache_dir) for a in todo)
    bar = tqdm(total=len(todo), desc="proxy training", disable=not progress)
    for row in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
        _append_row(out / "accuracy.csv", row)
        bar.update(1)
    bar.close()
    frame = _read_rows(out / "accuracy.csv")
    return frame[frame["arch"].isin(set(wanted))].reset_index(drop=True)


def _check_manifest(out: Path, space: SearchSpace, budget: ProxyBudget, ds_name: str) -> None:
    from hwnas import write_json_atomic

    manifest = {"kind": "accuracy-dataset", "space": space.name.split(":", 1)[0], "space_config": space.config(),
                "budget": asdict(budget), "data_set": ds_name, "columns": list(_COLUMNS),
                "target_column": "accuracy"}
    path = out / "manifest.json"
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: corrupt manifest ({exc})") from exc
        for key in ("space", "space_config", "budget", "data_set"):
            if old.get(key) != manifest[key]:
                raise ConfigError(f"{out}: was built with another {key} ({old.get(key)}); use another out_dir")
        return
    write_json_atomic(path, manifest)


def _append_row(path: Path, row: dict) -> None:
    append_csv_rows(path, _COLUMNS, [row])


def _read_rows(path: Path):
    return read_csv_rows(path, _COLUMNS, "arch")


def load_accuracy_dataset(out_dir: str | os.PathLike):
    """``(frame, manifest)`` of a data set written by ``build_accuracy_dataset``."""
    out = Path(out_dir)
    if not (out / "manifest.json").is_file() or not (out / "accuracy.csv").is_file():
        raise DataError(f"{out}: not an accuracy data set (needs manifest.json and accuracy.csv)")
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{out / 'manifest.json'}: corrupt manifest ({exc})") from exc
    return _read_rows(out / "accuracy.csv"), manifest
