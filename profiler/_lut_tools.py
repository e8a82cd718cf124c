"""Working with finished profiles: show, export, merge shards, diff two devices."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from hwnas import UNIT_FIELDS, ConfigError, DataError

from ._profile import LUT_FILE, MANIFEST_FILE, NETWORKS_FILE, load_profile, noise_summary
from ._run import _now, first_difference
from ._tables import (LUT_COLUMNS, LUT_KEY, NETWORK_COLUMNS, NETWORK_KEY, read_table, table_hash,
                      write_json_atomic, write_table_atomic)

__all__ = ["show_profile", "export_lut", "read_lut", "merge_profiles", "diff_profiles", "EXPORT_FORMATS"]

EXPORT_FORMATS = (".csv", ".parquet", ".json")


def show_profile(directory: str | os.PathLike) -> dict:
    """A profile's summary (space, target, device, counts, noise, hash) and its table's rows."""
    prof = load_profile(directory)
    m = prof.manifest
    summary = {
        "path": str(prof.path), "space": m["space"]["name"], "target": prof.target.label,
        "device": m["device"].get("cpu", ""), "gpu": m["device"].get("gpu", ""),
        "device_id": m["device"].get("id", ""), "units": len(prof.lut), "networks": len(prof.networks),
        "complete": prof.complete, "overhead_ms": prof.overhead_ms, "hash": prof.hash,
        "noise": prof.noise(), "protocol": m["protocol"],
    }
    return {"summary": summary, "lut": prof.lut}


def _check_format(path: Path) -> None:
    if path.suffix.lower() not in EXPORT_FORMATS:
        raise ConfigError(f"{path}: unsupported format {path.suffix or '(none)'}; "
                          f"use one of {', '.join(EXPORT_FORMATS)}")


def export_lut(directory: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Write a profile's lookup table to ``out`` as CSV, Parquet or JSON records (by extension)."""
    out = Path(out)
    _check_format(out)
    write_table_atomic(load_profile(directory).lut, out, LUT_COLUMNS)
    return out


def read_lut(path: str | os.PathLike) -> pd.DataFrame:
    """Read and validate an exported lookup table (CSV, Parquet or JSON)."""
    path = Path(path)
    _check_format(path)
    return read_table(path, LUT_COLUMNS, LUT_KEY)


def _combine(frames: list[pd.DataFrame], key: Sequence[str], kind: str,
             tolerance: float) -> tuple[pd.DataFrame, int, list]:
    """Join rows; a key measured twice keeps the quieter row, and is a conflict when the medians
    differ by more than ``tolerance`` (relative)."""
    df = pd.concat(frames, ignore_index=True).sort_values([*key, "rel_iqr"], kind="stable")
    dup = df.duplicated(list(key), keep=False)
    conflicts = []
    for k, group in df[dup].groupby(list(key), sort=True):
        lo, hi = group["median_ms"].min(), group["median_ms"].max()
        if hi > lo * (1 + tolerance):
            conflicts.append({"table": kind, "key": dict(zip(key, (v.item() if hasattr(v, "item") else v for v in k))),
                              "median_ms": [float(v) for v in group["median_ms"]]})
    n_dup = int(df.duplicated(list(key)).sum())
    return df.drop_duplicates(list(key), keep="first").reset_index(drop=True), n_dup, conflicts


