"""hwnas.predictors: latency and accuracy surrogates with scikit-learn's contract."""

from __future__ import annotations

from . import _accuracy_api, _latency_api
from ._accuracy_api import *  # noqa: F401,F403
from ._base import (
    SCHEMA_VERSION,
    Predictor,
    create_predictor,
    list_predictors,
    load_predictor,
    register_predictor,
    write_json_atomic,
)
from ._latency_api import *  # noqa: F401,F403

__all__ = [
    "Predictor",
    "SCHEMA_VERSION",
    "create_predictor",
    "list_predictors",
    "load_predictor",
    "register_predictor",
    "write_json_atomic",
    *_latency_api.__all__,
    *_accuracy_api.__all__,
]
