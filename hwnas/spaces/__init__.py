"""Built-in search spaces; importing this package registers them (torch is imported lazily)."""

from __future__ import annotations

from .fbnet import FBNET_BLOCKS, FBNET_STAGES, FBNetSpace
from .mbconv import DEFAULT_MBCONV_CONFIG, MBConvConfig, MBConvSpace, MBConvStage
from .nb201 import NB201_EDGES, NB201_OPS, NB201Space

__all__ = [
    "DEFAULT_MBCONV_CONFIG",
    "FBNET_BLOCKS",
    "FBNET_STAGES",
    "FBNetSpace",
    "MBConvConfig",
    "MBConvSpace",
    "MBConvStage",
    "NB201Space",
    "NB201_EDGES",
    "NB201_OPS",
]
