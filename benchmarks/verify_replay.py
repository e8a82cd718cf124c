"""The verify stage of a finished ``hwnas run`` directory again, with this checkout's code, and the
pick it makes trained next to the run's own pick and the origin CNN (same settings, same time).

It copies the run directory (without its trained candidates), drops the saved choice, reruns the
choice (the saved search resumes; timings are taken now, in alternation with the baseline CNN) and
finalizes the new pick, the run's pick and the CNN with the run's finalize settings::

    python benchmarks/verify_replay.py --run hwnas-run [--out /tmp/verify-replay]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from _common import write_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="a finished hwnas run directory")
    ap.add_argument("--out", default="/tmp/verify-replay")
    args = ap.parse_args()
    from hwnas.datasets import load_dataset
    from hwnas.pipeline import RunConfig, finalize
    from hwnas.pipeline._candidate import candidate_from_arch, origin_baseline
    from hwnas.pipeline._run import _choose, _wider_search
    from hwnas.pipeline._run_stages import front_records, make_space, search_stage
    from hwnas.predictors import load_predictor

    started = time.time()
    src, out = Path(args.run), Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("candidates", "*.safetensors", "*.pt"))
    (out / "candidates.json").unlink()
    run = json.loads((out / "run.json").read_text())
    cfg = RunConfig()
    old_pick = run["candidates"][0]
    dataset = load_dataset(cfg.data, cfg.data_dir)
    space = make_space(cfg, tuple(dataset.input_shape))
    lat, acc = load_predictor(out / "latency_predictor"), load_predictor(out / "accuracy_predictor")
    result = search_stage(space, lat, acc, max(run["budgets_ms"]), cfg, out, False)
    state: dict = {"notes": []}
    new_pick = _choose(space, front_records(result), result, run["budgets_ms"], run["baseline_ms"], dataset, cfg,
                       out, state, None, _wider_search(space, lat, acc, cfg, out))[0]
    # (role in the table, candidate name, pick)
    entries = [("origin CNN", "origin-cnn", {}), ("new pick", "new-pick", new_pick),
               ("run's pick", "runs-pick", old_pick)]
    cands = [origin_baseline()] + [candidate_from_arch(space, p["arch"], name=name, predicted_ms=p["predicted_ms"],
                                                       predicted_accuracy=p["predicted_accuracy"])
                                   for _, name, p in entries[1:]]
    records = {r["name"]: r for r in finalize(cands, dataset, cfg.finalize, out / "finalize", progress=True)}
    rows = []
    for role, name, pick in entries:
        fp32 = {v["variant"]: v for v in records[name]["variants"]}["fp32"]
        rows.append({"role": role, "arch": pick.get("arch", ""), "predicted_ms": pick.get("predicted_ms"),
                     "verified_ms": pick.get("verified_ms"), "measured_ms": fp32["median_ms"],
                     "test_acc": fp32["ort_accuracy"]})
    base = rows[0]["measured_ms"]
    for r in rows:
        r["vs_cnn"] = r["measured_ms"] / base
    print(write_results("verify_replay", rows, {"budget_ms": max(run["budgets_ms"]), "run": str(src)},
                        notes=" ".join(state["notes"]), started=started))


if __name__ == "__main__":
    main()
