"""Per-architecture latency features computed from its units, cached, for whole batches.

Every latency surrogate reads the same description of a network: the lookup-table sum of its units
(when a profile is there), per unit-op sums, multiply-adds, parameters and memory traffic. The
costs of each *distinct* unit are counted once (by building the unit alone), so a batch of
thousands of architectures costs one ``space.units`` call each, and nothing on the second call.
"""

from __future__ import annotations

from functools import cached_property
from typing import Mapping, Sequence

import numpy as np

from hwnas import (Architecture, ArchitectureError, DataError, SearchSpace, Unit, build_unit, list_unit_ops,
                   unit_op_costs)

from ._lat_index import GenomeIndex

__all__ = ["LatencyFeatures", "unit_costs"]


def unit_costs(unit: Unit, use_formula: bool = True) -> tuple[float, float, float]:
    """(multiply-adds, parameters, memory traffic in elements: input + output + weights) of a unit.

    From the op's registered formula (``hwnas.unit_op_costs``) when it has one and
    ``use_formula``; else counted on the unit's module built on the meta device, multiply-adds
    of convolutions and linear layers from one forward pass with hooks (much cheaper than
    ``FlopCounterMode``, and exact for these layers, but still ~10 ms a unit)."""
    formula = unit_op_costs(unit) if use_formula else None
    if formula is not None:
        return formula
    import torch

    with torch.device("meta"):  # shapes only: no weights initialised, no arithmetic done
        module = build_unit(unit)
    macs = [0.0]

    def hook(layer, _inputs, output) -> None:
        if isinstance(layer, torch.nn.Conv2d):
            k = layer.kernel_size[0] * layer.kernel_size[1]
            macs[0] += output.numel() * k * layer.in_channels / layer.groups
        elif isinstance(layer, torch.nn.Linear):
            macs[0] += output.numel() * layer.in_features

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    try:
        with torch.no_grad():
            out = module(torch.zeros(1, *unit.input_shape, device="meta"))
    finally:
        for h in handles:
            h.remove()
    params = float(sum(p.numel() for p in module.parameters()))
    traffic = unit.in_channels * unit.resolution ** 2 + float(out.numel()) + params
    return float(macs[0]), params, float(traffic)


