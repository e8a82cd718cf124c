"""Does the sum of an NB201 network's unit latencies track the network's latency on ONNX Runtime?

For the five uniform cells and K sampled NB201 architectures (seeded), time each whole network
and every distinct unit of those networks on ONNX Runtime CPU (1 intra-op thread, full graph
optimisation, batch 1), each unit as its own small graph, and compare the network with the sum of
its units under four ways of costing a unit:

- ``raw``: the unit graph's time;
- ``empty``: minus the time of the smallest graph (an Identity on one element);
- ``shape``: minus the time of an Identity graph on the unit's input shape (feeding and fetching
  a tensor of that size);
- ``marginal``: for units whose output shape equals their input shape (all cell units), the
  marginal cost of one more copy, ``(T(unit x CHAIN) - T(unit)) / (CHAIN - 1)``: no session
  overhead and no layout conversion at the graph's edges, as inside the network; ``shape`` for
  the others (stem, reduction blocks, head).

Timing-sensitive: run on a quiet machine.

    python benchmarks/nb201_unit_sum.py --archs 30 --seed 0
    python benchmarks/nb201_unit_sum.py --archs 3 --runs 50 --stat min     # quick check
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
CHAIN = 5
METHODS = ("raw", "empty", "shape", "marginal")


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


def unit_costs(unit: hwnas.Unit, args: argparse.Namespace, tmp: Path, empty_ms: float,
               identity_ms: float) -> dict[str, float]:
    """The unit's cost in ms under each method of ``METHODS``."""
    import torch

    alone = time_module(hwnas.build_unit(unit), unit.input_shape, args, tmp)
    costs = {"raw": alone, "empty": max(alone - empty_ms, 0.0), "shape": max(alone - identity_ms, 0.0)}
    costs["marginal"] = costs["shape"]
    if unit.output_resolution == unit.resolution and unit.in_channels == unit.out_channels:
        chain = torch.nn.Sequential(*[hwnas.build_unit(unit) for _ in range(CHAIN)])
        costs["marginal"] = max((time_module(chain, unit.input_shape, args, tmp) - alone) / (CHAIN - 1), 0.0)
    return costs


def summarise(rows: list[dict]) -> dict:
    from scipy.stats import kendalltau

    net = [r["network_ms"] for r in rows]
    out: dict = {}
    for m in METHODS:
        ratios = np.array([r[f"ratio_{m}"] for r in rows])
        out[f"ratio_{m}_median"] = float(np.median(ratios))
        out[f"ratio_{m}_min"] = float(ratios.min())
        out[f"ratio_{m}_max"] = float(ratios.max())
        out[f"kendall_{m}"] = float(kendalltau(net, [r[f"sum_{m}_ms"] for r in rows])[0])
    return out


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

    space = hwnas.get_space("nb201")
    # the five uniform cells span the space's extremes; the rest are sampled
    uniform = [space.make([g] * 6) for g in range(5)]
    archs = uniform + [a for a in space.sample_many(args.archs, args.seed) if a not in uniform]
    shape = space.default_input_shape
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        empty_ms = time_module(torch.nn.Identity(), (1, 1, 1), args, tmp)
        identity_ms: dict = {}
        costs: dict = {}
        for unit in sorted({u for a in archs for u in space.units(a, shape)}):
            if unit.input_shape not in identity_ms:
                identity_ms[unit.input_shape] = time_module(torch.nn.Identity(), unit.input_shape, args, tmp)
            costs[unit] = unit_costs(unit, args, tmp, empty_ms, identity_ms[unit.input_shape])
        rows = []
        for arch in archs:
            units = space.units(arch, shape)
            row = {"arch": str(arch), "units": len(units),
                   "network_ms": time_module(space.build(arch), shape, args, tmp)}
            for m in METHODS:
                row[f"sum_{m}_ms"] = sum(costs[u][m] for u in units)
            for m in METHODS:
                row[f"ratio_{m}"] = row[f"sum_{m}_ms"] / row["network_ms"]
            rows.append(row)
    summary = {"archs": len(rows), "distinct_units": len(costs), "empty_graph_ms": empty_ms, **summarise(rows)}
    write_results("nb201_unit_sum", rows, summary, started=started,
                  notes=f"ORT CPU, 1 intra-op thread, ORT_ENABLE_ALL, batch 1; {args.stat} of "
                        f"{args.runs} runs after {args.warmup} warm-up runs; chains of {CHAIN}.")
    for k, v in summary.items():
        print(f"{k:28s} {v:.4g}" if isinstance(v, float) else f"{k:28s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
