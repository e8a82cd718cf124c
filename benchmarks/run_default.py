"""``hwnas run`` with its defaults, timed stage by stage (issue 7: at most 60 minutes on 2 cores).

Runs (or resumes) the default pipeline into ``--out`` and reports each stage's seconds summed over
every invocation of that run directory (``seconds_all_runs`` in ``run.json``: an interrupted and
resumed run costs what its passes cost together), the finalized models and their measured figures::

    python benchmarks/run_default.py [--out benchmarks/results/run_default_run]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _common import RESULTS, require_shared, write_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(RESULTS / "run_default_run"))
    ap.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = ap.parse_args()
    require_shared("cifar10", "train_jpeg.npz")
    from hwnas.pipeline import RunConfig, run_pipeline

    started = time.time()
    out = Path(args.out)
    run_pipeline(out, RunConfig(), progress=True)
    state = json.loads((out / "run.json").read_text())
    rows = [{"stage": s["stage"], "seconds_all_runs": s.get("seconds_all_runs", s["seconds"]),
             "seconds_last_invocation": s["seconds"], "note": s["note"]} for s in state["stages"]]
    records = json.loads((out / "finalize.json").read_text())["candidates"]
    models = []
    for r in records:
        by_name = {v["variant"]: v for v in r["variants"]}
        fp32, int8 = by_name.get("fp32", {}), by_name.get("int8", {})
        models.append({"name": r["name"], "fp32_acc": fp32.get("ort_accuracy"), "fp32_ms": fp32.get("median_ms"),
                       "predicted_ms": r.get("predicted_ms"), "int8_acc": int8.get("ort_accuracy"),
                       "int8_speedup": int8.get("speedup")})
    summary = {"total_minutes_all_runs": round(sum(r["seconds_all_runs"] for r in rows) / 60, 1),
               "finalized": json.dumps(models)}
    print(write_results("run_default", rows, summary, started=started,
                        notes=f"run directory {out}; report {out / 'report.md'}. {args.note}"))


if __name__ == "__main__":
    main()
