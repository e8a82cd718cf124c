"""`AccuracyPredictor`: what the accuracy surrogates share (defaults, validation, provenance)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from hwnas import ConfigError, SearchSpace

from ._base import Predictor

__all__ = ["AccuracyPredictor"]


class AccuracyPredictor(Predictor):
    """A ``Predictor`` of accuracy in %. ``DEFAULTS`` are its hyper-parameters: the ones given
    override them, unknown ones are a ``ConfigError``. ``fitted_on_`` (set by ``fit_accuracy``)
    is the SHA-256 of the table or data set it learned from, saved in ``predictor.json``.
    """

    kind: ClassVar[str] = "accuracy"
    DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init__(self, space: SearchSpace | str, **params: Any) -> None:
        unknown = set(params) - set(self.DEFAULTS)
        if unknown:
            raise ConfigError(f"accuracy/{self.name}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(self.DEFAULTS)}")
        super().__init__(space, **{**self.DEFAULTS, **params})

    def fitted_on(self) -> str | None:
        return getattr(self, "fitted_on_", None)

    def _restore_provenance(self, directory: Path) -> None:
        try:
            self.fitted_on_ = json.loads((directory / "predictor.json").read_text()).get("fitted_on")
        except (OSError, json.JSONDecodeError):
            self.fitted_on_ = None
