"""Test-set predictions of one model in torch and in ONNX Runtime, on identical inputs."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hwnas import ort_session, run_ort

if TYPE_CHECKING:
    import torch

__all__ = ["preprocess", "torch_predictions", "onnx_predictions", "accuracy", "agreement"]


def preprocess(x_uint8: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """uint8 NHWC images -> float32 NCHW, ``(x / 255 - mean) / std`` per channel."""
    x = x_uint8.astype(np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def torch_predictions(model: "torch.nn.Module", x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Top-1 class of each preprocessed image, torch FP32 in eval mode."""
    import torch

    model = model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(x), batch_size):
            out.append(model(torch.from_numpy(x[i:i + batch_size])).argmax(1).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def onnx_predictions(model: "bytes | str | os.PathLike", x: np.ndarray, batch_size: int = 500,
                     threads: int = 1) -> np.ndarray:
    """Top-1 class of each preprocessed image through an ONNX Runtime session.

    A model exported for a fixed batch (batch 1, as deployed and timed) is fed image by image.
    """
    session = ort_session(model, threads=threads)
    fixed = session.get_inputs()[0].shape[0]
    if isinstance(fixed, int):
        batch_size = fixed
    out = [run_ort(session, x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy in %."""
    return float(100.0 * np.mean(np.asarray(pred) == np.asarray(labels))) if len(labels) else float("nan")


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share (%) of images on which two runtimes pick the same class."""
    return float(100.0 * np.mean(np.asarray(a) == np.asarray(b))) if len(a) else float("nan")
