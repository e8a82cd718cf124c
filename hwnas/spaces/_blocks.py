"""Torch building blocks of MobileNet-style chains, shared by the ``fbnet`` and ``mbconv`` spaces.

Every network of these spaces is a :class:`ChainNet`: a named sequence of the modules below, one per
profiled unit (``hwnas.Unit``), built by :func:`unit_module`. The network and its profiling units are
therefore literally the same modules. The attribute names are stable so that other parts (structured
pruning, quantisation) can walk a network: an :class:`InvertedResidual` has ``expand`` (or ``None``),
``shuffle`` (or ``None``), ``depthwise``, ``project`` and ``use_residual``; a :class:`ConvBNReLU` has
``conv``, ``bn`` and ``act`` (or ``None``).

Convolutions have no bias (BatchNorm follows) and ``padding = kernel // 2``, as in FBNet's reference
code (HW-NAS-Bench ``fbnet_models``), MobileNetV2 and Once-for-All.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._errors import ConfigError
from .._unit import Unit
from ._blocks_units import (
    CLASSIFIER,
    CONV_BN_RELU,
    DEPTHWISE_SEPARABLE,
    INVERTED_RESIDUAL,
    RESIZE,
    resize_size,
)

__all__ = [
    "ConvBNReLU",
    "ChannelShuffle",
    "InvertedResidual",
    "Classifier",
    "Resize",
    "ChainNet",
    "unit_module",
    "init_weights",
]


class ConvBNReLU(nn.Module):
    """Convolution (no bias, ``padding = kernel // 2``), BatchNorm, then ReLU unless ``relu=False``.

    ONNX export folds the BN into the convolution and ONNX Runtime fuses the ReLU into it, so a
    runtime executes this as one fused convolution.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 1, stride: int = 1,
                 groups: int = 1, relu: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU(inplace=True) if relu else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return self.act(x) if self.act is not None else x


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: ``(N, g*c, H, W) -> (N, c*g, H, W)``, so that the next grouped
    convolution sees channels of every group."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        return x.reshape(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class InvertedResidual(nn.Module):
    """MobileNetV2's inverted-residual block (the FBNet / ProxylessNAS / Once-for-All "MBConv").

    ``expand``: 1x1 conv to ``hidden_channels = in_channels * expansion``, BN, ReLU (``None`` when
    ``expand_conv=False``: the MobileNet depthwise-separable block, which only makes sense at
    expansion 1); ``shuffle``: channel shuffle after ``expand`` when ``groups > 1`` (FBNet's ``_g2``
    blocks, whose two 1x1 convolutions are grouped); ``depthwise``: ``kernel`` x ``kernel`` depthwise
    conv with the block's ``stride``, BN, ReLU; ``project``: 1x1 conv to ``out_channels``, BN, no
    activation. The input is added to the output when ``use_residual`` (stride 1 and equal channels).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1,
                 expansion: int = 1, groups: int = 1, expand_conv: bool = True):
        super().__init__()
        hidden = in_channels * expansion
        self.in_channels, self.out_channels, self.hidden_channels = in_channels, out_channels, hidden
        self.kernel, self.stride, self.expansion, self.groups = kernel, stride, expansion, groups
        self.expand = ConvBNReLU(in_channels, hidden, 1, groups=groups) if expand_conv else None
        self.shuffle = ChannelShuffle(groups) if groups > 1 and expand_conv else None
        self.depthwise = ConvBNReLU(hidden, hidden, kernel, stride=stride, groups=hidden)
        self.project = ConvBNReLU(hidden, out_channels, 1, groups=groups, relu=False)
        self.use_residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.expand is not None:
            y = self.expand(y)
        if self.shuffle is not None:
            y = self.shuffle(y)
        y = self.project(self.depthwise(y))
        return y + x if self.use_residual else y


class Classifier(nn.Module):
    """Global average pooling, then ``fc``: a linear layer to the class logits."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Resize(nn.Module):
    """Bilinear resize of the input image to ``size`` x ``size`` (the architecture's resolution), so
    that a network searched at a lower resolution still takes the dataset's images."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)


class ChainNet(nn.Sequential):
    """A network that is a plain chain of named pieces (``resize``, ``stem``, blocks, ``head``,
    ``classifier``), each the module of one profiled unit. Index or name it like any
    ``nn.Sequential``; ``units`` are the pieces' ``hwnas.Unit`` records as built, in the same order
    (a pass that changes the modules, such as channel pruning, leaves them describing the original)."""

    def __init__(self, pieces: Sequence[tuple[str, Unit]]):
        super().__init__(OrderedDict((name, unit_module(unit)) for name, unit in pieces))
        self.units = tuple(unit for _, unit in pieces)


def unit_module(unit: Unit) -> nn.Module:
    """The module of one unit of these spaces (a network piece, or a profiling graph on its own)."""
    if unit.op == CONV_BN_RELU:
        return ConvBNReLU(unit.in_channels, unit.out_channels, unit.kernel, unit.stride, unit.groups)
    if unit.op in (INVERTED_RESIDUAL, DEPTHWISE_SEPARABLE):
        block = InvertedResidual(unit.in_channels, unit.out_channels, unit.kernel, unit.stride,
                                 int(unit.expansion), unit.groups, expand_conv=unit.op == INVERTED_RESIDUAL)
        if block.use_residual != unit.residual:
            raise ConfigError(f"unit {unit}: residual={unit.residual} contradicts its shapes")
        return block
    if unit.op == CLASSIFIER:
        return Classifier(unit.in_channels, unit.out_channels)
    if unit.op == RESIZE:
        return Resize(resize_size(unit))
    raise ConfigError(f"unit op {unit.op!r} is not a block of hwnas.spaces._blocks")


def init_weights(model: nn.Module) -> nn.Module:
    """FBNet's reference initialisation (HW-NAS-Bench): Kaiming-normal (fan-out) convolutions,
    BatchNorm at weight 1 and bias 0, linear layers N(0, 0.001) with zero bias. Seed torch first
    for a reproducible network."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.001)
            nn.init.zeros_(m.bias)
    return model
