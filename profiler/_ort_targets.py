"""ONNX Runtime targets: the graph a deployment runs, with full graph optimisation."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable

import numpy as np

from hwnas import ort_session
from hwnas._onnx import onnx_bytes

from ._targets import TargetRunner, register_target

if TYPE_CHECKING:
    import torch

__all__ = ["OrtCpuRunner", "OrtCudaRunner"]


@functools.lru_cache(maxsize=None)
def _ort_providers() -> tuple[str, ...]:
    import onnxruntime

    return tuple(onnxruntime.get_available_providers())


def _export(module: "torch.nn.Module", x: np.ndarray) -> bytes:
    """The module's ONNX graph. Export traces the module, running it in torch: one torch thread
    makes that several times faster on a small, busy machine (and leaves the other cores alone)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return onnx_bytes(module, x.shape[1:], batch_size=x.shape[0])
    finally:
        torch.set_num_threads(threads)


@register_target
class OrtCpuRunner(TargetRunner):
    """ONNX Runtime, CPUExecutionProvider, all graph optimisations, sequential execution."""

    name = "ort-cpu"
    runtime = "onnxruntime"
    device = "cpu"
    providers: tuple[str, ...] = ("CPUExecutionProvider",)

    def compile(self, module: "torch.nn.Module", x: np.ndarray) -> Callable[[], object]:
        return self.compile_onnx(_export(module, x), x)

    def compile_onnx(self, model: bytes, x: np.ndarray) -> Callable[[], object]:
        """Time an already exported ONNX model (bytes or path) instead of a torch module."""
        session = ort_session(model, threads=self.threads, providers=self.providers)
        feed = {session.get_inputs()[0].name: np.ascontiguousarray(x, dtype=np.float32)}
        return functools.partial(session.run, None, feed)


@register_target
class OrtCudaRunner(OrtCpuRunner):
    """ONNX Runtime, CUDAExecutionProvider (input copied from host memory at each call, as served)."""

    name = "ort-cuda"
    device = "cuda"
    providers = ("CUDAExecutionProvider", "CPUExecutionProvider")

    @classmethod
    def available(cls) -> bool:
        return "CUDAExecutionProvider" in _ort_providers()
