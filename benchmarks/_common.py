"""Shared by every benchmark script: where the data is, and how results are written.

Each benchmark writes ``benchmarks/results/<name>.json`` (figures + machine + versions) and
``benchmarks/results/<name>.md`` (the same as a Markdown table). Run scripts from the repository
root: ``python benchmarks/<script>.py``.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
SHARED_DATA = REPO.parent / "shared" / "data"

_PACKAGES = ("hwnas", "numpy", "pandas", "scikit-learn", "xgboost", "torch", "torchvision", "onnx",
             "onnxruntime", "optuna")


def require_shared(*parts: str) -> Path:
    """A path under ../shared/data; exits cleanly (code 0, a message) when missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        print(f"skipped: {path} is not available")
        sys.exit(0)
    return path


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    from hwnas.profiler import device_fingerprint, package_version

    versions = {pkg: package_version(pkg) for pkg in _PACKAGES}

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem_gib, "gpu": device_fingerprint()["gpu"],
            "os": platform.platform(), "python": platform.python_version(), "versions": versions}


def _md_table(rows: Sequence[dict]) -> str:
    if not rows:
        return "_no rows_\n"
    cols = list(rows[0].keys())
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")
    return "\n".join(out) + "\n"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def write_results(name: str, rows: Sequence[dict], summary: dict | None = None, command: str = "",
                  notes: str = "", started: float | None = None) -> Path:
    """Write ``results/<name>.json`` and ``results/<name>.md``; returns the JSON path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine()
    doc = {
        "benchmark": name,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command or "python " + shlex.join(sys.argv),  # quoted: a JSON --params survives a paste
        "wall_s": None if started is None else round(time.time() - started, 1),
        "machine": info,
        "summary": summary or {},
        "rows": list(rows),
        "notes": notes,
    }
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str))
    os.replace(tmp, path)
    md = [f"# {name}", "", f"`{doc['command']}`  ", f"{doc['date']}, {info['cpu']}, {info['cores']} cores, "
          + (f"{info['gpu']}, " if info["gpu"] else "")
          + f"torch {info['versions']['torch']}, onnxruntime {info['versions']['onnxruntime']}, "
          f"xgboost {info['versions']['xgboost']}", ""]
    if summary:
        md += ["## Summary", "", _md_table([{"figure": k, "value": v} for k, v in summary.items()]), ""]
    md += ["## Rows", "", _md_table(rows)]
    if notes:
        md += ["", notes]
    (RESULTS / f"{name}.md").write_text("\n".join(md) + "\n")
    return path


def cifar_calibration(n: int = 128, seed: int = 0):
    """``n`` seeded CIFAR-10 training images, normalised as the models see them: what the INT8
    benchmarks calibrate static quantization on."""
    import numpy as np

    from hwnas.datasets import load_dataset
    from hwnas.pipeline import preprocess

    ds = load_dataset("cifar10")
    rows = np.random.default_rng(seed).choice(len(ds.y_train), n, replace=False)
    return preprocess(ds.x_train[rows], ds.mean, ds.std)


def nb201_search_tables(accuracy_column: str = "cifar10_test_acc"):
    """The shared NB201 tables the search benchmarks run on: the space, the test accuracies
    (``accuracy_column``) and the latency table of 21 devices (exits cleanly when the data is missing)."""
    from hwnas import get_space
    from hwnas.datasets import load_accuracy_table, load_latency_table

    data = require_shared("nb201")
    space = get_space("nb201")
    return (space, load_accuracy_table(data / "accuracy.csv", space, [accuracy_column]),
            load_latency_table(data / "latency_ms.csv", space))


def nb201_search_rows(devices: str = "", quantiles: str = "0.3,0.5", accuracy_column: str = "cifar10_test_acc"):
    """Each row of the NB201 search benchmark as ``(device, quantile, tables)``: the tables
    ``bench_search`` reads (the budget the quantile of the device's column, the other devices its
    pool), for the comma-separated ``devices`` (every device of the table when empty) and ``quantiles``."""
    from hwnas import HwnasError
    from hwnas.search._bench import _load

    try:
        qs = [float(x) for x in quantiles.split(",")]
    except ValueError:
        qs = []
    if not qs or not all(0 < q <= 1 for q in qs):
        raise SystemExit(f"error: --quantiles must be comma-separated numbers in (0, 1], got {quantiles!r}")
    space, acc, lat = nb201_search_tables(accuracy_column)
    names = devices.split(",") if devices else list(lat.devices)
    unknown = [d for d in names if d not in lat.devices]
    if unknown:  # before any row runs: a typo late in the list would otherwise cost the rows before it
        raise SystemExit(f"error: no device {', '.join(map(repr, unknown))} in the NB201 latency table")
    for device in names:
        for q in qs:
            try:
                t = _load(space, acc, accuracy_column, lat, device, q, lat)
            except HwnasError as exc:
                raise SystemExit(f"error: {exc}") from None
            yield device, q, t
