"""What machine a profile was measured on, and with which software."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["device_fingerprint", "package_version", "runtime_versions", "IDENTITY_KEYS"]

# The fields that make two machines "the same device" for a lookup table. Kernel release, host
# name and free memory change without changing the timings, so they are recorded but not compared.
IDENTITY_KEYS = ("cpu", "machine", "logical_cores", "memory_gib", "os", "gpu")

_PACKAGES = ("hwnas", "numpy", "torch", "onnx", "onnxruntime")
# The same import under another distribution name (ONNX Runtime's CUDA build, the CPU-only
# xgboost wheel): without these a GPU machine's records said "None".
_DISTRIBUTIONS = {"onnxruntime": ("onnxruntime", "onnxruntime-gpu"), "xgboost": ("xgboost", "xgboost-cpu")}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _physical_cores() -> int | None:
    try:
        pairs = set()
        phys = core = None
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("physical id"):
                phys = line.split(":", 1)[1].strip()
            elif line.startswith("core id"):
                core = line.split(":", 1)[1].strip()
                pairs.add((phys, core))
        return len(pairs) or None
    except OSError:
        return None


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _nvidia_driver() -> bool:
    return any(Path(p).exists() for p in ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/nvidia0"))


def _gpus() -> list[str]:
    """Names of visible CUDA devices (empty without torch's CUDA)."""
    if "torch" not in sys.modules and not _nvidia_driver():
        return []  # no NVIDIA driver, no CUDA device: never pay torch's import (seconds) to learn that
    try:
        import torch
    except ImportError:
        return []

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


def device_fingerprint() -> dict:
    """CPU model, cores, memory, OS and GPUs of this machine, with ``id``: a hash of the fields
    that identify the device (``IDENTITY_KEYS``)."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    info = {
        "cpu": _cpu_model(),
        "machine": platform.machine(),
        "logical_cores": os.cpu_count(),
        "physical_cores": _physical_cores(),
        "usable_cores": affinity,
        "memory_gib": _memory_gib(),
        "os": platform.system(),
        "os_release": platform.release(),
        "gpu": ", ".join(_gpus()),
    }
    key = json.dumps({k: info[k] for k in IDENTITY_KEYS}, sort_keys=True)
    info["id"] = hashlib.sha256(key.encode()).hexdigest()[:16]
    return info


def runtime_versions() -> dict:
    """Python and the versions of the packages that affect timings."""
    return {"python": platform.python_version(), **{pkg: package_version(pkg) for pkg in _PACKAGES}}


def package_version(pkg: str) -> str | None:
    """The installed version of ``pkg`` under any of its distribution names (``None``: not installed)."""
    for dist in _DISTRIBUTIONS.get(pkg, (pkg,)):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None
