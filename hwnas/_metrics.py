"""Parameter and FLOP counts of built networks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["count_params", "count_flops"]


def count_params(model: "torch.nn.Module") -> int:
    """Trainable parameters."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def count_flops(model: "torch.nn.Module", input_shape: tuple[int, int, int]) -> int:
    """Multiply-accumulates of one batch-1 forward pass, counted by ``torch``'s ``FlopCounterMode``.

    ``FlopCounterMode`` counts a multiply-add as 2 FLOPs; NAS papers (NAS-Bench-201, FBNet, OFA)
    count it as 1, so the count is halved. Only convolutions and matrix products are counted.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, *input_shape))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops()) // 2
