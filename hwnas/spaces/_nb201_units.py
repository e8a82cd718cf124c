"""The profilable units of NAS-Bench-201 networks and their torch builders.

A network runs as: the stem; per cell, each convolution or pooling edge and then each node's
elementwise work; the two residual reduction blocks; the head. Which ReLUs, adds and ``x * 0``
ONNX Runtime actually runs (it merges and fuses many) is decided in ``_nb201_cell``:

- ``nb201_nor_conv``: ReLU-Conv-BN (BN folds into the conv); ``extra="no_relu"`` is the conv and
  BN alone, for an edge whose ReLU another edge runs or the runtime fuses away.
- ``nb201_avg_pool``: 3x3 average pooling.
- ``nb201_node`` (``extra="adds=a,zeros=z"``): a node's unfused adds and the ``x * 0`` of its
  ``none`` edges (real Muls: x may hold NaN), as one small graph of ``a`` adds over ``a + 1``
  terms of which ``z`` are zeroed. ``skip_connect`` is the identity: it only costs its add.
- ``nb201_stem``, ``nb201_resblock``, ``nb201_head``: the fixed parts.

Each builder returns the very module the network uses (from ``_nb201_ops``), so a unit is
literally a piece of the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._unit import Unit, register_unit_op

if TYPE_CHECKING:
    from torch import nn

__all__ = ["STEM", "NOR_CONV", "AVG_POOL", "NODE", "RESBLOCK", "HEAD", "UNIT_OPS", "NO_RELU",
           "node_extra", "parse_node_extra"]

STEM = "nb201_stem"
NOR_CONV = "nb201_nor_conv"
AVG_POOL = "nb201_avg_pool"
NODE = "nb201_node"
NO_RELU = "no_relu"  # extra of a nor_conv whose ReLU runs elsewhere or is fused away
RESBLOCK = "nb201_resblock"
HEAD = "nb201_head"
UNIT_OPS = (STEM, NOR_CONV, AVG_POOL, NODE, RESBLOCK, HEAD)


def node_extra(adds: int, zeros: int) -> str:
    """The ``extra`` of an ``nb201_node`` unit."""
    return f"adds={adds},zeros={zeros}"


def parse_node_extra(unit: Unit) -> tuple[int, int]:
    """``(adds, zeros)`` of an ``nb201_node`` unit."""
    try:
        fields = dict(item.split("=") for item in unit.extra.split(","))
        adds, zeros = int(fields.pop("adds")), int(fields.pop("zeros"))
        if fields or adds < 0 or not 0 <= zeros <= adds + 1 or adds + zeros == 0:
            raise ValueError
    except (ValueError, KeyError):
        from .._errors import ConfigError

        raise ConfigError(f"{NODE} unit needs extra 'adds=a,zeros=z' with 0 <= z <= a + 1 and a + z > 0, "
                          f"got {unit.extra!r}") from None
    return adds, zeros


@register_unit_op(STEM)
def _stem(unit: Unit) -> "nn.Module":
    from ._nb201_ops import Stem

    return Stem(unit.in_channels, unit.out_channels)


@register_unit_op(NOR_CONV)
def _nor_conv(unit: Unit) -> "nn.Module":
    from ._nb201_ops import ReLUConvBN

    module = ReLUConvBN(unit.in_channels, unit.out_channels, unit.kernel, unit.stride)
    return module.without_relu() if unit.extra == NO_RELU else module


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
