"""File helpers shared by every part: atomic writes (a crash leaves the old file or the new one) and
exact reading of the numbers that tables store as text."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np

__all__ = ["exact_floats", "write_json_atomic"]


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def write_json_atomic(path: str | os.PathLike, obj: Any, sort_keys: bool = True) -> Path:
    """Write ``obj`` as JSON to ``path`` through a synced temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json.tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=sort_keys, default=_jsonable)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def exact_floats(cells: Iterable[Any]) -> np.ndarray:
    """Table cells as float64, each through Python's ``float``, which rounds correctly; a cell that
    is no number (blank, text, ``None``, ``"1_000"``) is NaN for the caller to name.

    Why not ``pd.to_numeric`` or ``read_csv``'s default parser: pandas' own string-to-double code
    does not always round correctly. pandas 3.0.6 misread about 106,000 of 200,000 shortest-repr
    floats, by up to 7,236 units in the last place (3.1.1: none), so on an H200 machine with it a
    table written and read back changed and every fresh profile failed its own content hash.
    Numbers written with ``repr`` must read back bit for bit; under pandas 3.0.6 the test suite
    catches the old parser (tests/test_profiler_files.py).
    """
    def one(value: Any) -> float:
        if isinstance(value, str) and "_" in value:
            return np.nan  # float() reads "1_000" as 1000; in a table cell that is a typo
        try:
            return float(value)
        except (TypeError, ValueError):
            return np.nan

    return np.fromiter((one(v) for v in cells), dtype=np.float64)
