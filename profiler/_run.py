"""`profile`: time every unit of a space (and K whole networks) into a resumable profile directory."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from hwnas import (Architecture, ConfigError, DataError, Measurement, SearchSpace, Unit, build_unit,
                   get_space)

from ._device import device_fingerprint, runtime_versions
from ._profile import (LUT_FILE, MANIFEST_FILE, NETWORKS_FILE, SCHEMA_VERSION, Profile, _read_manifest,
                       default_profile_dir, load_profile, noise_summary)
from ._protocol import BEFORE_SESSIONS, TimingProtocol, fastest_session
from ._tables import (LUT_COLUMNS, LUT_KEY, NETWORK_COLUMNS, NETWORK_KEY, Journal, measurement_row,
                      read_table, table_hash, write_json_atomic, write_table_atomic)
from ._targets import TargetRunner, create_target
from ._units import collect_units

__all__ = ["ProfilePlan", "plan_profile", "profile", "measure_architecture", "measure_module", "parse_shard"]

# Rough cost of preparing one piece on ort-cpu on a small 2-core machine (export + session), for
# the dry run's estimate until a run in the directory has measured its own pace (seconds per item).
_SETUP_S = {"unit": 0.04, "network": 0.5}


def parse_shard(text: str | tuple[int, int]) -> tuple[int, int]:
    """``"i/N"`` (or a tuple) as ``(i, N)`` with ``0 <= i < N``."""
    try:
        i, n = (int(v) for v in (text.split("/") if isinstance(text, str) else text))
    except (ValueError, TypeError):
        raise ConfigError(f"shard must look like i/N (e.g. 0/4), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise ConfigError(f"shard {i}/{n}: need 0 <= i < N")
    return i, n


def measure_module(runner: TargetRunner, module, input_shape: tuple[int, ...], protocol: TimingProtocol,
                   seed: int = 0, sessions: int = 1) -> tuple[Measurement, bool]:
    """Time ``module`` in ``sessions`` fresh sessions and keep the fastest (see ``TimingProtocol``);
    a result noisier than the protocol allows is re-measured once and the quieter of the two kept.
    Returns the measurement and whether it was re-measured."""
    m = fastest_session(lambda: runner.measure(module, input_shape, protocol, seed), sessions)
    if not protocol.remeasure or m.relative_iqr <= protocol.rel_iqr:
        return m, False
    again = runner.measure(module, input_shape, protocol, seed)
    return (again if again.relative_iqr < m.relative_iqr else m), True


def measure_architecture(space: SearchSpace | str, arch: Architecture | str, target_runner: TargetRunner | str,
                         protocol: TimingProtocol | None = None, input_shape: tuple[int, int, int] | None = None,
                         seed: int = 0) -> Measurement:
    """Time ``arch`` end to end on a target, with the same protocol the lookup table used."""
    space = get_space(space) if isinstance(space, str) else space
    runner = create_target(target_runner) if isinstance(target_runner, str) else target_runner
    shape = tuple(input_shape or space.default_input_shape)
    with _torch_threads(runner):
        model = space.build(space.as_arch(arch), None, shape)
        protocol = protocol or TimingProtocol()
        return measure_module(runner, model, shape, protocol, seed, protocol.network_sessions)[0]


@dataclass
class ProfilePlan:
    """What ``profile`` will measure in ``out_dir`` (this shard's share), and what is already there."""

    space: SearchSpace
    runner: TargetRunner
    out_dir: Path
    protocol: TimingProtocol
    input_shape: tuple[int, int, int]
    units: list[Unit]
    networks: list[Architecture]
    coverage: str
    total_units: int
    shard: tuple[int, int]
    seed: int
    requested_networks: int
    pending_units: list[Unit] = field(default_factory=list)
    pending_networks: list[Architecture] = field(default_factory=list)
    measured_pace_s: dict = field(default_factory=dict)

    @property
    def pace_s(self) -> dict:
        """Seconds per unit and per network: measured by an earlier run here, else a guess from the protocol."""
        p = self.protocol
        # A unit's call is usually shorter than a block: its timing ends by max_runs blocks at the latest.
        unit = p.warmup_s + min(p.max_time_s, (p.min_runs + p.max_runs) / 2 * p.block_ms / 1000)
        guess = {"unit": _SETUP_S["unit"] + unit, "network": _SETUP_S["network"] + p.warmup_s + p.max_time_s / 2}
        return {**guess, **self.measured_pace_s}

    @property
    def estimated_s(self) -> float:
        pace = self.pace_s
        return len(self.pending_units) * pace["unit"] + len(self.pending_networks) * pace["network"]

    def summary(self) -> dict:
        return {
            "space": self.space.name, "target": self.runner.target.label, "out_dir": str(self.out_dir),
            "shard": f"{self.shard[0]}/{self.shard[1]}", "unit_coverage": self.coverage,
            "units_in_space": self.total_units, "units": len(self.units),
            "units_pending": len(self.pending_units), "networks": len(self.networks),
            "networks_pending": len(self.pending_networks), "estimated_s": round(self.estimated_s, 1),
        }


def _sample_networks(space: SearchSpace, archs: Sequence[Architecture] | None, k: int,
                     seed: int) -> list[Architecture]:
    if k < 0:
        raise ConfigError(f"networks must be >= 0, got {k}")
    if archs is None:
        return space.sample_many(k, rng=seed)
    pick = np.sort(np.random.default_rng(seed).choice(len(archs), size=min(k, len(archs)), replace=False))
    return [archs[i] for i in pick]


def _identity(m: dict) -> dict:
    """What must match for rows to be mixed in one table."""
    return {"space": m["space"], "target": m["target"], "device": m["device"]["id"],
            "protocol": {**BEFORE_SESSIONS, **m["protocol"]},  # settings added later read as before
            "schema_version": m["schema_version"]}


def _new_manifest(plan: ProfilePlan) -> dict:
    space = plan.space
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "hwnas-profile",
        "space": {"name": space.name, "base": space.name.split(":", 1)[0], "config": space.config(),
                  "input_shape": list(plan.input_shape)},
        "target": {**plan.runner.target.to_dict(), "label": plan.runner.target.label},
        "device": device_fingerprint(),
        "runtime": runtime_versions(),
        "protocol": plan.protocol.to_dict(),
        "files": {"lut": LUT_FILE, "networks": NETWORKS_FILE},
        "complete": False,
        "table_hash": None,
    }


