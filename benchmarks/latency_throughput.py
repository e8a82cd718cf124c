"""Predictions per second in batch, per latency predictor.

Each predictor is fitted on 100 networks (a profile's whole networks when
``profiles/nb201-ort-cpu-t1-b1`` exists, else the shared NB201 table's ``gold_6240`` column, in
which case ``lut`` is skipped), then times ``predict`` on ``--batch`` fresh architectures twice:
cold (per-architecture features computed) and warm (cached). Timing-sensitive: run on a quiet
machine.

    python benchmarks/latency_throughput.py                       # the full run (10000 archs)
    python benchmarks/latency_throughput.py --batch 500 --name latency_throughput_smoke
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, write_results  # noqa: E402

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
        t1 = time.perf_counter()
        model.predict(archs)
        t2 = time.perf_counter()
        model.predict(archs)
        t3 = time.perf_counter()
        rows.append({"predictor": full, "fit_s": round(t1 - t0, 2), "batch": args.batch,
                     "cold_per_s": round(args.batch / (t2 - t1)), "warm_per_s": round(args.batch / (t3 - t2))})
        print(rows[-1], flush=True)
    write_results(args.name, rows, {"fitted on": source, "space": args.space}, started=started,
                  notes="cold: first predict on new architectures (their unit features are computed); "
                        "warm: the same batch again (features cached).")


if __name__ == "__main__":
    main()
