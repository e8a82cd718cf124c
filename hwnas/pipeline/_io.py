"""Atomic JSON writes (the core's, re-exported for the pipeline's modules)."""

from __future__ import annotations

from hwnas import write_json_atomic

__all__ = ["write_json_atomic"]
