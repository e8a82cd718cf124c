"""Every strategy of the constrained NB201 search in one table, from finished ``search_nb201`` results.

The strategies were measured in separate runs (bayes over 4 seeds, the others over 2; each run
split into two halves of the devices to use both cores). This script measures nothing: it reads
those result files, checks that they cover the same rows, and writes one table with a column per
strategy, each row's mean regret, and per strategy the mean regret, the share within budget, the
number of rows it beats ``random`` on and the mean difference to ``random`` with its standard error.

    python benchmarks/search_side_by_side.py --inputs search_nb201_bayes4_a,search_nb201_others2_a:random+rl,...
                                             [--name search_nb201_side_by_side]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _common import RESULTS, write_results


def read_rows(inputs: list[str]) -> tuple[dict, dict]:
    """``{(strategy, device, quantile): row}`` and ``{strategy: seeds}`` from result files, each
    given as ``name`` or ``name:strategy+strategy`` (only those strategies' rows); a row measured
    twice is refused (two runs would be silently mixed)."""
    rows, seeds = {}, {}
    for item in inputs:
        name, _, only = item.partition(":")
        keep = set(only.split("+")) if only else None
        path = RESULTS / f"{name}.json"
        if not path.is_file():
            raise SystemExit(f"search_side_by_side: no result file {path}")
        doc = json.loads(path.read_text())
        for key, value in doc["summary"].items():
            if key.endswith(": seeds"):
                strategy = key.split(":")[0]
                if keep is not None and strategy not in keep:
                    continue
                if seeds.setdefault(strategy, value) != value:
                    raise SystemExit(f"{name}: {strategy} ran with {value} seeds, elsewhere {seeds[strategy]}")
        for r in doc["rows"]:
            if keep is not None and r["strategy"] not in keep:
                continue
            key = (r["strategy"], r["device"], float(r["quantile"]))
            if key in rows:
                raise SystemExit(f"{name}: row {key} is already in another input")
            rows[key] = r
    return rows, seeds


def side_by_side(rows: dict, seeds: dict) -> tuple[list[dict], dict]:
    """Per-(device, quantile) rows with a regret column per strategy, and the summary."""
    strategies = sorted(seeds, key=lambda s: (s != "random", s))
    cells = sorted({(d, q) for _, d, q in rows})
    missing = [(s, d, q) for s in strategies for d, q in cells if (s, d, q) not in rows]
    if missing:
        raise SystemExit(f"the inputs do not cover the same rows: {len(missing)} missing, e.g. {missing[0]}")
    table = [{"device": d, "quantile": q, **{s: rows[(s, d, q)]["regret"] for s in strategies}} for d, q in cells]
    summary = {}
    for s in strategies:
        regret = np.array([r[s] for r in table])
        diff = regret - np.array([r["random"] for r in table])
        summary[f"{s}: seeds"] = seeds[s]
        summary[f"{s}: mean regret (points)"] = float(regret.mean())
        summary[f"{s}: within budget"] = float(np.mean([rows[(s, d, q)]["within_budget"] for d, q in cells]))
        if s != "random":
            summary[f"{s}: minus random (points, +- s.e.)"] = f"{diff.mean():+.3f} +- {diff.std(ddof=1) / np.sqrt(len(diff)):.3f}"
            summary[f"{s}: rows better than random"] = f"{int((diff < 0).sum())} of {len(diff)}"
    return table, summary


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--inputs", required=True, help="comma-separated result names (benchmarks/results/<name>.json), each "
                                                  "optionally :strategy+strategy to take only those")
    p.add_argument("--name", default="search_nb201_side_by_side")
    args = p.parse_args()
    started = time.time()
    inputs = [n for n in args.inputs.split(",") if n]
    table, summary = side_by_side(*read_rows(inputs))
    notes = ("Merged from " + ", ".join(f"`{n}`" for n in inputs) + " (nothing re-measured). Seeds 0..n-1 per "
             "strategy: the 2-seed strategies share bayes' first two seeds. Regret in points of "
             "cifar10_test_acc; NA 100, NL 10.")
    write_results(args.name, table, summary, notes=notes, started=started)


if __name__ == "__main__":
    main()
