"""Targets: a runtime with its settings that times torch modules on this machine, and their registry."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Callable, ClassVar

import numpy as np

from hwnas import ConfigError, Measurement, Target

from ._protocol import TimingProtocol, time_callable

if TYPE_CHECKING:
    import torch

__all__ = ["TargetRunner", "register_target", "list_targets", "create_target"]


class TargetRunner(ABC):
    """Times a forward pass on one runtime, exactly as a deployment would run it.

    A runner is created for fixed settings (``threads``, ``batch_size``); ``target`` is the
    ``hwnas.Target`` record of the runtime and those settings (the machine itself is recorded
    separately, see ``device_fingerprint``). ``measure(module, input_shape, protocol)`` prepares
    the module for the runtime (ONNX export and a session for ONNX Runtime, eager ``inference_mode``
    for torch), feeds it a seeded random input of shape ``(batch_size, *input_shape)`` and times it
    with ``time_callable``. The same call times a single unit and a whole network, so that the
    lookup table and the networks it predicts are measured alike.

    A subclass gives ``name``, ``runtime`` and ``device``, ``available()`` (whether this machine can
    run it; unavailable targets are not listed), and ``compile(module, x)``: a zero-argument
    function running one forward pass. Asynchronous devices override ``synchronize``.
    """

    name: ClassVar[str] = ""
    runtime: ClassVar[str] = ""
    device: ClassVar[str] = "cpu"

    def __init__(self, threads: int = 1, batch_size: int = 1) -> None:
        if not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"target {self.name}: threads must be a positive integer, got {threads!r}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"target {self.name}: batch size must be a positive integer, got {batch_size!r}")
        self.threads = threads
        self.batch_size = batch_size

    @classmethod
    def available(cls) -> bool:
        return True

    @property
    def target(self) -> Target:
        return Target(self.name, self.runtime, self.device, self.threads, self.batch_size)

    @abstractmethod
    def compile(self, module: "torch.nn.Module", x: np.ndarray) -> Callable[[], object]:
        """A function that runs one forward pass of ``module`` on ``x`` in this runtime."""

    def compile_onnx(self, model: "bytes | str | os.PathLike", x: np.ndarray) -> Callable[[], object]:
        """A function that runs one forward pass of an exported ONNX model on ``x`` (ONNX Runtime targets)."""
        raise ConfigError(f"target {self.name!r} runs torch modules, not ONNX models; use an ort-* target")

    def synchronize(self) -> None:
        """Wait until queued work is done (asynchronous devices)."""

    def example_input(self, input_shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
        """The seeded random input every measurement of this shape uses."""
        rng = np.random.default_rng(seed)
        return rng.standard_normal((self.batch_size, *input_shape)).astype(np.float32)

    def measure(self, module: "torch.nn.Module", input_shape: tuple[int, ...],
                protocol: TimingProtocol | None = None, seed: int = 0) -> Measurement:
        """Time one forward pass of ``module`` (in eval mode) on an input of ``input_shape``."""
        fn = self.compile(module.eval(), self.example_input(tuple(input_shape), seed))
        return time_callable(fn, protocol or TimingProtocol(), self.synchronize)

    def measure_onnx(self, model: "bytes | str | os.PathLike", input_shape: tuple[int, ...],
                     protocol: TimingProtocol | None = None, seed: int = 0) -> Measurement:
        """Time an exported ONNX model (bytes or a path), e.g. a quantised network, like ``measure``."""
        model = model if isinstance(model, bytes) else str(model)
        fn = self.compile_onnx(model, self.example_input(tuple(input_shape), seed))
        return time_callable(fn, protocol or TimingProtocol(), self.synchronize)

    def overhead(self, input_shape: tuple[int, ...], protocol: TimingProtocol | None = None) -> Measurement:
        """The time of an empty graph (an identity): the fixed cost every call pays.

        A network is one call but its lookup-table sum counts one call per unit, so the
        predictors can subtract ``(units - 1) * overhead`` from the sum.
        """
        import torch

        return self.measure(torch.nn.Identity(), input_shape, protocol)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(threads={self.threads}, batch_size={self.batch_size})"


_REGISTRY: dict[str, type[TargetRunner]] = {}


def register_target(cls: type[TargetRunner]) -> type[TargetRunner]:
    """Class decorator registering a runner under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def list_targets(all_known: bool = False) -> list[str]:
    """Targets this machine can run (GPU targets appear only with a GPU); every known one with ``all_known``."""
    return sorted(n for n, cls in _REGISTRY.items() if all_known or cls.available())


def create_target(name: str, threads: int = 1, batch_size: int = 1) -> TargetRunner:
    """A runner for target ``name`` with ``threads`` intra-op threads and batch size ``batch_size``."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown target {name!r}; known targets: {', '.join(list_targets(all_known=True))}")
    cls = _REGISTRY[name]
    if not cls.available():
        raise ConfigError(f"target {name!r} is not available on this machine (no {cls.device} runtime); "
                          f"available: {', '.join(list_targets())}")
    return cls(threads=threads, batch_size=batch_size)
