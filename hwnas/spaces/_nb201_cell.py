"""What ONNX Runtime actually runs of one NAS-Bench-201 cell, as profilable units.

A cell's graph is not run op by op. With full graph optimisation ONNX Runtime:

1. removes the ``skip_connect`` identity, so node 1 fed by a skip *is* the cell input;
2. merges identical parameter-free ops on one tensor (common-subexpression elimination): one
   ReLU, one 3x3 average pooling and one ``x * 0`` per source node, however many edges use them;
3. folds BN into the convolution before it, and a ``x * 0`` into the convolution computing x when
   nothing else reads x (only real convolutions at that stage: node 1 after a ``nor_conv`` edge, the
   network's input after the stem);
4. runs convolutions in a blocked layout (NCHWc) and fuses into a convolution an Add of its output
   with another tensor ("Sum" input), and then the ReLU that alone reads the result.

So: an Add with a convolution's output among its terms is free, and so is a left-to-right sum
that already started with one; a source node's ReLU is free when the node is such a convolution
output and only ``nor_conv`` edges read it. The units below follow these rules; the ORT graph test
in ``tests/test_space_nb201.py`` checks them against the optimised graph node by node.
"""

from __future__ import annotations

from functools import lru_cache

from .._unit import Unit
from ._nb201_units import AVG_POOL, NO_RELU, NODE, NOR_CONV, node_extra

__all__ = ["cell_units", "output_is_conv", "NB201_EDGES", "NONE", "SKIP", "CONV1", "CONV3", "POOL"]

# Edges as (to_node, from_node), in the order of the string |op~0|+|op~0|op~1|+|op~0|op~1|op~2|.
NB201_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
NONE, SKIP, CONV1, CONV3, POOL = range(5)
_CONVS = (CONV1, CONV3)
_EDGES_INTO = tuple(tuple(k for k, (dst, _) in enumerate(NB201_EDGES) if dst == node) for node in (1, 2, 3))


def _sum_is_conv(genes: tuple[int, ...], edges: tuple[int, ...]) -> tuple[int, bool]:
    """(Adds left unfused, whether the result is a convolution's output) of a node's
    left-to-right sum over ``edges``."""
    adds, acc_is_conv = 0, genes[edges[0]] in _CONVS
    for k in edges[1:]:
        if not (acc_is_conv or genes[k] in _CONVS):
            adds += 1
        acc_is_conv = acc_is_conv or genes[k] in _CONVS
    return adds, acc_is_conv


def output_is_conv(genes: tuple[int, ...]) -> bool:
    """Whether the cell's output (node 3) is a convolution's output in the optimised graph."""
    return _sum_is_conv(genes, _EDGES_INTO[2])[1]


@lru_cache(maxsize=1 << 16)
def cell_units(genes: tuple[int, ...], channels: int, res: int, input_is_conv: bool,
               input_from_stem: bool = False) -> tuple[tuple[int, Unit], ...]:
    """(edge, unit) of one cell in execution order: each node's conv and pool edges, then its
    elementwise work (unfused adds and zeros), which belongs to its last edge.

    ``input_is_conv``: the cell input is a convolution's output in the blocked layout (after the
    stem, a reduction block, or a cell whose output is one). ``input_from_stem``: it is the stem's
    output, a plain convolution that a ``x * 0`` can fold into.
    """
    alias = (0, 0 if genes[0] == SKIP else 1, 2)  # a skip into node 1 makes it the input itself
    readers: dict[int, list[int]] = {0: [], 1: [], 2: []}
    for k, (_, src) in enumerate(NB201_EDGES):
        if k > 0 or genes[0] != SKIP:
            readers[alias[src]].append(k)
    blocked_conv = {0} if input_is_conv else set()
    plain_conv = {0} if input_from_stem else set()
    if genes[0] in _CONVS:
        blocked_conv.add(1)
        plain_conv.add(1)
    if _sum_is_conv(genes, _EDGES_INTO[1])[1]:
        blocked_conv.add(2)
    relu_done = {s for s in blocked_conv if all(genes[k] in _CONVS for k in readers[s])}
    zeroed = {s for s in plain_conv if all(genes[k] == NONE for k in readers[s])}
    pooled: set[int] = set()
    out: list[tuple[int, Unit]] = []
    for edges in _EDGES_INTO:
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
        adds = _sum_is_conv(genes, edges)[0]
        out.extend((edges[-1], _unit(NODE, channels, res, 1, extra)) for extra in _node_extras(adds, zeros))
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
