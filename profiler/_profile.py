"""`Profile`: a measured lookup table of one space on one target and device, loaded from disk."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from hwnas import Architecture, ConfigError, DataError, SearchSpace, Target, Unit, create_space, get_space

from ._protocol import TimingProtocol
from ._tables import LUT_COLUMNS, LUT_KEY, NETWORK_COLUMNS, NETWORK_KEY, read_table, table_hash

__all__ = [
    "Profile",
    "load_profile",
    "default_profile_dir",
    "noise_summary",
    "SCHEMA_VERSION",
    "PROFILE_ROOT",
    "LUT_FILE",
    "NETWORKS_FILE",
    "MANIFEST_FILE",
]

SCHEMA_VERSION = 1
LUT_FILE, NETWORKS_FILE, MANIFEST_FILE = "lut.csv", "networks.csv", "manifest.json"
# Where `hwnas profile` puts a profile by default and where the latency predictors look for one:
# ``profiles/<space>-<target label>`` relative to the working directory (git-ignored in the repo).
PROFILE_ROOT = Path("profiles")
_UNIT_STATISTICS = ("median_ms", "min_ms", "mean_ms", "p90_ms", "iqr_ms", "rel_iqr")
_MANIFEST_KEYS = ("schema_version", "kind", "space", "target", "device", "protocol", "complete")


def default_profile_dir(space: str | SearchSpace, target: str | Target = "ort-cpu", threads: int = 1,
                        batch_size: int = 1, root: str | os.PathLike | None = None) -> Path:
    """``profiles/<space>-<target>-t<threads>-b<batch>``, e.g. ``profiles/nb201-ort-cpu-t1-b1``."""
    name = space if isinstance(space, str) else space.name
    label = target.label if isinstance(target, Target) else f"{target}-t{threads}-b{batch_size}"
    return Path(root if root is not None else PROFILE_ROOT) / f"{name.replace(':', '-')}-{label}"


def noise_summary(rel_iqr: np.ndarray, noisy: np.ndarray, remeasured: np.ndarray) -> dict:
    """The machine's noise level: the distribution of the rows' relative IQR and the flagged share."""
    r = np.asarray(rel_iqr, dtype=np.float64)
    if r.size == 0:
        return {"rows": 0}
    p50, p90, p99 = np.percentile(r, [50, 90, 99])
    return {"rows": int(r.size), "rel_iqr_p50": float(p50), "rel_iqr_p90": float(p90),
            "rel_iqr_p99": float(p99), "rel_iqr_max": float(r.max()),
            "noisy_share": float(np.mean(noisy)), "remeasured_share": float(np.mean(remeasured))}


def _read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise DataError(f"{directory}: not a profile directory (no {MANIFEST_FILE})")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: corrupt JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("kind") != "hwnas-profile":
        raise DataError(f"{path}: not an hwnas profile manifest")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise DataError(f"{path}: schema version {manifest.get('schema_version')!r}, this hwnas reads {SCHEMA_VERSION}")
    missing = [k for k in _MANIFEST_KEYS if k not in manifest]
    if missing:
        raise DataError(f"{path}: manifest lacks {', '.join(missing)}")
    return manifest


class Profile:
    """A lookup table (``lut``: one row per unit, typed columns ``target``, ``hwnas.UNIT_FIELDS``,
    measurements, flags), whole-network measurements (``networks``) and the ``manifest`` that
    says what was measured where: space, target, device fingerprint, runtime versions, protocol.

    ``lookup(unit)`` is a unit's median latency in ms; ``lut_sum(arch)`` / ``lut_sums(archs)``
    the table's estimate of a network (optionally less the per-call overhead the sum counts once
    per unit but the network pays once). ``hash`` identifies the table's content: predictors
    record it and refuse another table.
    """

    def __init__(self, lut: pd.DataFrame, networks: pd.DataFrame, manifest: dict,
                 path: Path | None = None) -> None:
        self.lut = lut
        self.networks = networks
        self.manifest = manifest
        self.path = path
        self._tables: dict[str, dict[Unit, float]] = {}
        self._sums: dict[tuple[Architecture, str], tuple[float, int]] = {}
        self._space: SearchSpace | None = None

    # ------------------------------------------------------------------ identity
    @property
    def hash(self) -> str:
        return self.manifest.get("table_hash") or table_hash(self.lut, self.networks)

    @property
    def complete(self) -> bool:
        return bool(self.manifest.get("complete"))

    @property
    def target(self) -> Target:
        return Target.from_dict(self.manifest["target"])

    @property
    def protocol(self) -> TimingProtocol:
        return TimingProtocol.from_dict(self.manifest["protocol"])

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.manifest["space"]["input_shape"])  # type: ignore[return-value]

    @property
    def space(self) -> SearchSpace:
        if self._space is None:
            s = self.manifest["space"]
            self._space = create_space(s["base"], **s["config"]) if s.get("config") else get_space(s["base"])
        return self._space

    @property
    def overhead_ms(self) -> float:
        """Median time of an empty graph on this target (0 when it was not measured)."""
        return float((self.manifest.get("overhead") or {}).get("median_ms", 0.0))

    def noise(self) -> dict:
        cols = ["rel_iqr", "noisy", "remeasured"]
        df = pd.concat([self.lut[cols], self.networks[cols]])
        return noise_summary(df["rel_iqr"].to_numpy(), df["noisy"].to_numpy(), df["remeasured"].to_numpy())

    def __repr__(self) -> str:
        return (f"Profile({self.manifest['space']['name']!r} on {self.target.label}, {len(self.lut)} units, "
                f"{len(self.networks)} networks, {self.path})")

    # ------------------------------------------------------------------ lookups
    def table(self, column: str = "median_ms") -> dict[Unit, float]:
        """Unit -> one per-unit statistic: a latency in ms (``median_ms``, ``min_ms``, ``mean_ms``,
        ``p90_ms``) or its spread (``iqr_ms``, and ``rel_iqr``, the IQR over the median)."""
        if column not in self._tables:
            if column not in _UNIT_STATISTICS:
                raise ConfigError(f"no per-unit statistic {column!r}; use one of {', '.join(_UNIT_STATISTICS)}")
            cols = list(LUT_KEY[1:])
            self._tables[column] = {Unit(*row[:-1]): float(row[-1])
                                    for row in self.lut[cols + [column]].itertuples(index=False)}
        return self._tables[column]

    def lookup(self, unit: Unit, column: str = "median_ms") -> float:
        """The latency (ms) of ``unit``; a clear error naming it when the table lacks it."""
        try:
            return self.table(column)[unit]
        except KeyError:
            raise DataError(f"{self.path or 'profile'}: no lookup-table row for {unit} on "
                            f"{self.target.label}; profile the architectures that use it") from None

    def unit_latencies(self, arch: Architecture | str, column: str = "median_ms") -> np.ndarray:
        """The latency of each of ``arch``'s units, in execution order."""
        arch = self.space.as_arch(arch)
        units = self.space.units(arch, self.input_shape)
        return np.array([self.lookup(u, column) for u in units], dtype=np.float64)

    def lut_sum(self, arch: Architecture | str, subtract_overhead: bool = False, column: str = "median_ms") -> float:
        return float(self.lut_sums([arch], subtract_overhead, column)[0])

    def lut_sums(self, archs: Sequence[Architecture | str], subtract_overhead: bool = False,
                 column: str = "median_ms") -> np.ndarray:
        """The table's estimate of each architecture: the sum of its units' latencies (``column``),
        less ``(units - 1) * overhead_ms`` with ``subtract_overhead``."""
        space, table, shape, memo = self.space, self.table(column), self.input_shape, self._sums
        sums = np.empty(len(archs), dtype=np.float64)
        extra_units = np.empty(len(archs), dtype=np.float64)
        for i, a in enumerate(archs):
            arch = space.as_arch(a)
            if (arch, column) not in memo:  # searches ask for the same architectures again and again
                units = space.units(arch, shape)
                try:
                    memo[arch, column] = (sum(table[u] for u in units), len(units) - 1)
                except KeyError:
                    for u in units:
                        self.lookup(u, column)  # raises, naming the missing unit
            sums[i], extra_units[i] = memo[arch, column]
        return sums - extra_units * self.overhead_ms if subtract_overhead else sums

    def network_latencies(self) -> tuple[list[Architecture], np.ndarray]:
        """The measured whole networks and their median latency (ms): the calibration set."""
        archs = [self.space.parse(a) for a in self.networks["arch"]]
        return archs, self.networks["median_ms"].to_numpy(dtype=np.float64)


def load_profile(directory: str | os.PathLike) -> Profile:
    """Load and validate a profile directory; a corrupt, truncated or foreign file is a ``DataError``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: no such profile directory")
    manifest = _read_manifest(directory)
    lut = read_table(directory / LUT_FILE, LUT_COLUMNS, LUT_KEY)
    networks = read_table(directory / NETWORKS_FILE, NETWORK_COLUMNS, NETWORK_KEY)
    label = Target.from_dict(manifest["target"]).label
    for name, df in ((LUT_FILE, lut), (NETWORKS_FILE, networks)):
        foreign = df["target"] != label
        if foreign.any():
            i = int(np.flatnonzero(foreign.to_numpy())[0])
            raise DataError(f"{directory / name}: line {i + 2} was measured on target "
                            f"{df['target'].iloc[i]!r}, but the manifest says {label!r}")
    if manifest.get("complete") and manifest.get("table_hash") != table_hash(lut, networks):
        raise DataError(f"{directory}: {LUT_FILE}/{NETWORKS_FILE} do not match the manifest's table hash "
                        f"(edited, truncated or from another profile)")
    return Profile(lut, networks, manifest, directory)