def _measured_keys(path: Path, columns: Sequence[str], key: Sequence[str]) -> set[tuple]:
    if not path.is_file() or b"\n" not in path.read_bytes():
        return set()
    df = read_table(path, columns, key, allow_partial_tail=True)
    return set(df[list(key)].itertuples(index=False, name=None))


def plan_profile(space: SearchSpace | str, target: TargetRunner | str = "ort-cpu",
                 out_dir: str | os.PathLike | None = None, archs: Sequence[Architecture | str] | None = None,
                 networks: int = 100, seed: int = 0, shard: tuple[int, int] | str = (0, 1),
                 protocol: TimingProtocol | None = None, threads: int = 1, batch_size: int = 1,
                 input_shape: tuple[int, int, int] | None = None) -> ProfilePlan:
    """What ``profile`` with the same arguments would measure (the dry run); checks that an
    existing ``out_dir`` holds a profile of the same space, target, device and protocol."""
    space = get_space(space) if isinstance(space, str) else space
    runner = create_target(target, threads, batch_size) if isinstance(target, str) else target
    protocol = protocol or TimingProtocol()
    i, n = parse_shard(shard)
    shape = tuple(input_shape or space.default_input_shape)
    arch_list = None if archs is None else [space.as_arch(a) for a in archs]
    found = collect_units(space, arch_list, shape)
    nets = _sample_networks(space, arch_list, networks, seed)
    # The sampled networks' units are always in the table, even where a sweep missed one.
    units = sorted(set(found.units).union(*(space.units(a, shape) for a in nets)))
    out = Path(out_dir) if out_dir is not None else default_profile_dir(space, runner.target)
    plan = ProfilePlan(space, runner, out, protocol, shape, units[i::n], nets[i::n], found.coverage,
                       len(units), (i, n), seed, networks)
    label = runner.target.label
    done_units, done_nets = set(), set()
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a directory")
    if not (out / MANIFEST_FILE).is_file() and ((out / LUT_FILE).exists() or (out / NETWORKS_FILE).exists()):
        raise DataError(f"{out}: holds tables but no {MANIFEST_FILE}; not resuming into it: use another directory")
    if (out / MANIFEST_FILE).is_file():
        old = _read_manifest(out)
        _check_same(out, old, _new_manifest(plan))
        plan.measured_pace_s = dict(old.get("pace_s") or {})
        done_units = _measured_keys(out / LUT_FILE, LUT_COLUMNS, LUT_KEY)
        done_nets = _measured_keys(out / NETWORKS_FILE, NETWORK_COLUMNS, NETWORK_KEY)
    plan.pending_units = [u for u in plan.units if _unit_key(label, u) not in done_units]
    plan.pending_networks = [a for a in plan.networks if (label, space.format(a)) not in done_nets]
    return plan


