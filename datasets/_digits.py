"""scikit-learn's digits as a small embedded image data set (no download, always there)."""

from __future__ import annotations

import numpy as np

from ._acc_images import ImageDataset, balanced_subset

__all__ = ["load_digits"]

DIGITS_SIZE = 16  # 8x8 upsampled x2: a stem and two stride-2 reductions still leave 4x4 maps


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> ImageDataset:
    """The 1797 8x8 digits as 16x16 RGB uint8 images with a seeded, class-balanced test split.

    Grey levels 0..16 are scaled to 0..255 and replicated over three channels so that spaces
    built for RGB input run unchanged; ``input_shape`` is ``(3, 16, 16)``.
    """
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    grey = np.clip(bunch.images * (255.0 / 16.0), 0, 255).astype(np.uint8)
    grey = grey.repeat(2, axis=1).repeat(2, axis=2)  # nearest-neighbour 8x8 -> 16x16
    images = np.repeat(grey[..., None], 3, axis=3)
    labels = bunch.target.astype(np.int64)
    train, test = balanced_subset(labels, test_fraction, seed)
    return ImageDataset("digits", images[train], labels[train], images[test], labels[test],
                        tuple(str(i) for i in range(10)))
