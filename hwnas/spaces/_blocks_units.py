"""The unit ops of the ``fbnet`` and ``mbconv`` spaces: names, registration, cost formulas.

This module stays free of torch (listing spaces must be fast); the modules themselves live in
``_blocks`` and are imported when a unit is built. The unit is a whole block, the granularity of
Once-for-All's and nn-Meter's lookup tables: ONNX Runtime folds each BN into its convolution, fuses
the ReLU into it and fuses the residual add into the projecting 1x1 convolution, so cutting a block
anywhere inside would time pieces that never run alone.

- ``conv_bn_relu``: conv (``kernel``, ``stride``, ``groups``) + BN + ReLU; stems, heads, FBNet's
  projecting ``skip``.
- ``inverted_residual``: 1x1 expand (x ``expansion``) + BN + ReLU [+ channel shuffle when
  ``groups > 1``], depthwise ``kernel`` conv with ``stride`` + BN + ReLU, 1x1 project + BN,
  [+ input when ``residual``]; the 1x1 convolutions have ``groups`` groups.
- ``depthwise_separable``: the same without the expand convolution (MobileNet's expansion-1 block).
- ``classifier``: global average pooling + linear layer to ``out_channels`` classes.
- ``resize``: bilinear resize of the input image to ``extra="size=S"``.

The cost formulas count multiply-adds as ``hwnas.count_flops`` does (convolutions and linear layers
only) and work element-wise on numpy arrays, for vectorised encodings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import ConfigError
from .._unit import Unit, register_unit_op

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "CONV_BN_RELU",
    "INVERTED_RESIDUAL",
    "DEPTHWISE_SEPARABLE",
    "CLASSIFIER",
    "RESIZE",
    "UNIT_OPS",
    "resize_size",
    "out_resolution",
    "conv_macs",
    "block_macs",
    "unit_cost",
    "closed_form_costs",
]

CONV_BN_RELU = "conv_bn_relu"
INVERTED_RESIDUAL = "inverted_residual"
DEPTHWISE_SEPARABLE = "depthwise_separable"
CLASSIFIER = "classifier"
RESIZE = "resize"
UNIT_OPS = (CONV_BN_RELU, INVERTED_RESIDUAL, DEPTHWISE_SEPARABLE, CLASSIFIER, RESIZE)


def resize_size(unit: Unit) -> int:
    """The output size of a ``resize`` unit (``extra="size=S"``)."""
    key, _, value = unit.extra.partition("=")
    if key != "size" or not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{RESIZE} unit needs extra 'size=S' with S >= 1, got {unit.extra!r}")
    return int(value)


def _build(unit: Unit) -> "nn.Module":
    from ._blocks import unit_module

    return unit_module(unit)


def closed_form_costs(unit: Unit) -> tuple[float, float, float]:
    """(multiply-adds, parameters, memory traffic in elements) of a unit, in closed form: exactly
    what counting on the built module gives (checked on all 4,143 units of ``fbnet`` and ``mbconv``
    at 32 and 64 pixels), a thousand times faster."""
    macs, params = unit_cost(unit)
    if unit.op == CLASSIFIER:
        out = unit.out_channels
    elif unit.op == RESIZE:
        out = unit.in_channels * resize_size(unit) ** 2
    else:
        out = unit.out_channels * out_resolution(unit.resolution, unit.stride) ** 2
    return float(macs), float(params), float(unit.in_channels * unit.resolution ** 2 + out + params)


for _op in UNIT_OPS:
    register_unit_op(_op, costs=closed_form_costs)(_build)


def out_resolution(resolution, stride):
    """Output size of a ``padding = kernel // 2`` convolution with an odd kernel: ceil(r / s)."""
    return -(-resolution // stride)


def conv_macs(in_channels, out_channels, resolution, kernel=1, stride=1, groups=1):
    """Multiply-adds of one convolution (``resolution`` is its input size)."""
    return out_resolution(resolution, stride) ** 2 * kernel * kernel * in_channels * out_channels // groups


def block_macs(in_channels, out_channels, resolution, kernel, stride, expansion, groups=1, expand_conv=True):
    """Multiply-adds of an ``inverted_residual`` (or, without ``expand_conv``, a
    ``depthwise_separable``) block."""
    hidden = in_channels * expansion
    expand = conv_macs(in_channels, hidden, resolution, 1, 1, groups) if expand_conv else 0
    depthwise = conv_macs(hidden, hidden, resolution, kernel, stride, hidden)
    project = conv_macs(hidden, out_channels, out_resolution(resolution, stride), 1, 1, groups)
    return expand + depthwise + project


def unit_cost(unit: Unit) -> tuple[int, int]:
    """(multiply-adds, trainable parameters incl. BatchNorm) of one unit of these spaces."""
    cin, cout, res, k, s, g = unit.in_channels, unit.out_channels, unit.resolution, unit.kernel, unit.stride, unit.groups
    if unit.op == CONV_BN_RELU:
        return conv_macs(cin, cout, res, k, s, g), k * k * cin * cout // g + 2 * cout
    if unit.op in (INVERTED_RESIDUAL, DEPTHWISE_SEPARABLE):
        expand = unit.op == INVERTED_RESIDUAL
        e = int(unit.expansion)
        hidden = cin * e
        params = (cin * hidden // g + 2 * hidden if expand else 0) + k * k * hidden + 2 * hidden
        params += hidden * cout // g + 2 * cout
        return block_macs(cin, cout, res, k, s, e, g, expand), params
    if unit.op == CLASSIFIER:
        return cin * cout, cin * cout + cout
    if unit.op == RESIZE:
        return 0, 0
    raise ConfigError(f"unit op {unit.op!r} is not a block of hwnas.spaces._blocks")
