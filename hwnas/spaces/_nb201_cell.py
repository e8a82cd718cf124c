"""What ONNX Runtime actually runs of one NAS-Bench-201 cell, as profilable units.

A cell's graph is not run op by op. With full graph optimisation ONNX Runtime:

1. removes the ``skip_connect`` identity, so node 1 fed by a skip *is* the cell input;
2. merges identical parameter-free ops on one tensor (common-subexpression elimination): one
   ReLU, one 3x3 average pooling and one ``x * 0`` per source node, however many edges use them;
3. folds BN into the convolution before it, and a ``x * 0`` into the convolution computing x when
   nothing else reads x (only real convolutions at that stage: node 1 after a ``nor_conv`` edge, the
   network's input after the stem);
4. runs convolutions and poolings in a blocked layout (NCHWc); an Add of two blocked tensors one
   of which is an edge's convolution output (not yet holding a sum) becomes that convolution's
   "Sum" input, and a ReLU that alone reads a convolution's output becomes its activation. The
   ``x * 0`` stays in the plain layout, and so does any Add that reads it.

The units below follow these rules (cost of the layout conversions aside); the ORT graph test in
``tests/test_space_nb201.py`` checks them against the optimised graph.
"""

from __future__ import annotations

from functools import lru_cache

from .._unit import Unit
from ._nb201_units import AVG_POOL, NO_RELU, NODE, NOR_CONV, node_extra

__all__ = ["cell_units", "output_kind", "CONV", "BLOCKED", "PLAIN", "NB201_EDGES",
           "NONE", "SKIP", "CONV1", "CONV3", "POOL"]

# Edges as (to_node, from_node), in the order of the string |op~0|+|op~0|op~1|+|op~0|op~1|op~2|.
NB201_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
NONE, SKIP, CONV1, CONV3, POOL = range(5)
_CONVS = (CONV1, CONV3)
# The layout of a tensor in the optimised graph: a convolution's output (blocked), another
# blocked tensor, a plain (NCHW) tensor.
CONV, BLOCKED, PLAIN = "conv", "blocked", "plain"
_EDGES_INTO = tuple(tuple(k for k, (dst, _) in enumerate(NB201_EDGES) if dst == node) for node in (1, 2, 3))


def _node_sums(genes: tuple[int, ...], alias: tuple[int, ...], x0: str,
               folded: frozenset[int] = frozenset()) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The unfused adds of nodes 1..3 and the layout kind of nodes 0..3; ``folded``: the sources
    whose ``x * 0`` is folded into the convolution computing them."""
    def kind_of(k: int, kinds: list[str]) -> str:
        src = alias[NB201_EDGES[k][1]]
        return CONV if genes[k] == NONE and src in folded else _edge_kind(genes[k], kinds[src])

    kinds = [x0]
    kinds.append(x0 if genes[0] == SKIP else kind_of(0, kinds))
    adds = [0]
    seen: dict[tuple, str] = {}
    for edges in _EDGES_INTO[1:]:
        terms = [(_value(genes, alias, k), kind_of(k, kinds), genes[k] in _CONVS) for k in edges]
        value, kind, fresh = terms[0]
        n = 0
        for t_value, t_kind, t_fresh in terms[1:]:
            value = ("add", value, t_value)
            if value in seen:  # the same sum of the same tensors: computed once
                kind, fresh = seen[value], False
                continue
            if kind != PLAIN and t_kind != PLAIN and (fresh or t_fresh):
                kind = CONV  # the add becomes a convolution's Sum input
            else:
                n += 1
                kind = BLOCKED if kind != PLAIN and t_kind != PLAIN else PLAIN
            seen[value], fresh = kind, False
        adds.append(n)
        kinds.append(kind)
    return tuple(adds), tuple(kinds)


def _value(genes: tuple[int, ...], alias: tuple[int, ...], edge: int) -> tuple:
    """What edge ``edge`` computes: parameter-free ops on one tensor are the same value."""
    src = alias[NB201_EDGES[edge][1]]
    return ("conv", edge) if genes[edge] in _CONVS else (genes[edge], src)


def _edge_kind(gene: int, source_kind: str) -> str:
    if gene in _CONVS:
        return CONV
    if gene == POOL:
        return BLOCKED
    return PLAIN if gene == NONE else source_kind


def _alias(genes: tuple[int, ...]) -> tuple[int, int, int]:
    """A ``skip_connect`` into node 1 makes node 1 the cell input itself."""
    return (0, 0 if genes[0] == SKIP else 1, 2)


def _readers(genes: tuple[int, ...], alias: tuple[int, ...]) -> dict[int, list[int]]:
    """The edges that read each source node (node 1 fed by a skip is node 0)."""
    readers: dict[int, list[int]] = {0: [], 1: [], 2: []}
    for k, (_, src) in enumerate(NB201_EDGES):
        if k > 0 or genes[0] != SKIP:
            readers[alias[src]].append(k)
    return readers


def _folded_zeros(genes: tuple[int, ...], readers: dict[int, list[int]], input_from_stem: bool) -> set[int]:
    """Sources whose ``x * 0`` folds into the plain convolution computing them: only ``none``
    edges read them (the cell input after the stem; node 1 after a ``nor_conv``)."""
    plain_conv = ({0} if input_from_stem else set()) | ({1} if genes[0] in _CONVS else set())
    return {s for s in plain_conv if all(genes[k] == NONE for k in readers[s])}


@lru_cache(maxsize=1 << 16)
def output_kind(genes: tuple[int, ...], x0: str, input_from_stem: bool = False) -> str:
    """The layout kind of the cell's output (node 3) when its input is of kind ``x0``."""
    alias = _alias(genes)
    folded = _folded_zeros(genes, _readers(genes, alias), input_from_stem)
    return _node_sums(genes, alias, x0, frozenset(folded))[1][3]


