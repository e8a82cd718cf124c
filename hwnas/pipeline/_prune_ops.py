"""Smaller copies of single layers, keeping only some output or input channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["shrink_outputs", "shrink_inputs"]


def _conv_like(conv, in_ch: int, out_ch: int, groups: int):
    import torch.nn as nn

    return nn.Conv2d(in_ch, out_ch, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                     groups, conv.bias is not None, conv.padding_mode)


def shrink_outputs(mod: "torch.nn.Module", idx: "torch.Tensor") -> "torch.nn.Module":
    """``mod`` keeping output channels ``idx`` (a conv, a depthwise conv, a linear or a BN)."""
    import torch.nn as nn

    k = int(idx.numel())
    if isinstance(mod, nn.Conv2d):
        depthwise = mod.groups == mod.in_channels == mod.out_channels > 1
        new = _conv_like(mod, k if depthwise else mod.in_channels, k, k if depthwise else 1)
    elif isinstance(mod, nn.Linear):
        new = nn.Linear(mod.in_features, k, mod.bias is not None)
    elif isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
        new = type(mod)(k, mod.eps, mod.momentum, mod.affine, mod.track_running_stats)
        if mod.track_running_stats:
            new.running_mean.copy_(mod.running_mean[idx])
            new.running_var.copy_(mod.running_var[idx])
            new.num_batches_tracked.copy_(mod.num_batches_tracked)
    else:
        raise TypeError(f"cannot prune outputs of {type(mod).__name__}")
    if getattr(mod, "weight", None) is not None:
        new.weight.data.copy_(mod.weight.data[idx])
    if getattr(mod, "bias", None) is not None:
        new.bias.data.copy_(mod.bias.data[idx])
    return new.train(mod.training)


def shrink_inputs(mod: "torch.nn.Module", idx: "torch.Tensor") -> "torch.nn.Module":
    """``mod`` (a plain conv or a linear) reading only input channels ``idx``."""
    import torch.nn as nn

    k = int(idx.numel())
    if isinstance(mod, nn.Conv2d):
        new = _conv_like(mod, k, mod.out_channels, 1)
    elif isinstance(mod, nn.Linear):
        new = nn.Linear(k, mod.out_features, mod.bias is not None)
    else:
        raise TypeError(f"cannot prune inputs of {type(mod).__name__}")
    new.weight.data.copy_(mod.weight.data[:, idx])
    if mod.bias is not None:
        new.bias.data.copy_(mod.bias.data)
    return new.train(mod.training)
