"""Accuracy tables (``arch`` + accuracy columns in %) loaded as validated frames."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from hwnas import ArchitectureError, DataError, SearchSpace, get_space

from ._latency_table import numeric_cells

__all__ = ["load_accuracy_table"]


def load_accuracy_table(path: str | os.PathLike, space: SearchSpace | str,
                        columns: Sequence[str] | str | None = None):
    """A ``pandas.DataFrame`` with ``arch`` (canonical strings) and float accuracy columns in %.

    ``columns=None`` keeps every column whose name contains ``acc``. Any problem (missing file,
    empty table, no ``arch`` column, an architecture not in ``space``, a non-numeric or
    out-of-0..100 value) is one ``DataError`` naming the file, the row (1-based data row) and the
    column. A blank cell is an accuracy not measured: NaN, and the row is left out wherever that
    column is used (a table may give some columns for only some architectures). ``frame.attrs``
    holds ``path`` and ``sha256`` (what a fitted predictor was fitted on).
    """
    import pandas as pd

    path = Path(path)
    space = get_space(space) if isinstance(space, str) else space
    if not path.is_file():
        raise DataError(f"{path}: accuracy table not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from exc
    if "arch" not in raw.columns:
        raise DataError(f"{path}: no 'arch' column (columns: {', '.join(raw.columns) or 'none'})")
    if len(raw) == 0:
        raise DataError(f"{path}: empty table (no rows)")
    cols = _pick_columns(path, raw.columns, columns)
    out = pd.DataFrame({"arch": _canonical_archs(path, raw["arch"], space)})
    for col in cols:
        out[col] = _accuracies(path, raw[col], col)
    out.attrs["path"] = str(path)
    out.attrs["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _pick_columns(path: Path, available, columns) -> list[str]:
    if columns is None:
        cols = [c for c in available if c != "arch" and "acc" in c.lower()]
        if not cols:
            raise DataError(f"{path}: no accuracy column (none named like '*acc*'); pass columns")
        return cols
    cols = [columns] if isinstance(columns, str) else list(columns)
    for c in cols:
        if c not in available:
            raise DataError(f"{path}: no column {c!r} (columns: {', '.join(available)})")
    return cols


def _canonical_archs(path: Path, texts, space: SearchSpace) -> list[str]:
    out, cache = [], {}
    for row, text in enumerate(texts, start=1):
        if text not in cache:
            try:
                cache[text] = space.format(space.parse(text))
            except ArchitectureError as exc:
                raise DataError(f"{path}: row {row}, column 'arch': {exc}") from exc
        out.append(cache[text])
    return out


def _accuracies(path: Path, texts, col: str) -> np.ndarray:
    values, blank = numeric_cells(texts)  # blank: not measured, NaN, which every consumer skips
    bad = ~blank & (~np.isfinite(values) | (values < 0) | (values > 100))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        text = texts.iloc[row]
        why = "is not a number" if not np.isfinite(values[row]) else "is outside 0..100 (%)"
        raise DataError(f"{path}: row {row + 1}, column {col!r}: value {text!r} {why}")
    return values
