"""`ImageDataset`, the one in-memory image data set every training loop reads, and its loader."""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from hwnas import ConfigError, DataError

__all__ = ["ImageDataset", "load_dataset", "split_train_val", "default_cache_dir", "which_dataset"]


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """Images as uint8 ``(N, H, W, C)`` arrays with int64 labels, plus what a model needs to know.

    ``input_shape`` is ``(C, H, W)``: build the network for it. ``mean`` / ``std`` are per-channel
    statistics of the training images in the 0..1 range (used by ``normalize="meanstd"``).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        n, h, w, c = self.x_train.shape
        return (int(c), int(h), int(w))

    @cached_property  # computed once: a pass over 150 MB of pixels
    def mean(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.x_train.reshape(-1, self.x_train.shape[-1]).mean(0) / 255.0)

    @cached_property
    def std(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.x_train.reshape(-1, self.x_train.shape[-1]).std(0) / 255.0)

    def describe(self) -> str:
        """One line saying which data set is in use, e.g. for a CLI to print."""
        return (f"data set {self.name}: {len(self.x_train)} train / {len(self.x_test)} test images, "
                f"input {self.input_shape}, {self.num_classes} classes")


def default_cache_dir() -> Path:
    """``~/.cache/hwnas`` (where decoded images and zero-cost scores are kept)."""
    return Path.home() / ".cache" / "hwnas"


def save_npy_atomic(path: Path, array: np.ndarray) -> None:
    """``np.save`` through a temp file and ``os.replace``: a crash never leaves half a cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array, allow_pickle=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_dataset(name: str = "auto", data_dir: str | os.PathLike | None = None,
                 cache_dir: str | os.PathLike | None = None, download: bool = False) -> ImageDataset:
    """The data set ``name``: ``"cifar10"``, ``"digits"`` or ``"auto"``.

    ``"auto"`` is CIFAR-10 when it can be found (``data_dir``, then ``../shared/data/cifar10``
    beside the repository, then torchvision's layout in the cache) and scikit-learn's digits
    otherwise; ``dataset.name`` and ``dataset.describe()`` say which one was picked.
    ``download=True`` lets torchvision fetch CIFAR-10 into the cache when online.
    """
    from ._cifar import load_cifar10
    from ._digits import load_digits

    _check_dir(data_dir)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if name == "digits":
        return load_digits()
    if name == "cifar10":
        return load_cifar10(data_dir, cache, download=download, required=True)
    if name == "auto":
        found = load_cifar10(data_dir, cache, download=download, required=False)
        if found is not None:
            return found
        digits = load_digits()
        warnings.warn(f"CIFAR-10 not found: using the embedded {digits.describe()}", stacklevel=2)
        return digits
    raise ConfigError(f"unknown data set {name!r}; known: auto, cifar10, digits")


def which_dataset(name: str = "auto", data_dir: str | os.PathLike | None = None,
                  cache_dir: str | os.PathLike | None = None) -> str:
    """The name ``load_dataset`` would pick (``cifar10`` or ``digits``), without decoding anything."""
    from ._cifar import find_cifar10

    _check_dir(data_dir)
    if name in ("cifar10", "digits"):
        return name
    if name != "auto":
        raise ConfigError(f"unknown data set {name!r}; known: auto, cifar10, digits")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return "cifar10" if find_cifar10(data_dir, cache) is not None else "digits"


def _check_dir(data_dir) -> None:
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DataError(f"{data_dir}: data directory not found")


def split_train_val(dataset: ImageDataset, val_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, class-balanced split of the training images into (train, validation) indices.

    Each class gives ``round(val_fraction * class_size)`` images to validation, so the split is
    stratified; both index arrays are sorted.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in (0, 1), got {val_fraction}")
    return balanced_subset(dataset.y_train, val_fraction, seed)


def balanced_subset(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-class seeded draw of ``fraction`` of the indices: (rest, drawn), both sorted."""
    rng = np.random.default_rng(seed)
    drawn = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        k = int(round(fraction * len(idx)))
        drawn.append(rng.permutation(idx)[:k])
    picked = np.sort(np.concatenate(drawn))
    rest = np.setdiff1d(np.arange(len(labels)), picked)
    return rest, picked
