"""The search stage of ``hwnas run``'s default pipeline, replayed from the run directory it saved
(``benchmarks/results/run_default_run``: its XGBoost accuracy predictor, its lookup-table latency
predictor and its search ``config.json``): nsga2, 20,000 evaluations on MBConv, under the run's
latency budget. It times the search on surrogates alone and checks that it finds what the run
saved (every architecture of ``history.csv``, with its predicted values)::

    python benchmarks/search_run_replay.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import RESULTS, write_results

RUN = RESULTS / "run_default_run"


def replay(run_dir: Path, out: Path) -> float:
    """Runs the saved search anew into ``out``; returns its seconds."""
    from hwnas import create_space
    from hwnas.predictors import load_predictor
    from hwnas.search import Constraint, Objective, PredictorMetric, Problem, create_strategy, run_search

    cfg = json.loads((run_dir / "search" / "config.json").read_text())
    space = create_space(cfg["problem"]["space"].split(":")[0], **cfg["problem"]["space_config"])
    accuracy = PredictorMetric("accuracy", load_predictor(run_dir / "accuracy_predictor"))
    latency = PredictorMetric("latency_ms", load_predictor(run_dir / "latency_predictor"))
    (budget,) = [c["upper"] for c in cfg["problem"]["constraints"]]
    problem = Problem(space, [Objective(accuracy, True), Objective(latency)], [Constraint(latency, budget)])
    strategy = create_strategy(cfg["strategy"], space, seed=cfg["seed"], **cfg["params"])
    n_evals = int(json.loads((run_dir / "run.json").read_text())["config"]["search_evals"])
    started = time.perf_counter()
    run_search(problem, strategy, n_evals, cfg["batch_size"], run_dir=out)
    return time.perf_counter() - started


def compare(saved: Path, new: Path) -> dict:
    """Whether two ``history.csv`` files list the same architectures, and how far their numbers are."""
    import pandas as pd

    a, b = pd.read_csv(saved), pd.read_csv(new)
    same_rows = a.shape == b.shape and a["arch"].equals(b["arch"])
    numeric = [c for c in a.columns if a[c].dtype.kind == "f"]
    gap = float(np.nanmax(np.abs(a[numeric].to_numpy() - b[numeric].to_numpy()))) if same_rows else None
    return {"rows_saved": len(a), "rows_replayed": len(b), "same_architectures": bool(same_rows),
            "max_abs_difference": gap}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    started = time.time()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            out = Path(tmp) / f"search{i}"
            seconds = replay(RUN, out)
            rows.append({"repeat": i, "search_s": round(seconds, 2), **compare(RUN / "search" / "history.csv",
                                                                              out / "history.csv")})
            print(rows[-1])
    summary = {"search median (s)": float(np.median([r["search_s"] for r in rows])),
               "same architectures as saved": all(r["same_architectures"] for r in rows)}
    write_results("search_run_replay", rows, summary, started=started,
                  notes="The run's own search took 21.5 s on 2026-11-28 (run_default.md, another VM); the code "
                        "before unit cost formulas and unit slots (07ea3a3) took 52.9 s for this replay on this "
                        "VM, with a history identical to today's.")


if __name__ == "__main__":
    main()
