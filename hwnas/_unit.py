"""`Unit`: a profilable piece of a network, the key of a latency lookup table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Callable

from ._errors import ConfigError

if TYPE_CHECKING:
    import torch

__all__ = ["Unit", "UNIT_FIELDS", "register_unit_op", "build_unit", "list_unit_ops"]


@dataclass(frozen=True, order=True)
class Unit:
    """What a runtime executes as one piece (e.g. Conv+BN+ReLU, which ONNX Runtime fuses).

    Every field is explicit and typed so that a lookup table has one typed column per field.
    ``resolution`` is the input height (= width); ``extra`` disambiguates op-specific variants
    (e.g. ``"inputs=3"`` for a 3-way sum) and is empty otherwise.
    """

    op: str
    in_channels: int
    out_channels: int
    resolution: int
    kernel: int = 1
    stride: int = 1
    groups: int = 1
    expansion: float = 1.0
    residual: bool = False
    extra: str = ""

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.in_channels, self.resolution, self.resolution)

    @property
    def output_resolution(self) -> int:
        return -(-self.resolution // self.stride)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> "Unit":
        """A unit from a table row; unknown keys are ignored, types are coerced."""
        kw = {}
        for f in fields(cls):
            if f.name in row:
                kw[f.name] = _coerce(f.name, row[f.name])
        missing = {"op", "in_channels", "out_channels", "resolution"} - set(kw)
        if missing:
            raise ConfigError(f"unit row lacks {', '.join(sorted(missing))}")
        return cls(**kw)


UNIT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Unit))
_TYPES = {f.name: f.type for f in fields(Unit)}


def _coerce(name: str, value):
    kind = _TYPES[name]
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes")
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return "" if value is None or value != value else str(value)  # NaN from an empty CSV cell


_BUILDERS: dict[str, Callable[[Unit], "torch.nn.Module"]] = {}
_COSTS: dict[str, Callable[[Unit], tuple[float, float, float]]] = {}


def register_unit_op(op: str, costs: Callable[[Unit], tuple[float, float, float]] | None = None) -> Callable:
    """Decorator registering the torch builder of unit ``op``: ``builder(unit) -> nn.Module``.

    The module takes one tensor of shape ``(batch, *unit.input_shape)``. ``costs``, when given,
    is the op's closed-form ``(multiply-adds, parameters, memory traffic)`` (see
    ``unit_op_costs``): counting them on the built module takes milliseconds a unit, and a space
    like ``mbconv`` has thousands of units.
    """

    def deco(builder):
        _BUILDERS[op] = builder
        if costs is not None:
            _COSTS[op] = costs
        return builder

    return deco


def unit_op_costs(unit: Unit) -> tuple[float, float, float] | None:
    """``(multiply-adds, parameters, memory traffic in elements: input + output + weights)`` of
    ``unit`` from its op's registered formula, or ``None`` when the op registered none (then
    count them on the built module). A formula must give exactly what that count gives:
    multiply-adds of convolutions and linear layers, every trainable parameter (BN included)."""
    list_unit_ops()
    formula = _COSTS.get(unit.op)
    return None if formula is None else formula(unit)


def list_unit_ops() -> list[str]:
    from . import spaces  # noqa: F401  (spaces register their unit ops)

    return sorted(_BUILDERS)


def build_unit(unit: Unit) -> "torch.nn.Module":
    """A freshly initialised module running ``unit`` alone, in eval mode."""
    list_unit_ops()
    if unit.op not in _BUILDERS:
        raise ConfigError(f"unknown unit op {unit.op!r}; known: {', '.join(sorted(_BUILDERS))}")
    return _BUILDERS[unit.op](unit).eval()
