"""CIFAR-10 from torchvision's layout or from JPEG-npz files, decoded once into a uint8 cache."""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path

import numpy as np

from hwnas import DataError

from ._acc_images import ImageDataset, save_npy_atomic

__all__ = ["load_cifar10", "find_cifar10"]

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_REPO = Path(__file__).resolve().parent.parent
_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def find_cifar10(data_dir: str | os.PathLike | None, cache_dir: Path) -> tuple[str, Path] | None:
    """Where CIFAR-10 is: ``("npz", folder)`` or ``("torchvision", root)``, else None.

    An explicit ``data_dir`` is the only place looked at (besides torchvision's download in the
    cache); without one, ``../shared/data`` beside the repository, then the cache.
    """
    if data_dir is not None:
        candidates = [Path(data_dir), cache_dir]
    else:
        candidates = [_REPO.parent / "shared" / "data", cache_dir]
    for base in candidates:
        for folder in (base, base / "cifar10"):
            if (folder / "train_jpeg.npz").is_file() and (folder / "test_jpeg.npz").is_file():
                return "npz", folder
        if (base / "cifar-10-batches-py" / "data_batch_1").is_file():
            return "torchvision", base
        if base.name == "cifar-10-batches-py" and (base / "data_batch_1").is_file():
            return "torchvision", base.parent
    return None


def load_cifar10(data_dir: str | os.PathLike | None, cache_dir: Path, download: bool = False,
                 required: bool = True) -> ImageDataset | None:
    """CIFAR-10 (decoded from the cache when it was decoded before); None when absent and not required."""
    found = find_cifar10(data_dir, cache_dir)
    if found is None and download:
        found = _download(cache_dir)
    if found is None:
        if required:
            where = f"{data_dir}" if data_dir is not None else "../shared/data/cifar10 or the cache"
            raise DataError(f"CIFAR-10 not found in {where} (expected train_jpeg.npz/test_jpeg.npz "
                            "or cifar-10-batches-py); pass --download when online")
        return None
    kind, folder = found
    cache = cache_dir / f"cifar10-{_source_key(kind, folder)}"
    if all((cache / f"{a}.npy").is_file() for a in _ARRAYS):
        arrays = [np.load(cache / f"{a}.npy", allow_pickle=False) for a in _ARRAYS]
    else:
        arrays = _decode_npz(folder) if kind == "npz" else _read_torchvision(folder)
        for a, arr in zip(_ARRAYS, arrays):  # labels last would be safer, but each file is atomic
            save_npy_atomic(cache / f"{a}.npy", arr)
    return ImageDataset("cifar10", *arrays, classes=CLASSES)


def _source_key(kind: str, folder: Path) -> str:
    """Changes when the source files change, so a stale cache is never used."""
    files = ["train_jpeg.npz", "test_jpeg.npz"] if kind == "npz" else ["cifar-10-batches-py/data_batch_1",
                                                                       "cifar-10-batches-py/test_batch"]
    parts = [kind, str(folder.resolve())]
    for f in files:
        st = (folder / f).stat()
        parts += [f, str(st.st_size), str(int(st.st_mtime))]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def _decode_npz(folder: Path) -> list[np.ndarray]:
    out = []
    for split in ("train", "test"):
        path = folder / f"{split}_jpeg.npz"
        try:
            with np.load(path, allow_pickle=False) as z:
                jpeg, offsets, y = z["jpeg"], z["offsets"], z["y"]
        except (OSError, ValueError, KeyError) as exc:
            raise DataError(f"{path}: not a CIFAR-10 JPEG npz ({exc})") from exc
        out += [_decode_jpegs(jpeg, offsets, path), y.astype(np.int64)]
    return out


def _decode_jpegs(jpeg: np.ndarray, offsets: np.ndarray, path: Path) -> np.ndarray:
    from PIL import Image
    from tqdm.auto import tqdm

    images = np.empty((len(offsets) - 1, 32, 32, 3), dtype=np.uint8)
    for i in tqdm(range(len(images)), desc=f"decoding {path.name} (once)", leave=False):
        try:
            img = Image.open(io.BytesIO(jpeg[offsets[i]:offsets[i + 1]].tobytes())).convert("RGB")
            images[i] = np.asarray(img)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: image {i} does not decode as a 32x32 JPEG ({exc})") from exc
    return images


def _read_torchvision(root: Path) -> list[np.ndarray]:
    from torchvision.datasets import CIFAR10

    out = []
    for train in (True, False):
        ds = CIFAR10(str(root), train=train, download=False)
        out += [np.ascontiguousarray(ds.data, dtype=np.uint8), np.asarray(ds.targets, dtype=np.int64)]
    return out


def _download(cache_dir: Path) -> tuple[str, Path] | None:
    """torchvision's download into the cache; None (with a warning) when offline."""
    from torchvision.datasets import CIFAR10

    try:
        CIFAR10(str(cache_dir), train=True, download=True)
        CIFAR10(str(cache_dir), train=False, download=True)
    except (OSError, RuntimeError) as exc:  # URLError is an OSError
        warnings.warn(f"CIFAR-10 download failed ({exc}); falling back", stacklevel=3)
        return None
    return "torchvision", cache_dir
