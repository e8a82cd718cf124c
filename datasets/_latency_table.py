"""`LatencyTable`: measured latencies of a space's architectures on devices we may not own.

The CSV format is the one of ``../shared/data/nb201/latency_ms.csv``: a column ``arch`` with the
space's canonical string, one column per device or target holding latency in ms (a blank cell
means "not measured"; a 0 is read as below the clock's resolution, see ``_floor_zeros``), and
optionally index columns (``index``, ``id``, ``*_index``) that are kept out of the devices.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from hwnas import Architecture, DataError, HwnasError, SearchSpace, exact_floats, get_space

__all__ = ["LatencyTable", "load_latency_table", "is_index_column"]


def is_index_column(name: str) -> bool:
    """Columns such as ``nb201_index`` or ``id`` number the rows; they are not devices."""
    low = name.strip().lower()
    return low in ("index", "id", "idx") or low.endswith("_index") or low.startswith("unnamed:")


@dataclass
class LatencyTable:
    """``values[i, j]`` is the latency (ms) of ``archs[i]`` on ``devices[j]``; NaN = not measured."""

    space: SearchSpace
    archs: list[Architecture]
    devices: list[str]
    values: np.ndarray
    path: Path | None = None
    hash: str = ""
    _rows: dict[Architecture, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float64).reshape(len(self.archs), len(self.devices))
        self._rows = {a: i for i, a in enumerate(self.archs)}
        if not self.hash:
            self.hash = _content_hash(self.archs, self.devices, self.values)

    def __len__(self) -> int:
        return len(self.archs)

    def read_from(self, path: str | os.PathLike) -> bool:
        """Whether this table was loaded from ``path`` (the same file, however named): a caller
        given one file as two tables then reads, validates and warns about it once."""
        try:
            return self.path is not None and os.path.samefile(self.path, path)
        except OSError:
            return False

    def __contains__(self, arch: object) -> bool:
        return arch in self._rows

    def row_indices(self, archs: Sequence[Architecture]) -> np.ndarray:
        """Row of each architecture, -1 where the table does not hold it."""
        return np.array([self._rows.get(a, -1) for a in archs], dtype=np.int64)

    def column(self, device: str) -> tuple[list[Architecture], np.ndarray]:
        """The architectures measured on ``device`` and their latencies."""
        j = self.device_index(device)
        rows = np.flatnonzero(np.isfinite(self.values[:, j]))
        return [self.archs[i] for i in rows], self.values[rows, j].copy()

    def device_index(self, device: str) -> int:
        if device not in self.devices:
            where = f"{self.path}: " if self.path else ""
            raise DataError(f"{where}no device column {device!r}; columns: {', '.join(self.devices)}")
        return self.devices.index(device)

    def without(self, devices: Sequence[str]) -> "LatencyTable":
        """The same table without some device columns (those absent are ignored)."""
        keep = [j for j, d in enumerate(self.devices) if d not in set(devices)]
        return LatencyTable(self.space, self.archs, [self.devices[j] for j in keep],
                            self.values[:, keep], self.path)

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.values, columns=self.devices)
        df.insert(0, "arch", [self.space.format(a) for a in self.archs])
        return df


def _content_hash(archs: Sequence[Architecture], devices: Sequence[str], values: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update("\n".join(devices).encode())
    h.update("\n".join(",".join(map(str, a.genes)) for a in archs).encode())
    h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def load_latency_table(path: str | os.PathLike, space: SearchSpace | str) -> LatencyTable:
    """Read and validate a measurement table; any problem is one ``DataError`` naming the file,
    the row (1-based data row, i.e. CSV line minus one) and the column."""
    path = Path(path)
    space = get_space(space) if isinstance(space, str) else space
    if not path.is_file():
        raise DataError(f"{path}: no such measurement table")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV table ({str(exc).splitlines()[0]})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    if "arch" not in df.columns:
        raise DataError(f"{path}: missing column 'arch' (the architecture strings); columns: {', '.join(df.columns)}")
    devices = [c for c in df.columns if c != "arch" and not is_index_column(c)]
    if not devices:
        raise DataError(f"{path}: no device columns besides 'arch'")
    if len(set(df.columns)) != len(df.columns):
        raise DataError(f"{path}: duplicate column names")
    archs = _parse_archs(path, space, df["arch"].tolist())
    values = np.column_stack([_parse_column(path, name, df[name].tolist()) for name in devices])
    return LatencyTable(space, archs, devices, values, path)


def _parse_archs(path: Path, space: SearchSpace, texts: list[str]) -> list[Architecture]:
    archs: list[Architecture] = []
    seen: dict[Architecture, int] = {}
    for i, text in enumerate(texts, start=1):
        try:
            arch = space.parse(text)
        except HwnasError as exc:
            raise DataError(f"{path}: row {i}, column 'arch': {exc}") from None
        if arch in seen:
            raise DataError(f"{path}: row {i}, column 'arch': architecture already in row {seen[arch]}")
        seen[arch] = i
        archs.append(arch)
    return archs


def numeric_cells(cells) -> tuple[np.ndarray, np.ndarray]:
    """Table cells as floats and the mask of blank ones: a blank cell is a value not measured
    (NaN); text that is no number is NaN too, outside the mask, for the caller to reject."""
    text = pd.Series(cells, dtype=object).str.strip()
    blank = (text == "").to_numpy()
    return exact_floats(text.where(~blank, None).tolist()), blank


def _parse_column(path: Path, name: str, cells: list[str]) -> np.ndarray:
    values, blank = numeric_cells(cells)
    bad = ~blank & ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{path}: row {i + 1}, column {name!r}: {cells[i]!r} is not a number (ms)")
    negative = np.isfinite(values) & (values < 0)
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise DataError(f"{path}: row {i + 1}, column {name!r}: latency {cells[i]} ms is negative")
    return _floor_zeros(path, name, values)


def _floor_zeros(path: Path, name: str, values: np.ndarray) -> np.ndarray:
    """A recorded 0 ms is a network faster than the device's clock resolves (a phone timed in whole
    milliseconds, a runtime that folds a dead network away), not a malformed cell: it is read as
    half the column's smallest positive value, which keeps every order and budget comparison of
    the column and gives the log-space models a finite value. A warning says how many."""
    zero = values == 0
    if not zero.any():
        return values
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        raise DataError(f"{path}: column {name!r}: every measured latency is 0 ms")
    floor = float(positive.min()) / 2
    warnings.warn(f"{path}: column {name!r}: {int(zero.sum())} latencies of 0 ms read as {floor:g} ms "
                  "(half the smallest measured: below the clock's resolution)", stacklevel=4)
    return np.where(zero, floor, values)
