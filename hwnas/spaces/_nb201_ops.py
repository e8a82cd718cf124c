"""The torch modules of NAS-Bench-201, as in the official code (``xautodl.models.cell_operations``
and ``xautodl.models.cell_infers``), shared by the network and by its profiling units.

Only what the 15625 benchmark networks use is here: cells at stride 1 with equal input and output
channels, so ``skip_connect`` is always the identity and ``none`` always ``x * 0``.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ._nb201_cell import NB201_EDGES as EDGES

__all__ = [
    "ReLUConvBN",
    "Pooling",
    "Zero",
    "Identity",
    "Stem",
    "ResNetBasicBlock",
    "Head",
    "InferCell",
    "TinyNetwork",
    "NodeSum",
    "add_all",
    "make_op",
]


class ReLUConvBN(nn.Sequential):
    """ReLU, convolution without bias, affine BatchNorm (``nor_conv_kxk``)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def without_relu(self) -> nn.Sequential:
        """Its convolution and BN alone: what runs when another edge already computed the ReLU."""
        return nn.Sequential(self[1], self[2])


class Pooling(nn.Module):
    """``avg_pool_3x3``: 3x3 average pooling, stride 1, padding 1, padding not counted."""

    def __init__(self):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    """``none``: the official ``x.mul(0.)``, which the cell then adds like any other edge."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class Identity(nn.Module):
    """``skip_connect`` inside a cell (stride 1, same channels)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def make_op(name: str, channels: int) -> nn.Module:
    """The module of one cell edge."""
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3)
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1)
    if name == "avg_pool_3x3":
        return Pooling()
    if name == "skip_connect":
        return Identity()
    if name == "none":
        return Zero()
    raise ValueError(f"unknown NB201 op {name!r}")


def add_all(terms: Sequence[torch.Tensor]) -> torch.Tensor:
    """Left-to-right sum, as Python's ``sum`` in the official cell but without its ``0 +``."""
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


class InferCell(nn.Module):
    """One NB201 cell: node j is the sum over i < j of ``op_ij(node_i)``; the output is node 3."""

    def __init__(self, ops: Sequence[str], channels: int):
        super().__init__()
        self.layers = nn.ModuleList(make_op(name, channels) for name in ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for to in (1, 2, 3):
            terms = [layer(nodes[src]) for layer, (dst, src) in zip(self.layers, EDGES) if dst == to]
            nodes.append(add_all(terms))
        return nodes[3]


class Stem(nn.Sequential):
    """3x3 convolution (no bias) and BatchNorm."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out))


class ResNetBasicBlock(nn.Module):
    """The reduction between stages: two ReLU-Conv-BN (the first with stride 2) plus a shortcut
    of 2x2 average pooling and a 1x1 convolution."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class Head(nn.Module):
    """``lastact`` (BatchNorm, ReLU), global average pooling and the linear classifier."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.global_pooling(self.lastact(x)).flatten(1))


class TinyNetwork(nn.Module):
    """The NB201 macro: stem, 3 stages of ``cells_per_stage`` cells separated by residual
    reduction blocks, head. Returns the logits only (the official model also returns features)."""

    def __init__(self, ops: Sequence[str], num_classes: int = 10, in_channels: int = 3,
                 channels: int = 16, cells_per_stage: int = 5):
        super().__init__()
        self.stem = Stem(in_channels, channels)
        cells: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage > 0:
                cells.append(ResNetBasicBlock(c, 2 * c))
                c *= 2
            cells.extend(InferCell(ops, c) for _ in range(cells_per_stage))
        self.cells = nn.ModuleList(cells)
        self.head = Head(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.head(x)


class NodeSum(nn.Module):
    """The elementwise work of a cell node, on one tensor (a profiling unit): ``adds`` adds over
    ``adds + 1`` terms, ``zeros`` of which are ``x * 0``."""

    def __init__(self, adds: int, zeros: int):
        super().__init__()
        self.adds = adds
        self.zeros = nn.ModuleList(Zero() for _ in range(zeros))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        terms = [zero(x) for zero in self.zeros]
        return add_all(terms + [x] * (self.adds + 1 - len(terms)))
