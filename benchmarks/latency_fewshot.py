"""Few-shot latency transfer, leave one device out, on the shared HELP tables (NB201, FBNet).

``hwnas bench latency`` with the table also as pool: each device in turn is scored from K shots
with the 20 others as prior devices (a pool column named like the scored device is left out).
Mean Spearman over devices, next to HELP's 0.932 (10 shots) and FLOPs alone (0.787). Not
timing-sensitive.

    python benchmarks/latency_fewshot.py                          # K = 5, 10, 20; 3 seeds; both spaces
    python benchmarks/latency_fewshot.py --shots 10 --seeds 1 --spaces fbnet --name latency_fewshot_smoke
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, require_shared, write_results  # noqa: E402

from hwnas.predictors import LATENCY_SCORES, bench_latency  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", nargs="+", default=["nb201", "fbnet"])
    ap.add_argument("--shots", nargs="+", type=int, default=[5, 10, 20])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--name", default="latency_fewshot")
    args = ap.parse_args()
    started = time.time()
    rows, per_device = [], {}
    for space in args.spaces:
        table = require_shared(space, "latency_ms.csv")
        for k in args.shots:
            r = bench_latency(space, table, pool=table, shots=k, seeds=args.seeds, progress=False,
                              json_path=RESULTS / f"{args.name}_{space}_k{k}.json")
            per_device[f"{space}/K={k}"] = {d: v["spearman"]["mean"] for d, v in r["devices"].items()}
            worst = min(per_device[f"{space}/K={k}"].items(), key=lambda kv: kv[1])
            rows.append({"space": space, "shots": k, "seeds": args.seeds, "devices": len(r["devices"]),
                         **{s: r["overall"][s] for s in LATENCY_SCORES},
                         "worst_device": f"{worst[0]} ({worst[1]:.3f})", "wall_s": r["wall_s"]})
            print(rows[-1], flush=True)
    summary = {f"{r['space']} K={r['shots']} mean Spearman": round(r["spearman"], 4) for r in rows}
    write_results(args.name, rows, summary, started=started,
                  notes="Leave-one-device-out; per-device details in "
                        f"{args.name}_<space>_k<K>.json. References: HELP 0.932 (K=10), FLOPs alone 0.787.")


if __name__ == "__main__":
    main()
