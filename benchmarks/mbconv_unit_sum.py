"""Latency range of the mbconv (or fbnet) space, and does the sum of unit latencies track the network's?

For the space's smallest and largest networks (mbconv) and K seeded samples, time the whole network
and every distinct unit of those networks on ONNX Runtime CPU (1 intra-op thread, full graph
optimisation, batch 1), each unit as its own small graph, as the profiler will. Reports the
networks' latency range, how many sampled networks run under the plain-CNN baseline's 0.311 ms,
and per network the ratio (sum of units) / network, raw and after subtracting the per-run overhead
of an empty graph from each unit, with the rank agreement (Kendall tau) of sum and network.
Besides wall-clock medians it records the median CPU time of the calling thread (ONNX Runtime
with one intra-op thread computes on it): on a busy machine, runs longer than a scheduler slice
are preempted and their wall time inflates, while the CPU time stays close to a quiet machine's.

Timing-sensitive: run on a quiet machine.

    python benchmarks/mbconv_unit_sum.py --space mbconv --archs 40 --seed 0
    python benchmarks/mbconv_unit_sum.py --space fbnet --archs 20 --seed 0
    python benchmarks/mbconv_unit_sum.py --archs 3 --runs 30 --warmup 5    # quick check
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_results  # noqa: E402

import hwnas  # noqa: E402

BASELINE_MS = 0.311  # the plain CNN of the project's origin document (hwnas.pipeline ORIGIN_REFERENCE)


def time_module(module, shape: tuple[int, ...], runs: int, warmup: int, tmp: Path) -> tuple[float, float]:
    """Median wall and thread-CPU milliseconds of ``runs`` batch-1 ONNX Runtime runs (1 thread)
    after ``warmup``."""
    session = hwnas.ort_session(hwnas.export_onnx(module.eval(), shape, tmp / "m.onnx"), threads=1)
    x = np.random.default_rng(0).standard_normal((1, *shape)).astype(np.float32)
    for _ in range(warmup):
        hwnas.run_ort(session, x)
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        hwnas.run_ort(session, x)
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.thread_time() - c0) * 1e3)
    return float(np.median(wall)), float(np.median(cpu))


def extremes(space: hwnas.SearchSpace) -> list[hwnas.Architecture]:
    """The smallest and largest networks of an mbconv space (none for other spaces)."""
    cfg = getattr(space, "cfg", None)
    if cfg is None:
        return []
    small = [f"r{min(cfg.resolutions)}"] + [
        f"s{i}:d{min(s.depths)},w{min(s.widths)}," + ",".join([f"k{min(cfg.kernels)}e{min(cfg.expansions)}"] * min(s.depths))
        for i, s in enumerate(cfg.stages, 1)]
    large = [f"r{max(cfg.resolutions)}"] + [
        f"s{i}:d{max(s.depths)},w{max(s.widths)}," + ",".join([f"k{max(cfg.kernels)}e{max(cfg.expansions)}"] * max(s.depths))
        for i, s in enumerate(cfg.stages, 1)]
    return [space.parse("-".join(small)), space.parse("-".join(large))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="mbconv", choices=["mbconv", "fbnet"])
    parser.add_argument("--archs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args(argv)
    started = time.time()
    import torch
    from scipy.stats import kendalltau

    torch.set_num_threads(1)
    space = hwnas.get_space(args.space)
    shape = space.default_input_shape
    archs = extremes(space)
    archs += [a for a in space.sample_many(args.archs, args.seed) if a not in archs]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        overhead, overhead_cpu = time_module(torch.nn.Identity(), (1, 1, 1), args.runs, args.warmup, tmp)
        unit_ms: dict = {}
        for unit in sorted({u for a in archs for u in space.units(a)}):
            unit_ms[unit] = time_module(hwnas.build_unit(unit), unit.input_shape, args.runs, args.warmup, tmp)
        for arch in archs:
            units = space.units(arch)
            net, net_cpu = time_module(space.build(arch), shape, args.runs, args.warmup, tmp)
            raw = sum(unit_ms[u][0] for u in units)
            raw_cpu = sum(unit_ms[u][1] for u in units)
            net_only = sum(max(unit_ms[u][0] - overhead, 0.0) for u in units)
            rows.append({"arch": str(arch), "mmacs": space.flops(arch) / 1e6, "network_ms": net,
                         "network_cpu_ms": net_cpu, "units": len(units), "sum_ms": raw, "sum_cpu_ms": raw_cpu,
                         "sum_minus_overhead_ms": net_only, "ratio": raw / net, "ratio_cpu": raw_cpu / net_cpu,
                         "ratio_minus_overhead": net_only / net})
    net = np.array([r["network_ms"] for r in rows])
    net_cpu = np.array([r["network_cpu_ms"] for r in rows])
    ratios = np.array([r["ratio"] for r in rows])
    ratios_cpu = np.array([r["ratio_cpu"] for r in rows])
    ratios_o = np.array([r["ratio_minus_overhead"] for r in rows])
    summary = {
        "space": space.name, "archs": len(rows), "distinct_units": len(unit_ms), "empty_graph_ms": overhead,
        "network_ms_min": float(net.min()), "network_ms_max": float(net.max()),
        "network_ms_median": float(np.median(net)),
        "network_cpu_ms_min": float(net_cpu.min()), "network_cpu_ms_max": float(net_cpu.max()),
        "sampled_under_baseline": int(sum(r["network_ms"] < BASELINE_MS for r in rows[len(extremes(space)):])),
        "ratio_median": float(np.median(ratios)), "ratio_min": float(ratios.min()), "ratio_max": float(ratios.max()),
        "ratio_cpu_median": float(np.median(ratios_cpu)), "ratio_cpu_min": float(ratios_cpu.min()),
        "ratio_cpu_max": float(ratios_cpu.max()),
        "ratio_minus_overhead_median": float(np.median(ratios_o)),
        "ratio_minus_overhead_min": float(ratios_o.min()), "ratio_minus_overhead_max": float(ratios_o.max()),
        "kendall_sum": float(kendalltau(net, [r["sum_ms"] for r in rows])[0]),
        "kendall_sum_cpu": float(kendalltau(net_cpu, [r["sum_cpu_ms"] for r in rows])[0]),
        "kendall_sum_minus_overhead": float(kendalltau(net, [r["sum_minus_overhead_ms"] for r in rows])[0]),
    }
    suffix = "" if args.archs >= 20 else "_smoke"
    write_results(f"{args.space}_unit_sum{suffix}", rows, summary, started=started,
                  notes="ORT CPU, 1 intra-op thread, ORT_ENABLE_ALL, batch 1; median of --runs runs. "
                        "For mbconv the first two rows are the space's smallest and largest networks.")
    for k, v in summary.items():
        print(f"{k:30s} {v:.4g}" if isinstance(v, float) else f"{k:30s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
