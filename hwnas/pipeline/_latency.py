"""Latency of an exported model on ``ort-cpu``, timed exactly as the profiler times networks."""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from hwnas import ConfigError, Measurement

__all__ = ["measure_onnx_latency", "interleaved_median_ms"]


def measure_onnx_latency(model: "bytes | str | os.PathLike", input_shape: tuple[int, int, int],
                         target: str = "ort-cpu", threads: int = 1, protocol: Any = None) -> Measurement:
    """Median batch-1 latency of an ONNX model (the profiler's runner, input and timing protocol).

    ``protocol`` is a ``hwnas.profiler.TimingProtocol`` (default: the profiler's default), so that
    a finalized model is measured like the whole networks the latency predictors learned from.
    """
    from hwnas.profiler import TimingProtocol, create_target, fastest_session

    runner = create_target(target, threads=threads)
    if not hasattr(runner, "compile_onnx"):
        raise ConfigError(f"target {target!r} cannot run ONNX models")
    protocol = protocol or TimingProtocol()
    # the fastest of the protocol's fresh sessions, as the profiler keeps for whole networks
    return fastest_session(lambda: runner.measure_onnx(model, input_shape, protocol), protocol.network_sessions)


def interleaved_median_ms(models: Sequence["str | os.PathLike"], input_shape: tuple[int, int, int],
                          target: str = "ort-cpu", threads: int = 1, rounds: int = 3) -> list[float]:
    """Median latency (ms) of each model over ``rounds`` rounds, each round timing every model in
    turn: models compared with one another see the same machine load, so their ratios hold even
    when the load drifts."""
    times: list[list[float]] = [[] for _ in models]
    for _ in range(max(1, rounds)):
        for model, out in zip(models, times):
            out.append(measure_onnx_latency(model, input_shape, target, threads).median_ms)
    return [float(np.median(t)) for t in times]
