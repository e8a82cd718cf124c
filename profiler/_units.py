"""The distinct units a profile must time: over given architectures, or over the whole space."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from hwnas import Architecture, ArchitectureError, DataError, SearchSpace, Unit

__all__ = ["UnitSet", "collect_units", "read_arch_file", "ENUMERATE_LIMIT"]

# Up to this many architectures the whole space is enumerated (NB201's 15625 take seconds).
ENUMERATE_LIMIT = 200_000
# The sweep over a space too large to enumerate stops after this many samples bring no new unit.
_STALE_SAMPLES = 2000
_MAX_SAMPLES = 50_000
_SWEEP_BASES = 8


@dataclass(frozen=True)
class UnitSet:
    """The distinct units to time, sorted, and how they were found (``coverage``):
    ``archs`` (the given architectures), ``all_units`` (the space listed them), ``enumerated``
    (every architecture of the space), or ``sweep`` (a space too large to enumerate and without
    ``all_units``: every option of every gene on seeded random bases, then random samples until
    ``_STALE_SAMPLES`` in a row add nothing; complete when each unit depends on one gene)."""

    units: tuple[Unit, ...]
    coverage: str


def collect_units(space: SearchSpace, archs: Sequence[Architecture] | None = None,
                  input_shape: tuple[int, int, int] | None = None) -> UnitSet:
    """The distinct units of ``archs``, or of the whole space (see ``UnitSet``)."""
    shape = input_shape or space.default_input_shape
    if archs is not None:
        return UnitSet(_union(space.units(space.check(a), shape) for a in archs), "archs")
    listed = space.all_units(shape)
    if listed is not None:
        return UnitSet(tuple(sorted(set(listed))), "all_units")
    if space.size <= ENUMERATE_LIMIT:
        return UnitSet(_union(space.units(a, shape) for a in space.enumerate()), "enumerated")
    return UnitSet(_sweep(space, shape), "sweep")


def _union(unit_lists: Iterable[list[Unit]]) -> tuple[Unit, ...]:
    seen: set[Unit] = set()
    for units in unit_lists:
        seen.update(units)
    return tuple(sorted(seen))


def _sweep(space: SearchSpace, shape: tuple[int, int, int]) -> tuple[Unit, ...]:
    seen: set[Unit] = set()
    for base in space.sample_many(_SWEEP_BASES, rng=0):
        for i, n in enumerate(space.cardinalities):
            for option in range(n):
                genes = list(base.genes)
                genes[i] = option
                seen.update(space.units(space.make(genes), shape))
    rng = np.random.default_rng(1)
    stale = drawn = 0
    while stale < _STALE_SAMPLES and drawn < _MAX_SAMPLES:
        before = len(seen)
        seen.update(space.units(space.sample(rng), shape))
        stale = 0 if len(seen) > before else stale + 1
        drawn += 1
    return tuple(sorted(seen))


def read_arch_file(path: str | os.PathLike, space: SearchSpace) -> list[Architecture]:
    """Architectures listed in a file: one canonical string a line (``#`` comments and blank
    lines skipped), or a CSV with an ``arch`` column. A bad string names the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    lines = path.read_text(errors="replace").splitlines()
    start = 0
    if path.suffix.lower() == ".csv":
        header = next(csv.reader([lines[0]])) if lines else []
        if "arch" not in header:
            raise DataError(f"{path}: no 'arch' column")
        col, start = header.index("arch"), 1
        lines = [(row[col] if col < len(row) else "") for row in csv.reader(lines[1:])]
    archs = []
    for number, text in enumerate(lines, start=start + 1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        try:
            archs.append(space.parse(text))
        except ArchitectureError as exc:
            raise ArchitectureError(f"{path}: line {number}: {exc}") from None
    if not archs:
        raise DataError(f"{path}: no architectures")
    return archs
