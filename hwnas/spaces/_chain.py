"""`ChainSpace`: the shared shape of spaces whose networks are a plain chain of units."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

from .._arch import Architecture
from .._space import SearchSpace
from .._unit import Unit
from ._blocks_units import unit_cost

if TYPE_CHECKING:
    import torch

__all__ = ["ChainSpace"]


class ChainSpace(SearchSpace):
    """A space whose every network is a chain of named pieces, each one profilable unit.

    A subclass gives ``pieces(arch, input_shape, num_classes)``: ``(name, unit)`` pairs in
    execution order. The network is built from the units' own modules (``ChainNet``), so what the
    profiler times is literally what the network runs, and ``units`` are the pieces' units;
    parameters and FLOPs are summed from the units without building the network.
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

    def params(self, arch: Architecture, num_classes: int | None = None,
               input_shape: tuple[int, int, int] | None = None) -> int:
        """Trainable parameters (BN included), counted from the units without building."""
        return sum(unit_cost(u)[1] for u in self.units(arch, input_shape, num_classes))

    def flops(self, arch: Architecture, num_classes: int | None = None,
              input_shape: tuple[int, int, int] | None = None) -> int:
        """Multiply-adds of convolutions and the linear layer, counted from the units."""
        return sum(unit_cost(u)[0] for u in self.units(arch, input_shape, num_classes))
