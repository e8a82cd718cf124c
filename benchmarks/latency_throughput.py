"""Predictions per second in batch, per latency predictor.

Each predictor is fitted on 100 networks (a profile's whole networks when
``profiles/nb201-ort-cpu-t1-b1`` exists, else the shared NB201 table's ``gold_6240`` column, in
which case ``lut`` is skipped), then times ``predict`` on ``--batch`` fresh architectures twice:
cold (per-architecture features computed) and warm (cached), in wall-clock and CPU time. A last
row times what the search needs (issue 6): ``accuracy/xgb`` and ``latency/xgb`` (``gold_6240``
column, 100 networks each) on batches of 100,000 random genomes, the hot path ``predict_genes``.
Timing-sensitive: run on a quiet machine, on one core (the goal is per core):

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/latency_throughput.py      # full run
    python benchmarks/latency_throughput.py --batch 500 --name latency_throughput_smoke
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, write_results  # noqa: E402

import numpy as np  # noqa: E402

from hwnas import get_space  # noqa: E402
from hwnas.predictors import create_predictor, list_predictors  # noqa: E402
from hwnas.profiler import default_profile_dir, load_profile  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--space", default="nb201")
    ap.add_argument("--root", default=None, help="folder holding the profiles (default ./profiles)")
    ap.add_argument("--name", default="latency_throughput")
    args = ap.parse_args()
    started = time.time()
    space = get_space(args.space)
    path = default_profile_dir(args.space, "ort-cpu", root=args.root)
    prof, pool = None, None
    if (path / "manifest.json").is_file():
        prof = load_profile(path)
        train, y = prof.network_latencies()
        train, y = train[:100], y[:100]
        source = str(path)
    else:
        from hwnas.datasets import load_latency_table

        table_path = SHARED_DATA / args.space / "latency_ms.csv"
        if not table_path.is_file():
            print(f"skipped: neither {path} nor {table_path} exists")
            return
        table = load_latency_table(table_path, space)
        train, y = table.column("gold_6240")
        train, y = train[:100], y[:100]
        pool, source = table.without(["gold_6240"]), f"{table_path}:gold_6240"
    archs = space.sample_many(args.batch, rng=12345)
    rows = []
    for full in list_predictors("latency"):
        name = full.split("/")[1]
        if name == "lut" and prof is None:
            continue
        extra = {"pool": pool} if name == "fewshot" and pool is not None else {}
        model = create_predictor("latency", name, space, profile=prof, **extra)
        t0 = time.perf_counter()
        model.fit(train, y)
        fit_s = time.perf_counter() - t0
        cold, cold_cpu = _timed(model.predict, archs)
        warm, warm_cpu = _timed(model.predict, archs)
        rows.append({"predictor": full, "fit_s": round(fit_s, 2), "batch": args.batch,
                     "cold_per_s": round(args.batch / cold), "cold_per_cpu_s": round(args.batch / cold_cpu),
                     "warm_per_s": round(args.batch / warm), "warm_per_cpu_s": round(args.batch / warm_cpu)})
        print(rows[-1], flush=True)
    summary = {"fitted on": source, "space": args.space}
    if args.space == "nb201" and (SHARED_DATA / "nb201" / "accuracy.csv").is_file():
        rows.append(_search_hot_path(space))
        print(rows[-1], flush=True)
        for key in ("cold_per_s", "cold_per_cpu_s", "warm_per_s", "warm_per_cpu_s"):
            summary[f"accuracy+latency xgb predict_genes, {key} (goal 100000)"] = rows[-1][key]
    write_results(args.name, rows, summary, started=started,
                  notes="cold: first predict on new architectures (their unit features are computed); "
                        "warm: the same batch again (features and predictions cached). per_cpu_s: the same with "
                        "process CPU time, less sensitive to a busy machine.")


def _timed(fn, *args) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    t, c = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - t, time.process_time() - c


def _search_hot_path(space, batch: int = 100_000) -> dict:
    """accuracy/xgb + latency/xgb ``predict_genes`` on random genome batches: the first batch (every
    architecture new to both predictors) and a second, fresh batch (mostly seen: NB201 has 15625)."""
    import pandas as pd

    from hwnas.datasets import load_latency_table

    acc = pd.read_csv(SHARED_DATA / "nb201" / "accuracy.csv")
    table = load_latency_table(SHARED_DATA / "nb201" / "latency_ms.csv", space)
    rng = np.random.default_rng(0)
    picks = rng.choice(len(acc), 100, replace=False)
    acc_model = create_predictor("accuracy", "xgb", space).fit(list(acc["arch"].iloc[picks]),
                                                               acc["cifar10_test_acc"].iloc[picks])
    archs, ms = table.column("gold_6240")
    lat_model = create_predictor("latency", "xgb", space).fit(archs[:100], ms[:100])

    def both(genes):
        acc_model.predict_genes(genes)
        lat_model.predict_genes(genes)

    cards = np.asarray(space.cardinalities)
    first, first_cpu = _timed(both, rng.integers(cards, size=(batch, len(cards))))
    second, second_cpu = _timed(both, rng.integers(cards, size=(batch, len(cards))))
    lat_only, lat_cpu = _timed(lat_model.predict_genes, rng.integers(cards, size=(batch, len(cards))))
    return {"predictor": "accuracy/xgb + latency/xgb (predict_genes)", "batch": batch,
            "cold_per_s": round(batch / first), "cold_per_cpu_s": round(batch / first_cpu),
            "warm_per_s": round(batch / second), "warm_per_cpu_s": round(batch / second_cpu),
            "latency_only_warm_per_s": round(batch / lat_only), "latency_only_warm_per_cpu_s": round(batch / lat_cpu)}


if __name__ == "__main__":
    main()
