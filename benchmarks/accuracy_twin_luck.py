"""How much of a NB201 regret is the luck of one training? Functional twins tell.

Many NB201 genomes compute the same function: an edge into a node that never reaches the output
is dead, ``skip_connect`` passes its input on, a node's inputs are summed in any order. Each
genome was trained on its own, so twins' test accuracies differ by training noise alone. Per
device and budget quantile, over the networks within budget:

- ``luck``: the best accuracy within budget minus the mean accuracy of its twins within budget
  (a search that finds the best function and returns a random twin of it loses this much);
- ``twins``: how many twins of the best network are within budget.

With ``--seeds N`` it also runs the benchmark search (``bayes``, NA 100, NL 10, as
``search_nb201.py``) and counts, per run, the best network's twins it queried and whether its
answer is a twin of the best network but not the best one (a twin it could not verify in time).

    python benchmarks/accuracy_twin_luck.py [--seeds 2] [--devices a,b]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import nb201_search_rows, write_results  # noqa: E402


def function_keys(space, genes: np.ndarray) -> list[str]:
    """A key per genome, equal for genomes that compute the same function: each node's output as
    the sorted multiset of its alive terms (operation, input), ``skip_connect`` flattened into
    its input, dead or empty nodes dropped; genes are (edge10, edge20, edge21, edge30, edge31, edge32)."""
    from hwnas.spaces.nb201 import NB201_EDGES

    names = list(space.choices[0].options)
    keys = []
    for row in genes.tolist():
        expr: dict[int, tuple | None] = {0: ("x",)}
        for node in (1, 2, 3):
            terms: list[tuple] = []
            for k, (dst, src) in enumerate(NB201_EDGES):
                op = names[row[k]]
                if dst != node or op == "none" or expr[src] is None:
                    continue
                inner = expr[src]
                if op != "skip_connect":
                    terms.append((op, inner))
                elif inner[0] == "sum":  # skip of a sum adds its terms
                    terms.extend(inner[1])
                else:
                    terms.append(inner)
            terms.sort(key=repr)
            expr[node] = None if not terms else terms[0] if len(terms) == 1 else ("sum", tuple(terms))
        keys.append(repr(expr[3]))
    return keys


def _search_counts(t, keys: np.ndarray, best: int, seed: int) -> dict:
    from hwnas.search._bench import _query
    from hwnas.search._bench_shots import pick_answer

    acc_q, lat_q, model = _query(t, "bayes", seed, 100, 10)
    pick, _ = pick_answer(t.budget, model, acc_q, lat_q, t.degenerate)
    rows = np.fromiter(acc_q.known, dtype=np.int64)
    twins_asked = rows[keys[rows] == keys[best]]
    return {"regret": float(t.accuracy[best] - t.accuracy[pick]),
            "twins asked": len(twins_asked), "twins asked within": int((t.latency[twins_asked] <= t.budget).sum()),
            "best asked": bool(best in acc_q.known),
            "answer a lesser twin": bool(keys[pick] == keys[best] and pick != best)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--devices", default="")
    p.add_argument("--quantiles", default="0.3,0.5")
    p.add_argument("--seeds", type=int, default=0, help="benchmark searches per row (0: the offline figures only)")
    p.add_argument("--name", default="accuracy_twin_luck")
    args = p.parse_args()
    started = time.time()
    rows, functions = [], set()
    for device, q, t in nb201_search_rows(args.devices, args.quantiles):
        keys = np.array(function_keys(t.space, t.genes))
        functions.update(keys)
        within = t.latency <= t.budget
        best = int(np.argmax(np.where(within, t.accuracy, -np.inf)))
        twins = within & (keys == keys[best])
        row = {"device": device, "quantile": q, "luck": float(t.accuracy[best] - t.accuracy[twins].mean()),
               "twins": int(twins.sum())}
        runs = [_search_counts(t, keys, best, s) for s in range(args.seeds)]
        for k in runs[0] if runs else ():
            row[k] = float(np.mean([r[k] for r in runs]))
        rows.append(row)
        print(row, flush=True)
    summary = {"rows": len(rows), "functions among the genomes": len(functions),
               "mean luck": float(np.mean([r["luck"] for r in rows])),
               "rows whose best has no twin within budget": sum(r["twins"] == 1 for r in rows)}
    for k in ("regret", "twins asked", "twins asked within", "best asked", "answer a lesser twin"):
        if rows and k in rows[0]:
            summary[f"mean {k}"] = float(np.mean([r[k] for r in rows]))
    write_results(args.name, rows, summary, started=started,
                  notes="Twins: genomes with the same function key (dead edges dropped, skip_connect flattened, "
                        "sums sorted). luck: best accuracy within budget minus its twins' mean within budget. "
                        "Search columns: means over seeds of the bayes benchmark search (NA 100, NL 10).")


if __name__ == "__main__":
    main()
