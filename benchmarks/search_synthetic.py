"""The benchmark search (``hwnas bench search``'s bayes, NA 100, NL 10) on synthetic NB201 devices,
in variants of the search code (``--variants``, each a column):

- ``before``: as now, but with the few-shot latency model before session 25 (no sum share,
  leverage-1 shots kept);
- ``now``: the code as it is;
- ``asks degenerate``: as now, but the search may ask degenerate networks (before session 26);
- ``true latency``: as now, with the true latency in place of the few-shot model (the search alone);
- ``true latency, asks degenerate``: both.

The devices are ``latency_sum_share.synthetic_columns`` (per-operation sums with 0-10% noise, a
launch-bound device, two columns derived from gold_6240); the pool is the 21 real devices, the
accuracy NB201's ``cifar10_test_acc``. Per device, budget quantile and seed, every variant runs
the same search code (``_query`` and ``pick_answer``, as ``bench_search`` does).

    python benchmarks/search_synthetic.py          # variants before and now, every device, Q 0.3/0.5, 2 seeds
    python benchmarks/search_synthetic.py --variants "now;asks degenerate;true latency" --seeds 4 --name X
    python benchmarks/search_synthetic.py --devices "launch bound" --seeds 1 --name search_synthetic_smoke
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import nb201_search_tables, write_results  # noqa: E402
from latency_sum_share import synthetic_columns  # noqa: E402


def synthetic_table(space, real):
    """The real table with the synthetic columns added (written to a temporary CSV and read back
    with the project's own reader)."""
    from hwnas.datasets import load_latency_table

    frame = real.to_frame()
    genes = space.genes_array(real.archs)
    for name, ms in synthetic_columns(space, genes, real).items():
        frame[name] = ms
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.csv"
        frame.to_csv(path, index=False)
        return load_latency_table(path, space)


VARIANTS = ("before", "now", "asks degenerate", "true latency", "true latency, asks degenerate")


def run_one(t, seed: int, variant: str) -> dict:
    from search_diag import _Oracle

    from hwnas.search import _bench as B
    from hwnas.search._bench_shots import pick_answer
    from hwnas.search._latency_shots import FewShotLatency

    old = variant == "before"
    model = (_Oracle(t.latency) if variant.startswith("true latency")
             else FewShotLatency(t.space, t.genes, t.pool, seed, sum_share=not old, skip_leverage_one=not old))
    acc_q, lat_q, model = B._query(t, "bayes", seed, 100, 10, model=model,
                                   avoid_degenerate=not variant.endswith("asks degenerate"))
    pick, _ = pick_answer(t.budget, model, acc_q, lat_q, t.degenerate)
    best = float(t.accuracy[t.latency <= t.budget].max())
    return {"regret": best - float(t.accuracy[pick]), "within": float(t.latency[pick] <= t.budget)}


def main() -> None:
    from hwnas.search import _bench as B

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default="", help="';'-separated synthetic device names (default: all; "
                                                  "one name holds a comma)")
    ap.add_argument("--quantiles", default="0.3,0.5")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--variants", default="before;now", help=f"';'-separated, of: {'; '.join(VARIANTS)}")
    ap.add_argument("--name", default="search_synthetic")
    args = ap.parse_args()
    started = time.time()
    space, acc, real = nb201_search_tables()
    table = synthetic_table(space, real)
    variants = args.variants.split(";")
    if set(variants) - set(VARIANTS):
        raise SystemExit(f"search_synthetic: unknown variant(s) {', '.join(sorted(set(variants) - set(VARIANTS)))}; "
                         f"known: {'; '.join(VARIANTS)}")
    devices = [d for d in table.devices if d not in real.devices]
    if args.devices:
        unknown = [d for d in args.devices.split(";") if d not in devices]
        if unknown:
            raise SystemExit(f"search_synthetic: unknown device(s) {', '.join(unknown)}; known: {', '.join(devices)}")
        devices = args.devices.split(";")
    rows = []
    for device in devices:
        for q in (float(x) for x in args.quantiles.split(",")):
            t = B._load(space, acc, "cifar10_test_acc", table, device, q, real)
            runs = {v: [run_one(t, seed, v) for seed in range(args.seeds)] for v in variants}
            rows.append({"device": device, "quantile": q,
                         **{f"{v} {k}": float(np.mean([r[k] for r in runs[v]])) for v in variants
                            for k in ("regret", "within")}})
            print(rows[-1], flush=True)
    summary = {f"mean {k}": round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]
               if k not in ("device", "quantile")}
    write_results(args.name, rows, summary, started=started,
                  notes=f"bayes, NA 100, NL 10, seeds 0-{args.seeds - 1}; pool: the 21 real NB201 devices; "
                        "before: the few-shot latency model of session 24; now: the code as it is (the sum's "
                        "leave-one-out share and leverage-1 shots left out of its uncertainty since session 25, "
                        "degenerate networks never asked since session 26); asks degenerate: now, but the search may "
                        "ask degenerate networks; true latency: now, with the true latency instead of the few-shot "
                        "model; true latency, asks degenerate: both.")


if __name__ == "__main__":
    main()