def _unit_key(label: str, unit: Unit) -> tuple:
    return (label, *unit.to_dict().values())


def _check_same(out: Path, old: dict, new: dict) -> None:
    what = first_difference(old, new)
    if what:
        raise DataError(f"{out}: holds a profile with another {what}; refusing to mix measurements: "
                        f"use another output directory")


def first_difference(old: dict, new: dict) -> str | None:
    """What differs between two manifests' identities (``"protocol (min_runs: 3 vs 10)"``), or None."""
    a, b = _identity(old), _identity(new)
    for what in ("schema_version", "space", "target", "device", "protocol"):
        if a[what] != b[what]:
            if isinstance(a[what], dict) and isinstance(b[what], dict):
                keys = sorted(k for k in set(a[what]) | set(b[what]) if a[what].get(k) != b[what].get(k))
                detail = ", ".join(f"{k}: {a[what].get(k)!r} vs {b[what].get(k)!r}" for k in keys)
            else:
                detail = f"{a[what]!r} vs {b[what]!r}"
            return f"{what} ({detail})"
    return None


class _DirectoryLock:
    """One ``profile`` process per directory (an flock, released by the OS even on SIGKILL)."""

    def __init__(self, out: Path) -> None:
        self.path = out / ".lock"

    def __enter__(self) -> "_DirectoryLock":
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise DataError(f"{self.path.parent}: another hwnas profile is writing this directory") from None
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def profile(space: SearchSpace | str, target: TargetRunner | str = "ort-cpu",
            out_dir: str | os.PathLike | None = None, archs: Sequence[Architecture | str] | None = None,
            networks: int = 100, seed: int = 0, shard: tuple[int, int] | str = (0, 1),
            protocol: TimingProtocol | None = None, progress: bool = True, threads: int = 1, batch_size: int = 1,
            input_shape: tuple[int, int, int] | None = None) -> Profile:
    """Profile ``space`` on ``target`` into ``out_dir`` and return the loaded ``Profile``.

    Times every distinct unit of the space (or of ``archs``) and ``networks`` whole networks
    sampled with ``seed`` (from ``archs`` when given), each as its own graph with the same input
    shape, batch and threads. Rows are appended durably as they are measured: rerunning after an
    interruption continues where it stopped, rerunning a complete profile measures nothing.
    ``shard=(i, N)`` measures every N-th item from the i-th (merge the shards with
    ``merge_profiles``). Default ``out_dir``: ``default_profile_dir(space, target)``.
    """
    plan = plan_profile(space, target, out_dir, archs, networks, seed, shard, protocol, threads, batch_size,
                        input_shape)
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    with _DirectoryLock(plan.out_dir):
        return _run(plan, progress)


