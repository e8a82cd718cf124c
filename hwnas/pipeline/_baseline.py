"""The plain CNN of the project's origin document: the baseline every finalized model must beat."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["build_origin_cnn", "ORIGIN_TRAINING", "ORIGIN_REFERENCE"]

# Its training recipe (Adam 1e-3, batch 64, inputs scaled to [-1, 1], 10 epochs, no augmentation),
# as keyword arguments of ``hwnas.datasets.TrainConfig``.
ORIGIN_TRAINING = dict(epochs=10, batch_size=64, optimizer="adam", lr=1e-3, weight_decay=0.0,
                       schedule="none", augment=False, normalize="minus1to1")

# What the origin document reports for it on this machine (ort-cpu, 1 thread, CIFAR-10).
ORIGIN_REFERENCE = {"test_accuracy": 64.1, "median_ms": 0.311}


def build_origin_cnn(num_classes: int = 10, input_shape: tuple[int, int, int] = (3, 32, 32)) -> "torch.nn.Module":
    """3x3 conv (C -> 16, padding 1), ReLU, 2x2 max-pool, FC (16*H/2*W/2 -> 256), ReLU, FC (256 -> classes)."""
    import torch.nn as nn

    channels, height, width = input_shape
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * (height // 2) * (width // 2), 256), nn.ReLU(), nn.Linear(256, num_classes),
    )
