"""ONNX Runtime targets: the graph a deployment runs, with full graph optimisation."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from hwnas import HwnasError, Measurement, export_onnx, ort_session, quantize_for_timing

from ._targets import TargetRunner, register_target

if TYPE_CHECKING:
    import torch

    from ._protocol import TimingProtocol

__all__ = ["OrtCpuRunner", "OrtCpuInt8Runner", "OrtCudaRunner"]


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
        with tempfile.TemporaryDirectory() as tmp:
            return export_onnx(module, x.shape[1:], Path(tmp) / "m.onnx", batch_size=x.shape[0]).read_bytes()
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

    def compile_onnx(self, model: "bytes | str | os.PathLike", x: np.ndarray) -> Callable[[], object]:
        session = ort_session(model, threads=self.threads, providers=self.providers)
        name = session.get_inputs()[0].name
        x = np.ascontiguousarray(x, dtype=np.float32)
        # Bound input and preallocated outputs, as a serving loop runs: session.run would add a
        # per-call feed conversion and an output copy whose cost grows with the output, which a
        # unit inside a network never pays (its output stays in ONNX Runtime's arena).
        outputs = [np.empty_like(o) for o in session.run(None, {name: x})]
        binding = session.io_binding()
        binding.bind_cpu_input(name, x)
        for meta, buf in zip(session.get_outputs(), outputs):
            binding.bind_output(meta.name, "cpu", 0, buf.dtype.type, list(buf.shape), buf.ctypes.data)

        def run(keep_alive=(x, outputs)) -> None:
            session.run_with_iobinding(binding)

        return run


@register_target
class OrtCpuInt8Runner(OrtCpuRunner):
    """ONNX Runtime CPU on the static INT8 graph of each module (QDQ, per-channel INT8 weights,
    UINT8 activations: the finalizer's default ``qdq`` recipe), to tell which networks gain from
    INT8: depthwise convolutions lose, wide pointwise ones gain.

    Each module is calibrated on its own seeded random input: the scales are meaningless for
    accuracy, but INT8 kernels take as long whatever the scales. ONNX models given to
    ``measure_onnx`` are timed as they are (pass one already quantized). A unit is timed with the
    quantize and dequantize at its borders, which inside a network pass between units as INT8, so
    the INT8 sums are blurred. On 30 mbconv networks (``benchmarks/results/int8_lut.md``) the INT8
    sum over the FP32 one ranked the measured speed-up with Spearman 0.66. The INT8 latency itself
    the FP32 table ranked as well (0.95 against 0.93). A profile takes 2-3x the FP32 one (the
    default mbconv space, 3,971 units and 100 networks: 11.8 min against 5.1 min).
    """

    name = "ort-cpu-int8"

    def compile(self, module: "torch.nn.Module", x: np.ndarray) -> Callable[[], object]:
        return self.compile_onnx(_quantized(_export(module, x), x), x)

    def overhead(self, input_shape: tuple[int, ...], protocol: "TimingProtocol | None" = None) -> Measurement:
        # an identity has nothing to quantize: the fixed cost of a call is FP32's
        return OrtCpuRunner(self.threads, self.batch_size).overhead(input_shape, protocol)


def _quantized(model: bytes, x: np.ndarray) -> bytes:
    """The static INT8 (QDQ) graph of an FP32 ONNX model, calibrated on ``x``."""
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "m.onnx"
        fp32.write_bytes(model)
        try:
            return quantize_for_timing(fp32, Path(tmp) / "m.int8.onnx", x, batch_size=x.shape[0]).read_bytes()
        except HwnasError as exc:
            raise HwnasError(f"ort-cpu-int8: {exc}") from exc


@register_target
class OrtCudaRunner(OrtCpuRunner):
    """ONNX Runtime, CUDAExecutionProvider (input copied from host memory at each call, as served)."""

    name = "ort-cuda"
    device = "cuda"
    providers = ("CUDAExecutionProvider", "CPUExecutionProvider")

    @classmethod
    def available(cls) -> bool:
        # onnxruntime-gpu lists its CUDA provider even on machines without a GPU: look for one too.
        return "CUDAExecutionProvider" in _ort_providers() and (_torch_sees_gpu() or os.path.exists("/dev/nvidia0"))


def _torch_sees_gpu() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()