def merge_profiles(out: str | os.PathLike, directories: Sequence[str | os.PathLike], tolerance: float = 0.10) -> dict:
    """Merge profiles (shards of one run, or runs on several hosts of the same device) into ``out``.

    The inputs must share schema, space, target, device and protocol. A unit measured in several
    inputs keeps its quieter measurement; medians further apart than ``tolerance`` are reported
    as conflicts. An existing profile in ``out`` is merged in too. Returns a report.
    """
    out = Path(out)
    dirs = [Path(d) for d in directories]
    if not dirs:
        raise ConfigError("merge: give at least one profile directory")
    if (out / MANIFEST_FILE).is_file() and out.resolve() not in {d.resolve() for d in dirs}:
        dirs.append(out)
    profiles = [load_profile(d) for d in dirs]
    for p in profiles[1:]:
        what = first_difference(profiles[0].manifest, p.manifest)
        if what:
            raise DataError(f"merge: {p.path} has another {what} than {profiles[0].path}; refusing to mix")
    lut, dup_u, conf_u = _combine([p.lut for p in profiles], LUT_KEY, "lut", tolerance)
    nets, dup_n, conf_n = _combine([p.networks for p in profiles], NETWORK_KEY, "networks", tolerance)
    lut = lut.sort_values(list(LUT_KEY)).reset_index(drop=True)
    nets = nets.sort_values(list(NETWORK_KEY)).reset_index(drop=True)
    out.mkdir(parents=True, exist_ok=True)
    write_table_atomic(lut, out / LUT_FILE, LUT_COLUMNS)
    write_table_atomic(nets, out / NETWORKS_FILE, NETWORK_COLUMNS)
    manifest = dict(profiles[0].manifest)
    for key in ("request", "last_run", "pace_s"):
        manifest.pop(key, None)
    rel = np.concatenate([lut["rel_iqr"], nets["rel_iqr"]])
    manifest.update({
        "merged_from": [{"path": str(p.path), "hash": p.hash, "shard": (p.manifest.get("request") or {}).get("shard")}
                        for p in profiles],
        "counts": {"units": len(lut), "networks": len(nets)},
        "noise": noise_summary(rel, np.concatenate([lut["noisy"], nets["noisy"]]),
                               np.concatenate([lut["remeasured"], nets["remeasured"]])),
        "complete": True, "table_hash": table_hash(lut, nets), "updated": _now(),
    })
    write_json_atomic(out / MANIFEST_FILE, manifest)
    return {"out": str(out), "inputs": [str(p.path) for p in profiles], "units": len(lut), "networks": len(nets),
            "duplicates": dup_u + dup_n, "conflicts": conf_u + conf_n, "hash": manifest["table_hash"]}


def _agreement(a: np.ndarray, b: np.ndarray) -> dict:
    from scipy import stats

    if len(a) < 2:
        return {"kendall_tau": None, "spearman": None}
    return {"kendall_tau": float(stats.kendalltau(a, b).statistic), "spearman": float(stats.spearmanr(a, b).statistic)}


def _ratio_summary(a: np.ndarray, b: np.ndarray) -> dict:
    ratio = b / a
    return {"common": int(len(a)), "ratio_geomean": float(np.exp(np.mean(np.log(ratio)))) if len(a) else None,
            "ratio_median": float(np.median(ratio)) if len(a) else None,
            "ratio_min": float(ratio.min()) if len(a) else None, "ratio_max": float(ratio.max()) if len(a) else None,
            **_agreement(a, b)}


def diff_profiles(dir_a: str | os.PathLike, dir_b: str | os.PathLike) -> dict:
    """Compare two profiles (e.g. two devices): per unit the latency ratio B / A, and how well the
    two tables agree on the order of units (Kendall tau, Spearman); the same on common networks."""
    a, b = load_profile(dir_a), load_profile(dir_b)
    keys = list(UNIT_FIELDS)
    joined = a.lut[keys + ["median_ms"]].merge(b.lut[keys + ["median_ms"]], on=keys, suffixes=("_a", "_b"))
    joined = joined[(joined["median_ms_a"] > 0) & (joined["median_ms_b"] > 0)].copy()
    joined["ratio"] = joined["median_ms_b"] / joined["median_ms_a"]
    units = {**_ratio_summary(joined["median_ms_a"].to_numpy(), joined["median_ms_b"].to_numpy()),
             "only_a": len(a.lut) - len(joined), "only_b": len(b.lut) - len(joined)}
    nets = a.networks[["arch", "median_ms"]].merge(b.networks[["arch", "median_ms"]], on="arch", suffixes=("_a", "_b"))
    same_space = a.manifest["space"]["name"] == b.manifest["space"]["name"]
    networks = {"common": 0}
    if same_space:
        networks = _ratio_summary(nets["median_ms_a"].to_numpy(), nets["median_ms_b"].to_numpy())
    return {"a": {"path": str(a.path), "target": a.target.label, "device": a.manifest["device"].get("cpu")},
            "b": {"path": str(b.path), "target": b.target.label, "device": b.manifest["device"].get("cpu")},
            "units": units, "networks": networks, "rows": joined.sort_values("ratio").reset_index(drop=True)}