class LatencyFeatures:
    """Feature rows of architectures: ``names`` says what each column is.

    ``lut`` maps a unit to its measured latency (ms); without one the LUT columns are left out.
    ``ops`` fixes the per-op columns (default: every registered unit op) so that saved models see
    the same columns after loading.
    """

    def __init__(self, space: SearchSpace, lut: Mapping[Unit, float] | None = None,
                 input_shape: tuple[int, int, int] | None = None, ops: Sequence[str] | None = None) -> None:
        self.space = space
        self.lut = dict(lut) if lut is not None else None
        self.input_shape = tuple(input_shape or space.default_input_shape)
        self.ops = list(ops) if ops is not None else list_unit_ops()
        self._unit_rows: dict[Unit, np.ndarray] = {}
        self._cache: dict[tuple[int, ...], np.ndarray] = {}  # canonical genes -> row
        self._index = GenomeIndex(space.cardinalities)
        self._rows = np.empty((0, len(self.names)), dtype=np.float64)  # row of each index slot

    @property
    def names(self) -> list[str]:
        base = ["n_units", "macs", "params", "memory"] + [f"macs[{op}]" for op in self.ops] + [f"count[{op}]" for op in self.ops]
        if self.lut is not None:
            base = ["lut_sum"] + [f"lut[{op}]" for op in self.ops] + base
        return base

    def _unit_row(self, unit: Unit) -> np.ndarray:
        row = self._unit_rows.get(unit)
        if row is None:
            macs, params, memory = unit_costs(unit)
            onehot = np.array([unit.op == op for op in self.ops], dtype=np.float64)
            row = np.concatenate([[1.0, macs, params, memory], macs * onehot, onehot])
            if self.lut is not None:
                ms = self._lookup(unit)
                row = np.concatenate([[ms], ms * onehot, row])
            self._unit_rows[unit] = row
        return row

    def _lookup(self, unit: Unit) -> float:
        try:
            return float(self.lut[unit])  # type: ignore[index]
        except KeyError:
            raise DataError(f"the lookup table has no row for {unit}; profile the architectures that use it") from None

    def of_arch(self, arch: Architecture) -> np.ndarray:
        row = self._cache.get(arch.genes)
        if row is None:
            units = self.space.units(arch, self.input_shape)
            row = np.sum([self._unit_row(u) for u in units], axis=0) if units else np.zeros(len(self.names))
            self._cache[arch.genes] = row
        return row

    def slots(self, genes: np.ndarray) -> np.ndarray:
        """Slot of each gene row in the feature array, computing the rows not seen before."""
        genes = self.validated(genes)
        slots = self._index.lookup(genes)
        missing = slots < 0
        if missing.any():
            new = np.unique(genes[missing], axis=0)
            rows = self._new_rows(new)
            first = self._index.add(new)
            self._grow(first[-1] + 1)
            self._rows[first] = rows
            slots[missing] = self._index.lookup(genes[missing])
        return slots

    def _new_rows(self, genes: np.ndarray) -> np.ndarray:
        """Feature rows of distinct canonical gene rows: summed from per-slot tables when the space
        has ``unit_slots`` (in execution order, as ``of_arch`` sums, so the rows are identical),
        else network by network. A row needing a unit the lookup table lacks is made by
        ``of_arch``, which names that unit."""
        tables = self._slot_tables
        if tables is None:
            return np.stack([self.of_arch(self.space.make(g)) for g in genes.tolist()])
        cards = np.asarray(self.space.cardinalities)
        out = np.zeros((len(genes), len(self.names)))
        for slot_genes, table in tables:
            if not slot_genes:
                out += table[0]
                continue
            out += table[np.ravel_multi_index(tuple(genes[:, list(slot_genes)].T), tuple(cards[list(slot_genes)]))]
        for i in np.flatnonzero(np.isnan(out).any(axis=1)):
            out[i] = self.of_arch(self.space.make(genes[i].tolist()))
        return out

    @cached_property
    def _slot_tables(self) -> list[tuple[tuple[int, ...], np.ndarray]] | None:
        """Per slot of ``space.unit_slots``: its genes and the feature row of each of their value
        combinations' unit (zeros for no unit, NaN for a unit the lookup table lacks); ``None``
        when the space has no slots. Built on first use: it costs every unit of the space once."""
        slots = self.space.unit_slots(self.input_shape)
        return None if slots is None else [(tuple(genes), np.stack([self._slot_row(u) for u in units]))
                                           for _, genes, units in slots]

    def _slot_row(self, unit: Unit | None) -> np.ndarray:
        if unit is None:
            return np.zeros(len(self.names))
        try:
            return self._unit_row(unit)
        except DataError:
            return np.full(len(self.names), np.nan)

    @property
    def size(self) -> int:
        """Number of slots handed out so far (slots are 0..size-1)."""
        return self._index.size

    def rows(self, slots: np.ndarray) -> np.ndarray:
        """Feature rows of slots returned by ``slots``."""
        return self._rows[slots]

    def compute(self, genes: np.ndarray) -> np.ndarray:
        """``(N, len(names))`` float64 features of a gene matrix."""
        slots = self.slots(genes)  # first: it may grow (replace) the row array
        return self._rows[slots]

    def validated(self, genes: np.ndarray) -> np.ndarray:
        """``genes`` as an ``(N, n_genes)`` int64 matrix; the space's own error for an invalid row."""
        genes = np.asarray(genes, dtype=np.int64)
        if genes.ndim == 1 and genes.size == 0:
            genes = genes.reshape(0, len(self.space.cardinalities))
        cards = np.asarray(self.space.cardinalities)
        if genes.ndim != 2 or genes.shape[1] != len(cards):
            raise ArchitectureError(f"{self.space.name}: expected an (N, {len(cards)}) gene matrix, got shape {genes.shape}")
        bad = np.flatnonzero(((genes < 0) | (genes >= cards)).any(axis=1))
        if len(bad):
            self.space.make(genes[bad[0]].tolist())  # raises the space's own clear error
        return genes

    def _grow(self, n: int) -> None:
        if n > len(self._rows):  # doubling keeps appends amortised O(1)
            grown = np.empty((max(n, 2 * len(self._rows)), self._rows.shape[1]), dtype=np.float64)
            grown[:len(self._rows)] = self._rows
            self._rows = grown

    def lut_sums(self, genes: np.ndarray) -> np.ndarray:
        if self.lut is None:
            raise DataError("these features were built without a lookup table")
        return self.compute(genes)[:, 0]