def _run(plan: ProfilePlan, progress: bool) -> Profile:
    from tqdm.auto import tqdm

    out, label, space = plan.out_dir, plan.runner.target.label, plan.space
    manifest = _new_manifest(plan)
    if (out / MANIFEST_FILE).is_file():
        old = _read_manifest(out)
        manifest.update({k: old[k] for k in ("created", "overhead", "device", "elapsed_s", "pace_s") if k in old})
    manifest.setdefault("created", _now())
    manifest["request"] = {"networks": plan.requested_networks, "seed": plan.seed,
                           "archs_given": plan.coverage == "archs", "shard": list(plan.shard)}
    manifest["unit_coverage"] = plan.coverage
    if "overhead" not in manifest:
        manifest["overhead"] = plan.runner.overhead(plan.input_shape, plan.protocol).to_dict()
    write_json_atomic(out / MANIFEST_FILE, manifest)
    started = time.perf_counter()
    spent = {"unit": 0.0, "network": 0.0}
    units_j, nets_j = Journal(out / LUT_FILE, LUT_COLUMNS), Journal(out / NETWORKS_FILE, NETWORK_COLUMNS)
    units_j.recover()
    nets_j.recover()
    total = len(plan.pending_units) + len(plan.pending_networks)
    bar = tqdm(total=total, desc=f"profile {space.name} on {label}", unit="item", disable=not progress)
    with units_j, nets_j, bar, _torch_threads(plan.runner):
        for unit in plan.pending_units:
            t0 = time.perf_counter()
            m, again = measure_module(plan.runner, build_unit(unit), unit.input_shape, plan.protocol, plan.seed,
                                      plan.protocol.unit_sessions)
            units_j.append({"target": label, **unit.to_dict(), **_flags(m, again, plan.protocol)})
            spent["unit"] += time.perf_counter() - t0
            bar.update()
        for arch in plan.pending_networks:
            t0 = time.perf_counter()
            model = space.build(arch, None, plan.input_shape)
            m, again = measure_module(plan.runner, model, plan.input_shape, plan.protocol, plan.seed,
                                      plan.protocol.network_sessions)
            nets_j.append({"target": label, "arch": space.format(arch), **_flags(m, again, plan.protocol)})
            spent["network"] += time.perf_counter() - t0
            bar.update()
    return _finish(plan, manifest, spent, time.perf_counter() - started)


@contextlib.contextmanager
def _torch_threads(runner: TargetRunner) -> Iterator[None]:
    """Build and export with the runner's threads (one for ONNX Runtime targets): torch's default
    pool would spin on cores that the measurements, or other processes, need."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(runner.threads if runner.runtime == "torch" else 1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _flags(m: Measurement, remeasured: bool, protocol: TimingProtocol) -> dict:
    return measurement_row(m, noisy=m.relative_iqr > protocol.rel_iqr, remeasured=remeasured)


def _finish(plan: ProfilePlan, manifest: dict, spent: dict, elapsed: float) -> Profile:
    """Rewrite the journals sorted (atomically), then the manifest with counts, noise and hash."""
    out = plan.out_dir
    lut = read_table(out / LUT_FILE, LUT_COLUMNS, LUT_KEY).sort_values(list(LUT_KEY)).reset_index(drop=True)
    nets = read_table(out / NETWORKS_FILE, NETWORK_COLUMNS, NETWORK_KEY)
    nets = nets.sort_values(list(NETWORK_KEY)).reset_index(drop=True)
    write_table_atomic(lut, out / LUT_FILE, LUT_COLUMNS)
    write_table_atomic(nets, out / NETWORKS_FILE, NETWORK_COLUMNS)
    n_units, n_nets = len(plan.pending_units), len(plan.pending_networks)
    pace = dict(manifest.get("pace_s") or {})
    for kind, n in (("unit", n_units), ("network", n_nets)):
        if n:
            pace[kind] = spent[kind] / n
    rel = np.concatenate([lut["rel_iqr"].to_numpy(), nets["rel_iqr"].to_numpy()])
    manifest.update({
        "counts": {"units_in_space": plan.total_units, "units_planned": len(plan.units), "units": len(lut),
                   "networks_planned": len(plan.networks), "networks": len(nets)},
        "noise": noise_summary(rel, np.concatenate([lut["noisy"], nets["noisy"]]),
                               np.concatenate([lut["remeasured"], nets["remeasured"]])),
        "last_run": {"measured_units": n_units, "measured_networks": n_nets, "elapsed_s": round(elapsed, 2)},
        "elapsed_s": round(float(manifest.get("elapsed_s", 0.0)) + elapsed, 2),
        "pace_s": pace,
        "complete": True,
        "table_hash": table_hash(lut, nets),
        "updated": _now(),
    })
    write_json_atomic(out / MANIFEST_FILE, manifest)
    return load_profile(out)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


