"""The configuration of ``mbconv`` spaces: a small validated dataclass and the default, sized for
32x32 CIFAR-10 on a CPU."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from .._errors import ConfigError

__all__ = ["MBConvConfig", "MBConvStage", "DEFAULT_MBCONV_CONFIG"]


def _ints(value: Any, field: str, minimum: int = 1) -> tuple[int, ...]:
    """A non-empty tuple of distinct integers >= ``minimum``, or a ConfigError naming ``field``."""
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum
                        for v in items):
        raise ConfigError(f"mbconv config: {field} must be a non-empty list of integers >= {minimum}, got {value!r}")
    if len(set(items)) != len(items):
        raise ConfigError(f"mbconv config: {field} has repeated values: {list(items)}")
    return tuple(int(v) for v in items)


def _int(value: Any, field: str, allowed: tuple[int, ...] | None = None, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"mbconv config: {field} must be an integer >= {minimum}, got {value!r}")
    if allowed is not None and value not in allowed:
        raise ConfigError(f"mbconv config: {field} must be one of {', '.join(map(str, allowed))}, got {value}")
    return int(value)


@dataclass(frozen=True)
class MBConvStage:
    """One stage: the allowed block counts (``depths``), output channel counts (``widths``), and the
    stride of its first block."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    stride: int = 1

    @classmethod
    def from_value(cls, value: Any, where: str) -> "MBConvStage":
        if isinstance(value, MBConvStage):
            value = asdict(value)
        if not isinstance(value, dict):
            raise ConfigError(f"mbconv config: {where} must be a mapping with depths, widths, stride; got {value!r}")
        unknown = set(value) - {"depths", "widths", "stride"}
        if unknown or not {"depths", "widths"} <= set(value):
            raise ConfigError(f"mbconv config: {where} needs keys depths, widths (and stride), got {sorted(value)}")
        return cls(depths=_ints(value["depths"], f"{where}.depths"), widths=_ints(value["widths"], f"{where}.widths"),
                   stride=_int(value.get("stride", 1), f"{where}.stride", allowed=(1, 2)))


@dataclass(frozen=True)
class MBConvConfig:
    """The settings of an ``mbconv`` space (every field validated by ``from_dict``).

    ``resolutions``: input sizes an architecture may run at (the network resizes its input to its
    resolution first); ``stem_width`` / ``stem_stride``: the 3x3 stem convolution; ``stages``: see
    ``MBConvStage``; ``kernels`` / ``expansions``: per-block depthwise kernel (odd) and expansion
    choices (expansion 1 is MobileNet's depthwise-separable block, without an expand convolution);
    ``head_width``: channels of the final 1x1 conv before pooling (0: none).
    """

    resolutions: tuple[int, ...]
    stem_width: int
    stem_stride: int
    stages: tuple[MBConvStage, ...]
    kernels: tuple[int, ...]
    expansions: tuple[int, ...]
    head_width: int

    @classmethod
    def from_dict(cls, config: dict) -> "MBConvConfig":
        """Validated config; missing fields take the default's values."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(config) - set(known))
        if unknown:
            raise ConfigError(f"mbconv config: unknown field {unknown[0]!r}; known: {', '.join(known)}")
        merged = {**DEFAULT_MBCONV_CONFIG.to_dict(), **config}
        stages = merged["stages"]
        if not isinstance(stages, (list, tuple)) or not stages:
            raise ConfigError(f"mbconv config: stages must be a non-empty list, got {stages!r}")
        kernels = _ints(merged["kernels"], "kernels")
        if any(k % 2 == 0 for k in kernels):
            raise ConfigError(f"mbconv config: kernels must be odd, got {list(kernels)}")
        return cls(
            resolutions=_ints(merged["resolutions"], "resolutions", minimum=4),
            stem_width=_int(merged["stem_width"], "stem_width"),
            stem_stride=_int(merged["stem_stride"], "stem_stride", allowed=(1, 2)),
            stages=tuple(MBConvStage.from_value(s, f"stages[{i}]") for i, s in enumerate(stages)),
            kernels=kernels, expansions=_ints(merged["expansions"], "expansions"),
            head_width=_int(merged["head_width"], "head_width", minimum=0))

    def to_dict(self) -> dict:
        """JSON-serialisable (lists, not tuples)."""
        d = asdict(self)
        return json.loads(json.dumps(d))

    def digest(self) -> str:
        """A short hash naming this configuration."""
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:8]


# Sized for 32x32 CIFAR-10 on a CPU. With ONNX Runtime on one thread of this project's Xeon, the
# smallest network (16x16 input, one narrow expansion-1 block per stage) runs in ~0.05 ms and the
# largest (32x32, widest stages at full depth, expansion 6, 7x7 kernels; 560 M multiply-adds) in
# ~14 ms of CPU time; networks of a few M multiply-adds run in 0.1-0.3 ms.
DEFAULT_MBCONV_CONFIG = MBConvConfig(
    resolutions=(16, 24, 32),
    stem_width=16,
    stem_stride=1,
    stages=(
        MBConvStage(depths=(1, 2, 3), widths=(8, 16, 24, 32), stride=1),
        MBConvStage(depths=(1, 2, 3, 4), widths=(16, 24, 32, 48, 64), stride=2),
        MBConvStage(depths=(1, 2, 3, 4), widths=(32, 48, 64, 96, 128), stride=2),
        MBConvStage(depths=(1, 2, 3, 4), widths=(64, 96, 128, 192, 256), stride=1),
        MBConvStage(depths=(1, 2, 3, 4), widths=(128, 192, 256, 384, 512), stride=2),
    ),
    kernels=(3, 5, 7),
    expansions=(1, 3, 4, 6),
    head_width=256,
)