@lru_cache(maxsize=1 << 16)
def cell_units(genes: tuple[int, ...], channels: int, res: int, x0: str,
               input_from_stem: bool = False) -> tuple[tuple[int, Unit], ...]:
    """(edge, unit) of one cell in execution order: each node's conv and pool edges, then its
    elementwise work (unfused adds and zeros), which belongs to its last edge.

    ``x0``: the layout kind of the cell input (``CONV`` after the stem or a reduction block).
    ``input_from_stem``: it is the stem's output, a plain convolution that a ``x * 0`` can fold
    into.
    """
    alias = _alias(genes)
    readers = _readers(genes, alias)
    zeroed = _folded_zeros(genes, readers, input_from_stem)
    adds, kinds = _node_sums(genes, alias, x0, frozenset(zeroed))
    relu_done = {s for s in (0, 1, 2) if kinds[s] == CONV and all(genes[k] in _CONVS for k in readers[s])}
    pooled: set[int] = set()
    out: list[tuple[int, Unit]] = []
    for node, edges in enumerate(_EDGES_INTO, start=1):
        zeros = 0
        for k in edges:
            src, gene = alias[NB201_EDGES[k][1]], genes[k]
            if gene in _CONVS:
                extra = NO_RELU if src in relu_done else ""
                out.append((k, _unit(NOR_CONV, channels, res, 3 if gene == CONV3 else 1, extra)))
                relu_done.add(src)
            elif gene == POOL and src not in pooled:
                out.append((k, _unit(AVG_POOL, channels, res, 3)))
                pooled.add(src)
            elif gene == NONE and src not in zeroed:
                zeros += 1
                zeroed.add(src)
        out.extend((edges[-1], _unit(NODE, channels, res, 1, extra)) for extra in _node_extras(adds[node - 1], zeros))
    return tuple(out)


def _node_extras(adds: int, zeros: int) -> list[str]:
    """A node's elementwise work as ``nb201_node`` units: one unit runs ``z <= a + 1`` zeros as
    terms of its ``a`` adds; zeros beyond that (feeding fused sums) are single-Mul units."""
    if adds + zeros == 0:
        return []
    first = min(zeros, adds + 1)
    return [node_extra(adds, first)] + [node_extra(0, 1)] * (zeros - first)


@lru_cache(maxsize=1024)
def _unit(op: str, channels: int, res: int, kernel: int, extra: str = "") -> Unit:
    """A cell unit (shared instances: a network holds up to 124 of them)."""
    return Unit(op, channels, channels, res, kernel=kernel, extra=extra)
