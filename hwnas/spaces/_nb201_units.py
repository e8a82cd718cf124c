"""The profilable units of NAS-Bench-201 networks and their torch builders.

A network runs as: the stem; per cell, each convolution or pooling edge and then each node's
elementwise work; the two residual reduction blocks; the head. ReLU-Conv-BN is one unit: ONNX
Runtime folds the BN into the conv and keeps the ReLU beside it.

ONNX Runtime's common-subexpression elimination merges identical parameter-free ops on the same
tensor, so a cell runs one ReLU, one 3x3 average pooling and one ``x * 0`` per source node, however
many edges leave it with that op. The units follow: the first ``nor_conv`` edge of a source holds
the ReLU and the others are ``extra="shared_relu"`` (conv and BN only); an ``avg_pool_3x3`` edge
whose source is already pooled, or a ``none`` edge whose source is already zeroed, adds no work but
its add.

The elementwise work of a node is one ``nb201_node`` unit (``extra="inputs=k,zeros=z"``): the adds
of its k terms and the ``x * 0`` of its z ``none`` edges (a real Mul: ONNX Runtime cannot drop it
since x may hold NaN, and folds it only into a convolution whose output nothing else reads, which
``nb201._cell_units`` accounts for). ``skip_connect`` is the identity: it costs only its share of the
adds. Folding these tiny ops into one unit per node, rather than one per edge, keeps the number
of tiny graphs (each timed with its own per-run overhead) small.

Each builder returns the very module the network uses (from ``_nb201_ops``), so a unit is
literally a piece of the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._unit import Unit, register_unit_op

if TYPE_CHECKING:
    from torch import nn

__all__ = ["STEM", "NOR_CONV", "AVG_POOL", "NODE", "RESBLOCK", "HEAD", "UNIT_OPS", "SHARED_RELU",
           "node_extra", "parse_node_extra"]

STEM = "nb201_stem"
NOR_CONV = "nb201_nor_conv"
AVG_POOL = "nb201_avg_pool"
NODE = "nb201_node"
SHARED_RELU = "shared_relu"  # extra of a nor_conv whose ReLU another edge of the same source runs
RESBLOCK = "nb201_resblock"
HEAD = "nb201_head"
UNIT_OPS = (STEM, NOR_CONV, AVG_POOL, NODE, RESBLOCK, HEAD)


def node_extra(inputs: int, zeros: int) -> str:
    """The ``extra`` of an ``nb201_node`` unit."""
    return f"inputs={inputs},zeros={zeros}"


def parse_node_extra(unit: Unit) -> tuple[int, int]:
    """``(inputs, zeros)`` of an ``nb201_node`` unit."""
    try:
        fields = dict(item.split("=") for item in unit.extra.split(","))
        inputs, zeros = int(fields.pop("inputs")), int(fields.pop("zeros"))
        if fields or not 0 <= zeros <= inputs or inputs < 1 or (inputs == 1 and zeros == 0):
            raise ValueError
    except (ValueError, KeyError):
        from .._errors import ConfigError

        raise ConfigError(f"{NODE} unit needs extra 'inputs=k,zeros=z' (1 <= k, z <= k, some work), "
                          f"got {unit.extra!r}") from None
    return inputs, zeros


@register_unit_op(STEM)
def _stem(unit: Unit) -> "nn.Module":
    from ._nb201_ops import Stem

    return Stem(unit.in_channels, unit.out_channels)


@register_unit_op(NOR_CONV)
def _nor_conv(unit: Unit) -> "nn.Module":
    from ._nb201_ops import ReLUConvBN

    module = ReLUConvBN(unit.in_channels, unit.out_channels, unit.kernel, unit.stride)
    return module.without_relu() if unit.extra == SHARED_RELU else module


@register_unit_op(AVG_POOL)
def _avg_pool(unit: Unit) -> "nn.Module":
    from ._nb201_ops import Pooling

    return Pooling()


@register_unit_op(NODE)
def _node(unit: Unit) -> "nn.Module":
    from ._nb201_ops import NodeSum

    return NodeSum(*parse_node_extra(unit))


@register_unit_op(RESBLOCK)
def _resblock(unit: Unit) -> "nn.Module":
    from ._nb201_ops import ResNetBasicBlock

    return ResNetBasicBlock(unit.in_channels, unit.out_channels)


@register_unit_op(HEAD)
def _head(unit: Unit) -> "nn.Module":
    from ._nb201_ops import Head

    return Head(unit.in_channels, unit.out_channels)
