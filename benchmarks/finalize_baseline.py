"""Goals of the final pass (issue 7) on CIFAR-10, ``ort-cpu`` with 1 thread, this machine.

Runs the main job (profile, surrogates, search, finalize) with the latency budget set just under
the measured latency of the origin document's CNN, trains every candidate and the CNN for the same
10 epochs on the full training set, and checks:

- the best mbconv model dominates the CNN (higher test accuracy at equal or lower measured latency);
- the best accuracy under 1 ms;
- INT8 >= 1.5x faster than FP32 for <= 1 point of accuracy lost;
- every finalized model's measured latency within +-10% of its prediction.

Full run (long: 10 CIFAR-10 epochs for the CNN and each of the two candidates, 2 training
threads; about 45-60 min on a quiet 2-core machine when it reuses the machine's profile of the
default mbconv space; resumes when rerun)::

    python benchmarks/finalize_baseline.py --profile profiles/mbconv-ort-cpu-t1-b1 \
        --int8-profile profiles/mbconv-ort-cpu-int8-t1-b1

Validation on tiny settings (minutes)::

    python benchmarks/finalize_baseline.py --smoke
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _common import REPO, require_shared, write_results


def _settings(args):
    from hwnas.pipeline import FinalizeConfig, RunConfig

    if args.smoke:
        fin = FinalizeConfig(epochs=1, train_subset=2000, test_limit=1000, finetune_epochs=1, calibration_images=64)
        return RunConfig.quick(data="cifar10", profile_dir=args.profile, proxy_archs=4, search_evals=2000,
                               candidates=2, extra_budgets_ms=(1.0,), finalize=fin)
    fin = FinalizeConfig(epochs=args.epochs, train_subset=None, test_limit=None, threads=args.threads,
                         finetune_epochs=args.finetune_epochs)
    return RunConfig(data="cifar10", profile_dir=args.profile, candidates=args.candidates,
                     extra_budgets_ms=(args.under_ms,), proxy_archs=args.proxy_archs, finalize=fin,
                     int8_speedup=args.int8_speedup, int8_profile_dir=args.int8_profile,
                     verify_tries=args.verify_tries)


def _rows(records: list[dict]) -> list[dict]:
    rows = []
    for r in records:
        fp32 = next((v for v in r["variants"] if v["variant"] == "fp32"), {})
        for v in r["variants"]:
            pred = r.get("predicted_ms") if v["variant"] == "fp32" else None
            raw = r.get("predicted_ms_surrogate", pred) if v["variant"] == "fp32" else None
            rows.append({"model": r["name"][:60], "variant": v["variant"], "test_acc": v.get("ort_accuracy"),
                         "median_ms": v.get("median_ms"), "predicted_ms": pred,
                         "latency_error_%": _error(v.get("median_ms"), pred),
                         "surrogate_ms": raw, "surrogate_error_%": _error(v.get("median_ms"), raw),
                         "speedup": v.get("speedup"),
                         "acc_change": (v["ort_accuracy"] - fp32["ort_accuracy"])
                         if v.get("ort_accuracy") is not None and fp32.get("ort_accuracy") is not None else None,
                         "agree_torch_%": v.get("agreement_torch_ort"), "size_kb": v.get("size_kb"),
                         "error": v.get("error") or r.get("error", "")})
    return rows


def _error(measured, predicted):
    return 100 * (measured - predicted) / predicted if predicted and measured else None


def _summary(records: list[dict], rows: list[dict]) -> dict:
    from hwnas.pipeline import ORIGIN_REFERENCE, report_headline

    head = report_headline(records)
    int8 = [r for r in rows if r["variant"] == "int8" and r["speedup"] is not None and r["model"] != "origin-cnn"]
    errors = [abs(r["latency_error_%"]) for r in rows if r["latency_error_%"] is not None]
    raw = [abs(r["surrogate_error_%"]) for r in rows if r["surrogate_error_%"] is not None]
    return {
        **head,
        "reference_acc": ORIGIN_REFERENCE["test_accuracy"], "reference_ms": ORIGIN_REFERENCE["median_ms"],
        "goal_dominates": head.get("dominating") is not None,
        "int8_speedups": [round(r["speedup"], 3) for r in int8],
        "int8_acc_changes": [round(r["acc_change"], 2) for r in int8],
        "goal_int8": any(r["speedup"] >= 1.5 and r["acc_change"] >= -1.0 for r in int8),
        "max_abs_latency_error_%": max(errors) if errors else None,
        "goal_latency_within_10%": bool(errors) and max(errors) <= 10.0,
        "max_abs_surrogate_error_%": max(raw) if raw else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny settings to validate the script")
    ap.add_argument("--out", default=None, help="run directory (default benchmarks/results/finalize_baseline_run)")
    ap.add_argument("--profile", default=None, help="reuse a profile of the default mbconv at 32x32")
    ap.add_argument("--epochs", type=int, default=10)
    # Two candidates: the best under the CNN's latency and the best under 1 ms (each verified on
    # the device before training); a third 10-epoch training would not fit the ~45 min budget.
    ap.add_argument("--candidates", type=int, default=2)
    ap.add_argument("--finetune-epochs", type=int, default=1, help="fine-tuning epochs after pruning")
    ap.add_argument("--proxy-archs", type=int, default=24)
    ap.add_argument("--threads", type=int, default=2, help="torch threads for training")
    ap.add_argument("--margin", type=float, default=0.9, help="budget = margin x the CNN's measured latency")
    ap.add_argument("--under-ms", type=float, default=1.0,
                    help="second budget: the best model under this latency (ms); INT8 pays on the larger networks")
    # INT8 is a goal, so each budget's pick must gain from it, measured before training. The
    # threshold carries a margin over the goal's 1.5x: one network's speed-up measured 1.41-1.61x
    # over five alternated timings here (the machine's speed drifts by up to 1.5x within minutes).
    ap.add_argument("--int8-speedup", type=float, default=1.6, help="0: do not require an INT8 gain")
    ap.add_argument("--int8-profile", default=None, help="reuse an ort-cpu-int8 profile of the same space")
    ap.add_argument("--verify-tries", type=int, default=12)
    args = ap.parse_args()
    require_shared("cifar10", "train_jpeg.npz")
    from hwnas.pipeline import run_pipeline

    started = time.time()
    name = "finalize_baseline_smoke" if args.smoke else "finalize_baseline"
    out = Path(args.out or REPO / "benchmarks" / "results" / f"{name}_run")
    cfg = _settings(args).replace(budget_fraction=args.margin)
    run_pipeline(out, cfg)
    records = json.loads((out / "finalize.json").read_text())["candidates"]
    rows = _rows(records)
    state = json.loads((out / "run.json").read_text())
    summary = {"budget_ms": state["budget_ms"], "baseline_latency_ms": state["baseline_ms"], **_summary(records, rows),
               "stages_s": {s["stage"]: s["seconds"] for s in state["stages"]}}
    notes = (f"Report with figures: {out / 'report.md'}. Training: {cfg.finalize.epochs} epochs on "
             f"{cfg.finalize.train_subset or 50000} images; test accuracy on "
             f"{cfg.finalize.test_limit or 10000} test images (ONNX Runtime FP32/INT8).")
    print(write_results(name, rows, summary, notes=notes, started=started))


if __name__ == "__main__":
    main()
