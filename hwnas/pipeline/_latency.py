"""Latency of an exported model on ``ort-cpu``, timed exactly as the profiler times networks."""

from __future__ import annotations

import os
from typing import Any

from hwnas import ConfigError, Measurement

__all__ = ["measure_onnx_latency"]


def measure_onnx_latency(model: "bytes | str | os.PathLike", input_shape: tuple[int, int, int],
                         target: str = "ort-cpu", threads: int = 1, protocol: Any = None) -> Measurement:
    """Median batch-1 latency of an ONNX model (the profiler's runner, input and timing protocol).

    ``protocol`` is a ``hwnas.profiler.TimingProtocol`` (default: the profiler's default), so that
    a finalized model is measured like the whole networks the latency predictors learned from.
    """
    from hwnas.profiler import TimingProtocol, create_target, time_callable

    runner = create_target(target, threads=threads)
    if not hasattr(runner, "compile_onnx"):
        raise ConfigError(f"target {target!r} cannot run ONNX models")
    fn = runner.compile_onnx(model if isinstance(model, bytes) else str(model),
                             runner.example_input(tuple(input_shape)))
    return time_callable(fn, protocol or TimingProtocol(), runner.synchronize)
