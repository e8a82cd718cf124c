"""`LatencyPredictor`: what every latency surrogate shares: the profile it may read, its features,
and the lookup table it copies into its saved directory so that a saved predictor is self-contained.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hwnas import UNIT_FIELDS, ConfigError, DataError, SearchSpace, Unit

from ._base import Predictor
from ._lat_features import LatencyFeatures

__all__ = ["LatencyPredictor", "as_profile", "xgb_threads"]

_LUT_FILE = "lut_units.csv"
_MULTITHREAD_ROWS = 20_000  # below this, one thread predicts faster than two (measured on a busy 2-core box)


def xgb_threads(n_rows: int | None = None) -> int:
    """Threads for XGBoost: at most 2 and the CPUs this process may use (``taskset``); 1 for
    predictions on fewer than 20,000 rows, where waking a second thread costs more than it saves."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if n_rows is not None and n_rows < _MULTITHREAD_ROWS else max(1, min(2, cores))


def as_profile(profile: Any):
    """A loaded ``hwnas.profiler.Profile`` from a profile object or directory (``None`` stays ``None``)."""
    if profile is None or hasattr(profile, "lut_sums"):
        return profile
    from hwnas.profiler import load_profile

    return load_profile(profile)


class LatencyPredictor(Predictor):
    """Base of the latency surrogates (kind ``"latency"``): ``predict`` returns milliseconds.

    ``profile`` (a ``Profile`` or its directory) gives the device's lookup table: at ``fit`` its
    units' latencies are copied into the predictor (``lut_``), its hash recorded
    (``profile_hash_``) and checked by ``check_profile``. ``fit_profile()`` fits on the profile's own
    whole-network measurements, the usual calibration set.
    """

    kind = "latency"
    needs_profile = False

    def __init__(self, space: SearchSpace | str, profile: Any = None, **params: Any) -> None:
        self._profile = profile if hasattr(profile, "lut_sums") else None
        if profile is not None:
            path = getattr(profile, "path", profile)
            params["profile"] = None if path is None else str(path)
        super().__init__(space, **params)

    # ------------------------------------------------------------------ profile
    @property
    def profile(self):
        if self._profile is None and self.params.get("profile"):
            self._profile = as_profile(self.params["profile"])
        return self._profile

    def _take_profile(self) -> None:
        """Copy the profile's lookup table into the fitted state (or record that there is none)."""
        self._features = None  # caches built for an earlier fit are stale
        self.__dict__.pop("_graph_cache", None)
        self.__dict__.pop("ops_", None)
        prof = self.profile
        if prof is None:
            if self.needs_profile:
                raise ConfigError(f"latency/{self.name} needs a profile (profile=DIR): it sums a lookup table")
            self.lut_, self.profile_hash_, self.input_shape_ = None, None, tuple(self.space.default_input_shape)
            return
        if prof.space.name != self.space.name:
            raise DataError(f"profile {prof.path} is for space {prof.space.name!r}, not {self.space.name!r}")
        table = prof.table() if callable(prof.table) else prof.table  # unit -> median ms
        self.lut_ = dict(table)
        self.profile_hash_ = prof.hash
        self.input_shape_ = tuple(prof.input_shape)

    def check_profile(self, profile: Any) -> None:
        """Refuse a profile other than the one this predictor was fitted with."""
        prof = as_profile(profile)
        mine = getattr(self, "profile_hash_", None)
        if prof is not None and mine is not None and prof.hash != mine:
            raise DataError(f"profile {prof.path} (hash {prof.hash[:12]}) is not the one this predictor was "
                            f"fitted with (hash {mine[:12]}); refit it on this profile")
        if prof is not None and mine is None and getattr(self, "n_train_", 0):
            raise DataError(f"this latency/{self.name} predictor was fitted without a profile")

    def fitted_on(self) -> str | None:
        return getattr(self, "profile_hash_", None)

    def fit_profile(self, max_networks: int | None = None) -> "LatencyPredictor":
        """Fit on the profile's whole-network measurements (at most ``max_networks`` of them)."""
        if self.profile is None:
            raise ConfigError(f"latency/{self.name}: fit_profile needs a profile")
        archs, ms = self.profile.network_latencies()
        if not archs:
            raise DataError(f"profile {self.profile.path} has no whole-network measurements; profile with --networks K")
        n = len(archs) if max_networks is None else min(max_networks, len(archs))
        return self.fit(archs[:n], ms[:n])

    def features(self) -> LatencyFeatures:
        """The feature builder (cached) for the fitted lookup table."""
        f = getattr(self, "_features", None)
        if f is None:
            f = LatencyFeatures(self.space, getattr(self, "lut_", None), getattr(self, "input_shape_", None),
                                getattr(self, "ops_", None))
            self.ops_ = f.ops
            self._features = f
        return f

    # ------------------------------------------------------------------ persistence of the LUT
    def _save_lut(self, directory: Path) -> dict:
        state = {"profile_hash": self.profile_hash_, "input_shape": list(self.input_shape_),
                 "ops": list(self.features().ops)}
        if self.lut_ is not None:
            rows = [dict(u.to_dict(), median_ms=ms) for u, ms in self.lut_.items()]
            _write_csv_atomic(pd.DataFrame(rows, columns=[*UNIT_FIELDS, "median_ms"]), directory / _LUT_FILE)
        return state

    def _load_lut(self, directory: Path, state: dict) -> None:
        self.profile_hash_ = state.get("profile_hash")
        self.input_shape_ = tuple(state.get("input_shape") or self.space.default_input_shape)
        self.ops_ = state.get("ops")
        self._features = None
        self.lut_ = None
        if self.profile_hash_ is not None:
            path = directory / _LUT_FILE
            if not path.is_file():
                raise DataError(f"{directory}: saved predictor lacks {_LUT_FILE}")
            df = pd.read_csv(path, keep_default_na=False, dtype=str)  # Python parses the numbers: bit for bit
            self.lut_ = {Unit.from_dict(r): float(r["median_ms"]) for r in df.to_dict("records")}


def _write_csv_atomic(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def log_ms(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if np.any(y <= 0):
        raise ConfigError("fit: latencies must be positive (ms)")
    return np.log(y)
