"""hwnas.profiler: profile a device once into a portable, resumable, shareable lookup table.

``profile(space, target, out_dir)`` times every distinct unit of a space (and K whole networks)
on a target (``list_targets()``: ``ort-cpu``, ``ort-cpu-int8``, ``torch-cpu``, and ``ort-cuda`` /
``torch-cuda`` where a GPU is present) under a ``TimingProtocol``; ``load_profile(dir)`` gives a ``Profile``
whose ``lut_sums(archs)`` is the lookup-table estimate the latency predictors start from. The
default location of a profile is ``default_profile_dir(space, target)``:
``profiles/<space>-<target>-t<threads>-b<batch>`` under the working directory.
"""

from __future__ import annotations

from . import _ort_targets, _torch_targets  # noqa: F401  (register the targets)
from ._device import device_fingerprint, package_version, runtime_versions
from ._lut_tools import diff_profiles, export_lut, merge_profiles, read_lut, show_profile
from ._profile import (PROFILE_ROOT, SCHEMA_VERSION, Profile, default_profile_dir, load_profile,
                       noise_summary)
from ._protocol import TimingProtocol, fastest_session, time_callable
from ._run import ProfilePlan, measure_architecture, measure_module, parse_shard, plan_profile, profile
from ._tables import LUT_COLUMNS, MEASUREMENT_COLUMNS, NETWORK_COLUMNS
from ._targets import TargetRunner, create_target, list_targets, register_target
from ._units import UnitSet, collect_units, read_arch_file

__all__ = [
    "LUT_COLUMNS",
    "MEASUREMENT_COLUMNS",
    "NETWORK_COLUMNS",
    "PROFILE_ROOT",
    "Profile",
    "ProfilePlan",
    "SCHEMA_VERSION",
    "TargetRunner",
    "TimingProtocol",
    "UnitSet",
    "collect_units",
    "create_target",
    "default_profile_dir",
    "device_fingerprint",
    "package_version",
    "diff_profiles",
    "export_lut",
    "fastest_session",
    "list_targets",
    "load_profile",
    "measure_architecture",
    "measure_module",
    "merge_profiles",
    "noise_summary",
    "parse_shard",
    "plan_profile",
    "profile",
    "read_arch_file",
    "read_lut",
    "register_target",
    "runtime_versions",
    "show_profile",
    "time_callable",
]
