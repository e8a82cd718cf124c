"""hwnas.predictors: latency and accuracy surrogates with scikit-learn's contract."""

from __future__ import annotations

from ._base import (
    SCHEMA_VERSION,
    Predictor,
    create_predictor,
    list_predictors,
    load_predictor,
    register_predictor,
    write_json_atomic,
)

__all__ = [
    "Predictor",
    "SCHEMA_VERSION",
    "create_predictor",
    "list_predictors",
    "load_predictor",
    "register_predictor",
    "write_json_atomic",
]
