"""Does the sum of an NB201 network's unit latencies track the network's latency on ONNX Runtime?

For K sampled NB201 architectures (seeded), time the whole network and every distinct unit of
those networks on ONNX Runtime CPU (1 intra-op thread, full graph optimisation, batch 1), each
unit as its own small graph. Report per network the ratio (sum of units) / network, both raw and
after subtracting the per-run overhead of an empty graph from each unit (which a profiler can
measure once per device), and the rank agreement (Kendall tau) of the two.

Timing-sensitive: run on a quiet machine.

    python benchmarks/nb201_unit_sum.py --archs 30 --seed 0
    python benchmarks/nb201_unit_sum.py --archs 4 --runs 50     # quick check
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


STAT = {"median": np.median, "min": np.min}


def time_session(session, shape: tuple[int, ...], runs: int, warmup: int, stat: str = "median") -> float:
    """Median (or min) milliseconds of ``runs`` batch-1 runs after ``warmup`` runs."""
    x = np.random.default_rng(0).standard_normal((1, *shape)).astype(np.float32)
    name = session.get_inputs()[0].name
    for _ in range(warmup):
        session.run(None, {name: x})
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        session.run(None, {name: x})
        times.append((time.perf_counter() - t0) * 1e3)
    return float(STAT[stat](times))


def time_module(module, shape: tuple[int, ...], args: argparse.Namespace, tmp: Path) -> float:
    path = hwnas.export_onnx(module.eval(), shape, tmp / "m.onnx")
    return time_session(hwnas.ort_session(path, threads=1), shape, args.runs, args.warmup, args.stat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--stat", choices=sorted(STAT), default="median",
                        help="statistic of the timed runs (min is steadier on a busy machine)")
    args = parser.parse_args(argv)
    started = time.time()
    import torch
    from scipy.stats import kendalltau

    space = hwnas.get_space("nb201")
    archs = space.sample_many(args.archs, args.seed)
    shape = space.default_input_shape
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # the smallest graph (an Identity on one element): the per-run overhead of any session
        overhead = time_module(torch.nn.Identity(), (1, 1, 1), args, tmp)
        unit_ms: dict = {}
        for unit in sorted({u for a in archs for u in space.units(a, shape)}):
            unit_ms[unit] = time_module(hwnas.build_unit(unit), unit.input_shape, args, tmp)
        rows = []
        for arch in archs:
            units = space.units(arch, shape)
            net = time_module(space.build(arch), shape, args, tmp)
            raw = sum(unit_ms[u] for u in units)
            net_only = sum(max(unit_ms[u] - overhead, 0.0) for u in units)
            rows.append({"arch": str(arch), "network_ms": net, "units": len(units), "sum_ms": raw,
                         "sum_minus_overhead_ms": net_only, "ratio": raw / net,
                         "ratio_minus_overhead": net_only / net})
    ratios = np.array([r["ratio"] for r in rows])
    ratios_o = np.array([r["ratio_minus_overhead"] for r in rows])
    net = [r["network_ms"] for r in rows]
    summary = {
        "archs": len(rows), "distinct_units": len(unit_ms), "empty_graph_ms": overhead,
        "ratio_median": float(np.median(ratios)), "ratio_min": float(ratios.min()), "ratio_max": float(ratios.max()),
        "ratio_minus_overhead_median": float(np.median(ratios_o)),
        "ratio_minus_overhead_min": float(ratios_o.min()), "ratio_minus_overhead_max": float(ratios_o.max()),
        "kendall_sum": float(kendalltau(net, [r["sum_ms"] for r in rows])[0]),
        "kendall_sum_minus_overhead": float(kendalltau(net, [r["sum_minus_overhead_ms"] for r in rows])[0]),
    }
    write_results("nb201_unit_sum", rows, summary, started=started,
                  notes="ORT CPU, 1 intra-op thread, ORT_ENABLE_ALL, batch 1; statistic: " + args.stat + " of --runs runs.")
    for k, v in summary.items():
        print(f"{k:32s} {v:.4g}" if isinstance(v, float) else f"{k:32s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
