"""`ChainSpace`: the shared shape of spaces whose networks are a plain chain of units."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

from .._arch import Architecture
from .._space import SearchSpace
from .._unit import Unit

if TYPE_CHECKING:
    import torch

__all__ = ["ChainSpace"]


class ChainSpace(SearchSpace):
    """A space whose every network is a chain of named pieces, each one profilable unit.

    A subclass gives ``pieces(arch, input_shape, num_classes)``: ``(name, unit)`` pairs in
    execution order. The network is built from the units' own modules (``ChainNet``), so what the
    profiler times is literally what the network runs, and ``units`` are the pieces' units.
    """

    @abstractmethod
    def pieces(self, arch: Architecture, input_shape: tuple[int, int, int] | None = None,
               num_classes: int | None = None) -> list[tuple[str, Unit]]:
        """The named units of ``arch``, in execution order."""

    def build(self, arch: Architecture, num_classes: int | None = None,
              input_shape: tuple[int, int, int] | None = None) -> "torch.nn.Module":
        from ._blocks import ChainNet, init_weights

        return init_weights(ChainNet(self.pieces(arch, input_shape, num_classes)))

    def units(self, arch: Architecture, input_shape: tuple[int, int, int] | None = None,
              num_classes: int | None = None) -> list[Unit]:
        return [unit for _, unit in self.pieces(arch, input_shape, num_classes)]
