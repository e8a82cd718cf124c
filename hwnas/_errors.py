"""Errors that the CLI turns into one clear line and exit code 2."""

from __future__ import annotations

__all__ = [
    "HwnasError",
    "ArchitectureError",
    "ConfigError",
    "DataError",
    "NotFittedError",
    "MissingDependencyError",
]


class HwnasError(Exception):
    """Base of every error hwnas raises for bad input; the message is one line for a user."""


class ArchitectureError(HwnasError, ValueError):
    """An architecture string or genome that does not belong to its space."""


class ConfigError(HwnasError, ValueError):
    """A malformed configuration, option or argument."""


class DataError(HwnasError, ValueError):
    """A malformed, foreign, truncated or missing data file (table, profile, manifest)."""


class NotFittedError(HwnasError, RuntimeError):
    """A predictor used before `fit`."""


class MissingDependencyError(HwnasError, ImportError):
    """An optional dependency is needed for this call."""


def require(module: str, extra: str | None = None):
    """Import an optional dependency at call time, or fail with 'install X'."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        hint = f"pip install 'hwnas[{extra}]'" if extra else f"pip install {module}"
        raise MissingDependencyError(f"{module} is required for this feature: {hint}") from exc
