"""FBNet: the 22-layer x 9-block space of Wu et al. (CVPR 2019), for CIFAR input as HW-NAS-Bench
and HELP use it (``../shared/data/fbnet/latency_ms.csv``)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from .._arch import Architecture
from .._errors import ArchitectureError, ConfigError
from .._space import Choice, Graph, UnitSlot, register_space
from .._unit import Unit
from ._blocks_units import CLASSIFIER, CONV_BN_RELU, INVERTED_RESIDUAL, conv_macs, unit_cost
from ._chain import ChainSpace

__all__ = ["FBNetSpace", "FBNET_BLOCKS", "FBNET_STAGES"]

# HW-NAS-Bench's PRIMITIVES order: gene value = index (its ``op_idx_list``).
FBNET_BLOCKS: tuple[str, ...] = ("k3_e1", "k3_e1_g2", "k3_e3", "k3_e6", "k5_e1", "k5_e1_g2", "k5_e3",
                                 "k5_e6", "skip")
# (searchable layers, output channels, stride of the first layer) per stage, CIFAR setting.
FBNET_STAGES: tuple[tuple[int, int, int], ...] = (
    (1, 16, 1), (4, 24, 1), (4, 32, 2), (4, 64, 2), (4, 112, 1), (4, 184, 2), (1, 352, 1))
_STEM, _HEAD = 16, 1504
_SKIP = FBNET_BLOCKS.index("skip")
_KINDS = ("input", "stem", *FBNET_BLOCKS, "head", "output")


@dataclass(frozen=True)
class _Block:
    """What a block name means: (kernel, expansion, groups); all zero for ``skip``."""

    kernel: int
    expansion: int
    groups: int

    @classmethod
    def named(cls, name: str) -> "_Block":
        if name == "skip":
            return cls(0, 0, 0)
        parts = name.split("_")  # k3_e6 or k5_e1_g2
        return cls(int(parts[0][1:]), int(parts[1][1:]), int(parts[2][1:]) if len(parts) == 3 else 1)


_BLOCKS = tuple(_Block.named(b) for b in FBNET_BLOCKS)


def _layers(in_channels: int = _STEM) -> list[tuple[int, int, int]]:
    """(in channels, out channels, stride) of the 22 searchable layers."""
    out = []
    for n, channels, stride in FBNET_STAGES:
        for i in range(n):
            out.append((in_channels, channels, stride if i == 0 else 1))
            in_channels = channels
    return out


_LAYERS = _layers()


def _check_shape(input_shape: tuple[int, ...]) -> tuple[int, int]:
    if len(input_shape) != 3 or input_shape[1] != input_shape[2] or min(input_shape) < 1:
        raise ConfigError(f"fbnet: input_shape must be (channels, size, size), got {tuple(input_shape)}")
    return int(input_shape[0]), int(input_shape[1])


@register_space("fbnet")
class FBNetSpace(ChainSpace):
    """FBNet (22 layers x 9 blocks), CIFAR macro-architecture of HW-NAS-Bench.

    Stem 3x3 conv to 16 channels (stride 1, BN, ReLU); 7 stages of 1, 4, 4, 4, 4, 4, 1 layers with
    16, 24, 32, 64, 112, 184, 352 channels whose first layers have strides 1, 1, 2, 2, 1, 2, 1; a
    1x1 conv head to 1504 channels (BN, ReLU), global average pooling and a linear classifier. Each
    layer is one of ``FBNET_BLOCKS``: ``k{3,5}_e{1,3,6}`` inverted residuals (the expand conv is
    there even at e=1), ``k{3,5}_e1_g2`` with group-2 1x1 convs and a channel shuffle, and
    ``skip`` (identity, or 1x1 conv + BN + ReLU where the stride or channel count changes). The
    string is the 22 block names joined by ``-``, as in the HELP / HW-NAS-Bench tables. Networks
    match HW-NAS-Bench's ``FBNet_Infer`` module for module, initialisation included.
    """

    name = "fbnet"
    default_num_classes = 100  # the benchmark's latencies are CIFAR-100 networks

    @property
    def choices(self) -> tuple[Choice, ...]:
        return tuple(Choice(f"layer{i}", FBNET_BLOCKS) for i in range(1, len(_LAYERS) + 1))

    # ----------------------------------------------------------------- strings
    def format(self, arch: Architecture) -> str:
        return "-".join(FBNET_BLOCKS[g] for g in self.check(arch).genes)

    def parse(self, text: str) -> Architecture:
        names = str(text).strip().split("-")
        if len(names) != len(_LAYERS):
            raise ArchitectureError(
                f"fbnet: expected {len(_LAYERS)} layers joined by '-' (e.g. 'k5_e6-skip-...'), got {len(names)}")
        genes = []
        for layer, name in enumerate(names, start=1):
            if name not in FBNET_BLOCKS:
                raise ArchitectureError(
                    f"fbnet: unknown block {name!r} at layer {layer}; known: {', '.join(FBNET_BLOCKS)}")
            genes.append(FBNET_BLOCKS.index(name))
        return self.make(genes)

    # ----------------------------------------------------------------- networks
    def unit_slots(self, input_shape: tuple[int, int, int] | None = None,
                   num_classes: int | None = None) -> list[UnitSlot]:
        """Stem, one slot per layer (its unit for each of the 9 blocks; ``None`` for an identity
        ``skip``), head, classifier: every layer's shape is fixed, so its unit is its gene's alone."""
        return list(_unit_slots(_check_shape(input_shape or self.default_input_shape),
                                num_classes or self.default_num_classes))

    def pieces(self, arch: Architecture, input_shape: tuple[int, int, int] | None = None,
               num_classes: int | None = None) -> list[tuple[str, Unit]]:
        """The network as named units in execution order (identity skips have none)."""
        genes = self.check(arch).genes
        chosen = ((name, units[genes[slot[0]] if slot else 0])  # one gene a layer (see unit_slots)
                  for name, slot, units in self.unit_slots(input_shape, num_classes))
        return [(name, unit) for name, unit in chosen if unit is not None]

    def all_units(self, input_shape: tuple[int, int, int] | None = None,
                  num_classes: int | None = None) -> list[Unit]:
        """Every distinct unit any network of the space runs (for a complete lookup table)."""
        return sorted({u for _, _, units in self.unit_slots(input_shape, num_classes) for u in units if u is not None})

    # ----------------------------------------------------------------- encodings
    def encode_genes(self, genes: np.ndarray) -> np.ndarray:
        """One-hot blocks, then per layer kernel, expansion and multiply-adds (M) at the default
        input, then the network's total multiply-adds (M); vectorised (table look-ups)."""
        genes = np.asarray(genes, dtype=np.int64)
        n_layers, n_blocks = len(_LAYERS), len(FBNET_BLOCKS)
        flat = genes + np.arange(n_layers) * n_blocks  # index into the flattened (layer, block) tables
        out = np.zeros((len(genes), n_layers * (n_blocks + 3) + 1), dtype=np.float32)
        np.put_along_axis(out, flat, 1.0, axis=1)
        for j, table in enumerate(_layer_tables()):
            start = n_layers * (n_blocks + j)
            out[:, start:start + n_layers] = table.ravel()[flat]
        out[:, -1] = out[:, -1 - n_layers:-1].sum(axis=1) + _fixed_macs() / 1e6
        return out

    @property
    def encoding_names(self) -> list[str]:
        names = super().encoding_names
        for what in ("kernel", "expansion", "mmacs"):
            names += [f"layer{i}.{what}" for i in range(1, len(_LAYERS) + 1)]
        return names + ["mmacs"]

    # ----------------------------------------------------------------- graph
    graph_feature_names = (*(f"is_{k}" for k in _KINDS), "kernel", "expansion", "groups", "stride",
                           "log2_in_channels", "log2_out_channels", "log2_resolution", "log10_1p_macs")

    def to_graph(self, arch: Architecture) -> Graph:
        """A chain: input, stem, the 22 layers, head (1x1 conv + classifier), output (26 nodes).

        Node features (``graph_feature_names``): one-hot node kind (input, stem, the 9 blocks,
        head, output), then kernel, expansion, groups, stride, log2 in/out channels, log2 input
        resolution and log10(1 + multiply-adds), at the default input and class count."""
        genes = self.check(arch).genes
        res = self.default_input_shape[1]
        rows, units = [_node("input", 0, 0, 0, 1, 3, 3, res, 0)], [()]
        rows.append(_node("stem", 3, 1, 1, 1, 3, _STEM, res, conv_macs(3, _STEM, res, 3)))
        units.append((Unit(CONV_BN_RELU, 3, _STEM, res, kernel=3),))
        for g, (cin, cout, stride) in zip(genes, _LAYERS):
            b = _BLOCKS[g]
            unit = _layer_unit(g, cin, cout, res, stride)
            macs = unit_cost(unit)[0] if unit is not None else 0
            rows.append(_node(FBNET_BLOCKS[g], b.kernel, b.expansion, b.groups, stride, cin, cout, res, macs))
            units.append(() if unit is None else (unit,))
            res = -(-res // stride)
        head = tuple(self.units(arch)[-2:])
        rows.append(_node("head", 1, 1, 1, 1, _LAYERS[-1][1], _HEAD, res, sum(unit_cost(u)[0] for u in head)))
        units.append(head)
        rows.append(_node("output", 0, 0, 0, 1, self.default_num_classes, self.default_num_classes, 1, 0))
        units.append(())
        n = len(rows)
        adjacency = np.eye(n, k=1, dtype=np.float32)
        return Graph(adjacency, np.stack(rows).astype(np.float32), tuple(units))


@functools.cache  # networks are read through these slots: build their units once per input shape
def _unit_slots(shape: tuple[int, int], num_classes: int) -> tuple[UnitSlot, ...]:
    c_in, res = shape
    out: list[UnitSlot] = [("stem", (), (Unit(CONV_BN_RELU, c_in, _STEM, res, kernel=3),))]
    for layer, (cin, cout, stride) in enumerate(_LAYERS, start=1):
        out.append((f"layer{layer}", (layer - 1,),
                    tuple(_layer_unit(g, cin, cout, res, stride) for g in range(len(FBNET_BLOCKS)))))
        res = -(-res // stride)
    out.append(("head", (), (Unit(CONV_BN_RELU, _LAYERS[-1][1], _HEAD, res),)))
    out.append(("classifier", (), (Unit(CLASSIFIER, _HEAD, num_classes, res),)))
    return tuple(out)


def _layer_unit(g: int, cin: int, cout: int, res: int, stride: int) -> Unit | None:
    """The unit of one searchable layer, or ``None`` for an identity ``skip``."""
    if g == _SKIP:
        if stride == 1 and cin == cout:
            return None
        return Unit(CONV_BN_RELU, cin, cout, res, kernel=1, stride=stride)
    b = _BLOCKS[g]
    return Unit(INVERTED_RESIDUAL, cin, cout, res, kernel=b.kernel, stride=stride, groups=b.groups,
                expansion=float(b.expansion), residual=stride == 1 and cin == cout)


def _node(kind: str, kernel: int, expansion: int, groups: int, stride: int, cin: int, cout: int,
          res: int, macs: int) -> np.ndarray:
    onehot = np.zeros(len(_KINDS), dtype=np.float32)
    onehot[_KINDS.index(kind)] = 1.0
    numeric = [kernel, expansion, groups, stride, math.log2(cin), math.log2(cout), math.log2(res),
               math.log10(1 + macs)]
    return np.concatenate([onehot, np.asarray(numeric, dtype=np.float32)])


_TABLES: list[np.ndarray] = []


def _layer_tables() -> list[np.ndarray]:
    """(22 x 9) tables of kernel, expansion and multiply-adds (M) per layer and block, at 32x32."""
    if not _TABLES:
        kernel = np.zeros((len(_LAYERS), len(FBNET_BLOCKS)), dtype=np.float32)
        expansion, macs = kernel.copy(), kernel.copy()
        res = FBNetSpace.default_input_shape[1]
        for i, (cin, cout, stride) in enumerate(_LAYERS):
            for g, b in enumerate(_BLOCKS):
                unit = _layer_unit(g, cin, cout, res, stride)
                kernel[i, g], expansion[i, g] = b.kernel, b.expansion
                macs[i, g] = 0.0 if unit is None else unit_cost(unit)[0] / 1e6
            res = -(-res // stride)
        _TABLES.extend([kernel, expansion, macs])
    return _TABLES


def _fixed_macs() -> int:
    """Multiply-adds of the stem, head and classifier at the default input (every network has them)."""
    res = FBNetSpace.default_input_shape[1]
    final = res
    for _, _, stride in _LAYERS:
        final = -(-final // stride)
    return (conv_macs(3, _STEM, res, 3) + conv_macs(_LAYERS[-1][1], _HEAD, final)
            + _HEAD * FBNetSpace.default_num_classes)

