"""An append-only CSV log that survives crashes: rows are fsync'ed, torn lines are dropped on read."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Sequence

from hwnas import DataError, exact_floats

__all__ = ["append_csv_rows", "read_csv_rows"]


def append_csv_rows(path: str | os.PathLike, columns: Sequence[str], rows: Sequence[dict]) -> None:
    """Append ``rows`` (header first when the file is new) and fsync before returning."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torn = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with open(path, "a", newline="") as f:
        if torn:  # a crash cut the last row: close it so it stays a separate (dropped) line
            f.write("\n")
        writer = csv.DictWriter(f, fieldnames=list(columns), lineterminator="\n")
        if f.tell() == 0:
            writer.writeheader()
        writer.writerows([{k: r[k] for k in columns} for r in rows])
        f.flush()
        os.fsync(f.fileno())


def read_csv_rows(path: str | os.PathLike, columns: Sequence[str], key: str):
    """The log as a DataFrame: torn or malformed lines dropped, the last row per ``key`` kept."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=list(columns))
    lines = path.read_text().splitlines()
    if lines and lines[0].split(",") != list(columns):
        raise DataError(f"{path}: expected the header {','.join(columns)}, got {lines[0][:80]!r}")
    good = [row for row in csv.reader(io.StringIO("\n".join(lines[1:]))) if len(row) == len(columns)]
    frame = pd.DataFrame(good, columns=list(columns))
    for col in columns:
        if col != key:
            frame[col] = exact_floats(frame[col].tolist())
    frame = frame.dropna()  # a torn line that happens to have the right number of fields
    return frame.drop_duplicates(key, keep="last").reset_index(drop=True)
