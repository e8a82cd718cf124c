"""NAS-Bench-201: the cell space of Dong & Yang (ICLR 2020), exact to the official code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from .._arch import Architecture
from .._errors import ArchitectureError, ConfigError
from .._space import Choice, Graph, SearchSpace, register_space
from .._unit import Unit
from ._nb201_order import official_genes, official_index
from ._nb201_cell import _EDGES_INTO, CONV, CONV1, CONV3, NB201_EDGES, NONE, cell_units, output_kind
from ._nb201_units import HEAD, RESBLOCK, STEM

if TYPE_CHECKING:
    import torch

__all__ = ["NB201Space", "NB201_OPS", "NB201_EDGES"]

NB201_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
_CHANNELS, _CELLS_PER_STAGE, _STAGES = 16, 5, 3


@register_space("nb201")
class NB201Space(SearchSpace):
    """NAS-Bench-201 cells (15625 networks, 6 edges x 5 ops), in the official index order.

    The macro is the official ``TinyNetwork``: a 3x3 conv stem to 16 channels with BN; three
    stages of 5 identical cells at 16, 32, 64 channels, separated by ResNet basic blocks of stride
    2; BN-ReLU, global average pooling, linear. ``params`` and ``flops`` follow NB201's counters
    (``get_model_infos``: parameters incl. BN, multiply-adds of convolutions and the linear layer
    incl. its bias), so they equal the benchmark's ``params`` and ``flops`` columns.
    """

    name = "nb201"

    @property
    def choices(self) -> tuple[Choice, ...]:
        return tuple(Choice(f"edge{dst}{src}", NB201_OPS) for dst, src in NB201_EDGES)

    # ----------------------------------------------------------------- strings
    def format(self, arch: Architecture) -> str:
        genes = self.check(arch).genes
        nodes: list[list[str]] = [[], [], []]
        for (dst, src), g in zip(NB201_EDGES, genes):
            nodes[dst - 1].append(f"{NB201_OPS[g]}~{src}")
        return "+".join("|" + "|".join(n) + "|" for n in nodes)

    def parse(self, text: str) -> Architecture:
        text = str(text).strip()
        nodes = text.split("+")
        if len(nodes) != 3:
            raise ArchitectureError(
                f"nb201: expected 3 nodes separated by '+' like "
                f"'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|', got {len(nodes)} in {text!r}")
        genes: list[int] = []
        for dst, node in enumerate(nodes, start=1):
            genes.extend(self._parse_node(dst, node, first_edge=len(genes)))
        return self.make(genes)

    def _parse_node(self, dst: int, node: str, first_edge: int) -> list[int]:
        if len(node) < 2 or not (node.startswith("|") and node.endswith("|")):
            raise ArchitectureError(f"nb201: node {dst} must be written '|op~i|...|', got {node!r}")
        edges = node[1:-1].split("|")
        if len(edges) != dst:
            raise ArchitectureError(f"nb201: node {dst} must have {dst} input edge(s), got {len(edges)} in {node!r}")
        return [self._parse_edge(first_edge + src, dst, src, tok) for src, tok in enumerate(edges)]

    @staticmethod
    def _parse_edge(edge: int, dst: int, src: int, token: str) -> int:
        where = f"edge {edge} (node {dst} <- node {src})"
        op, sep, index = token.partition("~")
        if not sep:
            raise ArchitectureError(f"nb201: {where}: expected 'op~{src}', got {token!r}")
        if op not in NB201_OPS:
            raise ArchitectureError(f"nb201: unknown op {op!r} at {where}; known: {', '.join(NB201_OPS)}")
        if index != str(src):
            raise ArchitectureError(f"nb201: bad input node index {index!r} at {where}: expected {src}")
        return NB201_OPS.index(op)

    # ----------------------------------------------------------------- official order
    @property
    def size(self) -> int:
        return 5 ** 6

    def enumerate(self) -> Iterator[Architecture]:
        """All 15625 cells in the official NB201 index order (``nb201_index`` of the tables)."""
        for genes in official_genes().tolist():
            yield Architecture(self.name, tuple(genes))

    def index(self, arch: "Architecture | str") -> int:
        """The official NB201 index of ``arch``."""
        return official_index(self.as_arch(arch).genes)

    def from_index(self, index: int) -> Architecture:
        """The architecture of official NB201 index ``index``."""
        if not 0 <= int(index) < self.size:
            raise ArchitectureError(f"nb201: index must be in 0..{self.size - 1}, got {index}")
        return Architecture(self.name, tuple(official_genes()[int(index)].tolist()))

    # ----------------------------------------------------------------- networks
    def build(self, arch: Architecture, num_classes: int | None = None,
              input_shape: tuple[int, int, int] | None = None) -> "torch.nn.Module":
        from ._nb201_ops import TinyNetwork

        c_in, _ = _check_shape(input_shape or self.default_input_shape)
        ops = [NB201_OPS[g] for g in self.check(arch).genes]
        return TinyNetwork(ops, num_classes or self.default_num_classes, c_in, _CHANNELS, _CELLS_PER_STAGE)

    def flops(self, arch: Architecture, num_classes: int | None = None,
              input_shape: tuple[int, int, int] | None = None) -> int:
        """Multiply-adds as NB201 counts them: convolutions and the linear layer with its bias."""
        c_in, res = _check_shape(input_shape or self.default_input_shape)
        genes = self.check(arch).genes
        classes = num_classes or self.default_num_classes
        per_position = sum(9 if g == CONV3 else 1 if g == CONV1 else 0 for g in genes)
        total = c_in * _CHANNELS * 9 * res * res
        for stage, (c, r) in enumerate(_stages(res)):
            total += _CELLS_PER_STAGE * per_position * c * c * r * r
            if stage > 0:  # the reduction block into this stage: two 3x3 convs and a 1x1 shortcut
                total += (9 * c // 2 * c + 9 * c * c + c // 2 * c) * r * r
        c_last = _CHANNELS * 2 ** (_STAGES - 1)
        return total + c_last * classes + classes

    def units(self, arch: Architecture, input_shape: tuple[int, int, int] | None = None) -> list[Unit]:
        """Stem; per cell the conv / pool edges and the nodes' elementwise work that ONNX
        Runtime actually runs after merging and fusing ops (``_nb201_cell``); the two reduction
        blocks; the head. 34 to 124 units a network, 43 distinct units over the whole space at a
        given input.

        All cell units keep their input shape, so a profiler can time their marginal cost inside
        a chain, ``(T(unit x k) - T(unit)) / (k - 1)``, free of the per-run overhead and of the
        layout conversions ONNX Runtime adds at the edges of a one-op graph, as inside the
        network (``benchmarks/nb201_unit_sum.py`` compares the ways of costing units).
        """
        c_in, res = _check_shape(input_shape or self.default_input_shape)
        genes = self.check(arch).genes
        out = [Unit(STEM, c_in, _CHANNELS, res, kernel=3)]
        for stage, (c, r) in enumerate(_stages(res)):
            if stage > 0:
                out.append(Unit(RESBLOCK, c // 2, c, 2 * r, kernel=3, stride=2, residual=True))
            out.extend(u for cell in _cells(genes, c, r, stage) for _, u in cell)
        c_last = _CHANNELS * 2 ** (_STAGES - 1)
        out.append(Unit(HEAD, c_last, self.default_num_classes, res // 4))
        return out

    def degenerate_mask(self, genes: np.ndarray) -> np.ndarray:
        """Cells where every path from the input (node 0) to the output (node 3) has a ``none``
        edge: 341 of the 15625 networks, all at 10% accuracy."""
        alive = np.asarray(genes) != NONE
        reached = [np.ones(len(alive), dtype=bool)]  # node -> an alive path from node 0 reaches it
        for into in _EDGES_INTO:
            reached.append(np.any([reached[NB201_EDGES[k][1]] & alive[:, k] for k in into], axis=0))
        return ~reached[3]

    def to_graph(self, arch: Architecture) -> Graph:
        """Input node, the 6 edge ops as nodes, output node (as HELP / BRP-NAS).

        Features: one-hot over ``input, <the 5 ops>, output``. Each op node holds its units over
        the 15 cells at the default input; a node's adds are held by its last input edge.
        """
        genes = self.check(arch).genes
        n = len(NB201_EDGES) + 2
        adjacency = np.zeros((n, n), dtype=np.float32)
        for k, (dst, src) in enumerate(NB201_EDGES):
            if src == 0:
                adjacency[0, k + 1] = 1.0
            for j, (_, src2) in enumerate(NB201_EDGES):
                if src2 == dst:
                    adjacency[k + 1, j + 1] = 1.0
            if dst == 3:
                adjacency[k + 1, n - 1] = 1.0
        features = np.zeros((n, len(NB201_OPS) + 2), dtype=np.float32)
        features[0, 0] = features[n - 1, -1] = 1.0
        features[np.arange(1, n - 1), np.asarray(genes) + 1] = 1.0
        per_edge: list[list[Unit]] = [[] for _ in NB201_EDGES]
        for stage, (c, r) in enumerate(_stages(self.default_input_shape[1])):
            for cell in _cells(genes, c, r, stage):
                for edge, unit in cell:
                    per_edge[edge].append(unit)
        units = ((),) + tuple(tuple(u) for u in per_edge) + ((),)
        return Graph(adjacency, features, units)


def _stages(res: int) -> list[tuple[int, int]]:
    """(channels, resolution) of each stage's cells."""
    return [(_CHANNELS * 2 ** s, res // 2 ** s) for s in range(_STAGES)]


def _check_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(channels, resolution)`` of a valid NB201 input: square, side divisible by 4."""
    if len(shape) != 3 or min(shape) < 1 or shape[1] != shape[2] or shape[1] % 4:
        raise ConfigError(f"nb201: input_shape must be (C, H, H) with H divisible by 4, got {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def _cells(genes: tuple[int, ...], channels: int, res: int, stage: int) -> list[tuple]:
    """``cell_units`` of a stage's cells: the first reads the stem's or a reduction block's
    convolution, the others the previous cell's output."""
    cells = [cell_units(genes, channels, res, CONV, stage == 0)]
    x0 = output_kind(genes, CONV, stage == 0)
    while len(cells) < _CELLS_PER_STAGE:
        cells.append(cell_units(genes, channels, res, x0))
        x0 = output_kind(genes, x0)
    return cells
