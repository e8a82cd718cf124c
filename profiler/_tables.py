"""The profile's tables on disk: typed columns, a durable append-only journal, validation, hash.

``lut.csv`` and ``networks.csv`` are plain CSV (one header line, one row per measurement). While a
profile runs they are append-only journals: each row is written, flushed and fsynced as soon as it
is measured, so that a killed run loses at most the row in flight (a line without its newline,
which the next run cuts off). A finished profile rewrites them sorted, atomically.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from hwnas import UNIT_FIELDS, DataError, Measurement, exact_floats, write_json_atomic

__all__ = [
    "MEASUREMENT_COLUMNS",
    "LUT_COLUMNS",
    "NETWORK_COLUMNS",
    "LUT_KEY",
    "NETWORK_KEY",
    "Journal",
    "read_table",
    "write_table_atomic",
    "write_json_atomic",
    "table_hash",
    "measurement_row",
]

MEASUREMENT_COLUMNS = ("median_ms", "iqr_ms", "mean_ms", "p90_ms", "min_ms", "runs", "warmup_runs")
FLAG_COLUMNS = ("rel_iqr", "noisy", "remeasured")
LUT_KEY = ("target", *UNIT_FIELDS)
NETWORK_KEY = ("target", "arch")
LUT_COLUMNS = (*LUT_KEY, *MEASUREMENT_COLUMNS, *FLAG_COLUMNS)
NETWORK_COLUMNS = (*NETWORK_KEY, *MEASUREMENT_COLUMNS, *FLAG_COLUMNS)

_INT = ("in_channels", "out_channels", "resolution", "kernel", "stride", "groups", "runs", "warmup_runs")
_FLOAT = ("expansion", "median_ms", "iqr_ms", "mean_ms", "p90_ms", "min_ms", "rel_iqr")
_BOOL = ("residual", "noisy", "remeasured")
_STR = ("target", "op", "extra", "arch")
_NON_NEGATIVE = ("median_ms", "iqr_ms", "mean_ms", "p90_ms", "min_ms", "rel_iqr", "runs", "warmup_runs")


def measurement_row(m: Measurement, noisy: bool, remeasured: bool) -> dict:
    """The measurement and flag columns of one row."""
    return {**m.to_dict(), "rel_iqr": m.relative_iqr, "noisy": bool(noisy), "remeasured": bool(remeasured)}


def _cell(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))  # shortest exact representation: the CSV round-trips bit for bit
    return str(value)


def _csv_line(values: Iterable[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_cell(v) for v in values])
    return buf.getvalue()


class Journal:
    """An append-only CSV file with a fixed header; every ``append`` is durable when it returns."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = Path(path)
        self.columns = tuple(columns)
        self._file = None

    def recover(self) -> None:
        """Create the file with its header, or cut off a row that a killed run left half written."""
        header = _csv_line(self.columns).encode()
        if not self.path.exists() or self.path.stat().st_size == 0:
            self._write_bytes(header)
            return
        data = self.path.read_bytes()
        if not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            data = data[:cut] if cut else b""
            if not data:  # killed while writing the header
                self._write_bytes(header)
                return
            with open(self.path, "r+b") as f:
                f.truncate(cut)
                f.flush()
                os.fsync(f.fileno())
        first = data.split(b"\n", 1)[0] + b"\n"
        if first != header:
            raise DataError(f"{self.path}: unexpected header (not a profile table of this version): "
                            f"{first.decode(errors='replace').strip()[:120]}")

    def _write_bytes(self, data: bytes) -> None:
        with open(self.path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    def append(self, row: dict) -> None:
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8", newline="")
        self._file.write(_csv_line(row[c] for c in self.columns))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fail(path: Path, line: int, column: str, value: Any, what: str) -> DataError:
    return DataError(f"{path}: line {line}, column {column!r}: {value!r} is not {what}")


def _typed(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Coerce every known column to its type; the first bad cell is reported by line and column."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        raw = df[col]
        if col in _INT or col in _FLOAT:
            num = pd.Series(exact_floats(raw.tolist()), index=raw.index)
            bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
            if col in _INT:
                bad |= num.fillna(0) != np.round(num.fillna(0))
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise _fail(path, i + 2, col, raw.iloc[i], "an integer" if col in _INT else "a finite number")
            if col in _NON_NEGATIVE and (num < 0).any():
                i = int(np.flatnonzero((num < 0).to_numpy())[0])
                raise _fail(path, i + 2, col, raw.iloc[i], "a non-negative number")
            out[col] = num.astype(np.int64 if col in _INT else np.float64)
        elif col in _BOOL:
            text = raw.astype(str).str.strip().str.lower()
            bad = ~text.isin(["true", "false", "1", "0"])
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise _fail(path, i + 2, col, raw.iloc[i], "true or false")
            out[col] = text.isin(["true", "1"])
        else:
            out[col] = raw.fillna("").astype(str)
    return out


def read_table(path: str | os.PathLike, columns: Sequence[str], key: Sequence[str],
               allow_partial_tail: bool = False) -> pd.DataFrame:
    """Read and validate a profile table (CSV, Parquet or JSON records by extension).

    Missing file, missing columns, a cell of the wrong type, a negative latency, a duplicate key or
    a truncated last line give one ``DataError`` naming the file (and the line and column).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            from hwnas._errors import require

            require("pyarrow", "parquet")
            df = pd.read_parquet(path).astype(object)
        elif suffix == ".json":
            records = json.loads(path.read_text())
            if not isinstance(records, list):
                raise DataError(f"{path}: expected a JSON list of rows")
            df = pd.DataFrame.from_records(records, columns=list(columns) if not records else None)
        else:
            data = path.read_bytes()
            if data and not data.endswith(b"\n"):
                if not allow_partial_tail:
                    raise DataError(f"{path}: truncated (the last line is incomplete)")
                data = data[:data.rfind(b"\n") + 1]  # the row a killed run was writing
            # Every cell as text: the typing below parses numbers exactly and names bad cells.
            df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[])
    except DataError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable table ({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    df = _typed(df[list(columns)].reset_index(drop=True), path)
    dup = df.duplicated(list(key))
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"{path}: line {i + 2} repeats the key of an earlier row")
    return df


def write_table_atomic(df: pd.DataFrame, path: str | os.PathLike, columns: Sequence[str]) -> None:
    """Write ``df``'s ``columns`` to ``path`` (CSV, Parquet or JSON by extension) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        if suffix == ".parquet":
            from hwnas._errors import require

            require("pyarrow", "parquet")
            df[list(columns)].to_parquet(tmp, index=False)
        elif suffix == ".json":
            Path(tmp).write_text(json.dumps(_records(df, columns), indent=1))
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                f.write(_csv_line(columns))
                for row in df[list(columns)].itertuples(index=False):
                    f.write(_csv_line(row))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _records(df: pd.DataFrame, columns: Sequence[str]) -> list[dict]:
    rows = []
    for row in df[list(columns)].itertuples(index=False):
        rows.append({c: (v.item() if hasattr(v, "item") else v) for c, v in zip(columns, row)})
    return rows


def table_hash(lut: pd.DataFrame, networks: pd.DataFrame) -> str:
    """A SHA-256 of the tables' content (keys and measurements), independent of row order and file format."""
    h = hashlib.sha256()
    for df, columns, key in ((lut, LUT_COLUMNS, LUT_KEY), (networks, NETWORK_COLUMNS, NETWORK_KEY)):
        h.update(_csv_line(columns).encode())
        for row in df.sort_values(list(key))[list(columns)].itertuples(index=False):
            h.update(_csv_line(_hashable(v) for v in row).encode())
    return h.hexdigest()


def _hashable(v: Any) -> Any:
    if isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        return int(v)  # 6 and 6.0 hash alike whatever the format stored
    return v
