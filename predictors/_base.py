"""`Predictor`: the surrogate base class (scikit-learn's estimator contract) and its registry."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from hwnas import (
    Architecture,
    ConfigError,
    DataError,
    NotFittedError,
    SearchSpace,
    create_space,
    get_space,
    write_json_atomic,
)

__all__ = [
    "Predictor",
    "SCHEMA_VERSION",
    "register_predictor",
    "list_predictors",
    "create_predictor",
    "load_predictor",
    "write_json_atomic",
]

SCHEMA_VERSION = 1


class Predictor(ABC):
    """A surrogate that maps architectures of one space to a number (latency in ms, accuracy in %).

    The contract is scikit-learn's: ``__init__`` only stores hyper-parameters (``get_params``);
    ``fit(archs, y)`` validates its input, learns, stores fitted state in attributes ending in
    ``_`` and returns ``self``; ``predict(archs)`` takes thousands of architectures at once and
    returns a float64 array. ``predict_genes`` is the same on an ``(N, n_choices)`` gene matrix,
    the fast path of the search. ``predict_with_std`` adds an uncertainty where the model has a
    cheap one (ensembles); others return zeros.

    Persistence never pickles: ``save(dir)`` writes ``predictor.json`` (kind, name, space and its
    config, hyper-parameters, the hash of the profile or table it was fitted on) and the model's
    own safe files (XGBoost JSON/UBJ, safetensors / ``state_dict``); ``load_predictor(dir)``
    restores any registered predictor. Subclasses implement ``_fit``, ``_predict_genes``,
    ``_save_state`` and ``_load_state``.
    """

    kind: ClassVar[str] = ""  # "latency" or "accuracy"
    name: ClassVar[str] = ""

    def __init__(self, space: SearchSpace | str, **params: Any) -> None:
        self.space = get_space(space) if isinstance(space, str) else space
        self.params = dict(params)

    # ------------------------------------------------------------------ contract
    def get_params(self) -> dict:
        return dict(self.params)

    def fit(self, archs: Sequence[Architecture | str], y: Sequence[float], **fit_kw: Any) -> "Predictor":
        archs = [self.space.as_arch(a) for a in archs]
        y = np.asarray(y, dtype=np.float64)
        if len(archs) != len(y):
            raise ConfigError(f"fit: {len(archs)} architectures but {len(y)} targets")
        if len(archs) == 0:
            raise ConfigError("fit: no training architectures")
        if not np.all(np.isfinite(y)):
            raise ConfigError("fit: targets contain NaN or infinite values")
        self._fit(archs, y, **fit_kw)
        self.n_train_ = len(archs)
        return self

    def predict(self, archs: Sequence[Architecture | str]) -> np.ndarray:
        archs = [self.space.as_arch(a) for a in archs]
        return self.predict_genes(self.space.genes_array(archs))

    def predict_genes(self, genes: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self._predict_genes(np.asarray(genes, dtype=np.int64)), dtype=np.float64)

    def predict_with_std(self, archs: Sequence[Architecture | str]) -> tuple[np.ndarray, np.ndarray]:
        mean = self.predict(archs)
        return mean, np.zeros_like(mean)

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_train_"):
            raise NotFittedError(f"{self.kind}/{self.name} predictor is not fitted; call fit first")

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _fit(self, archs: list[Architecture], y: np.ndarray, **fit_kw: Any) -> None: ...

    @abstractmethod
    def _predict_genes(self, genes: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _save_state(self, directory: Path) -> dict:
        """Write model files into ``directory``; return JSON-able extra state."""

    @abstractmethod
    def _load_state(self, directory: Path, state: dict) -> None: ...

    def fitted_on(self) -> str | None:
        """Hash of the profile or table the predictor depends on (checked on use), if any."""
        return None

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | os.PathLike) -> Path:
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = self._save_state(directory)
        write_json_atomic(directory / "predictor.json", {
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind,
            "name": self.name,
            "space": self.space.name.split(":", 1)[0],
            "space_config": self.space.config(),
            "params": self.params,
            "n_train": self.n_train_,
            "fitted_on": self.fitted_on(),
            "state": state,
        })
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "Predictor":
        return load_predictor(directory, expected=cls)


_REGISTRY: dict[tuple[str, str], Callable[..., Predictor]] = {}


def register_predictor(cls: type[Predictor]) -> type[Predictor]:
    """Class decorator: register under ``(cls.kind, cls.name)``."""
    _REGISTRY[(cls.kind, cls.name)] = cls
    return cls


def list_predictors(kind: str | None = None) -> list[str]:
    """Registered predictors as ``kind/name``."""
    return sorted(f"{k}/{n}" for k, n in _REGISTRY if kind is None or k == kind)


def create_predictor(kind: str, name: str, space: SearchSpace | str, **params: Any) -> Predictor:
    if (kind, name) not in _REGISTRY:
        known = ", ".join(list_predictors(kind)) or "none"
        raise ConfigError(f"unknown {kind} predictor {name!r}; known: {known}")
    return _REGISTRY[(kind, name)](space, **params)


def load_predictor(directory: str | os.PathLike, expected: type[Predictor] | None = None,
                   space: SearchSpace | str | None = None) -> Predictor:
    """Restore a saved predictor; a foreign or corrupt directory gives one clear error."""
    directory = Path(directory)
    meta_path = directory / "predictor.json"
    if not meta_path.is_file():
        raise DataError(f"{directory}: not a saved predictor (no predictor.json)")
    try:
        meta = json.loads(meta_path.read_text())
        kind, name = meta["kind"], meta["name"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f"{meta_path}: corrupt predictor manifest ({exc})") from exc
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise DataError(f"{meta_path}: schema version {meta.get('schema_version')} is not {SCHEMA_VERSION}")
    if (kind, name) not in _REGISTRY:
        raise DataError(f"{meta_path}: unknown predictor {kind}/{name}")
    cls = _REGISTRY[(kind, name)]
    if expected is not None and not issubclass(cls, expected):
        raise DataError(f"{meta_path}: holds a {kind}/{name} predictor, not a {expected.__name__}")
    saved_space = meta["space"]
    if space is not None:
        want = space if isinstance(space, str) else space.name.split(":", 1)[0]
        if want != saved_space:
            raise DataError(f"{meta_path}: predictor was fitted for space {saved_space!r}, not {want!r}")
    sp = create_space(saved_space, **meta["space_config"]) if meta.get("space_config") else get_space(saved_space)
    pred = cls(sp, **meta.get("params", {}))
    pred._load_state(directory, meta.get("state", {}))
    pred.n_train_ = int(meta["n_train"])
    return pred
