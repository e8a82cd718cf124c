"""Does a device run NB201 networks whole, or only their live part (a runtime that removes dead code)?

A cell edge into a node with no alive path to the output computes something the output never
sees. Its *live part* is the same genome with those edges set to ``none``. Per device, over the
networks that are not degenerate:

- a sum of per-operation counts (intercept + one cost per operation, least squares in ms),
  fitted on the whole genomes and on their live parts: log rms of each;
- the device's log latency regressed on the other 20 devices' (the pool's best linear map,
  fitted on the whole genomes): its log residual on the networks whose live part differs, when
  the pool is read at the whole genome and when it is read at the live part (another NB201 row).

Sessions 28-29 built a second view of the few-shot latency model on this (not kept, see
``FewShotLatency``'s docstring); these are the offline figures behind it.

    python benchmarks/latency_live_view.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import nb201_search_tables, write_results  # noqa: E402


def live_genes(space, genes: np.ndarray) -> np.ndarray:
    """Each genome with every edge into a node that no alive path leads from to the output set to
    ``none``; genes are (edge10, edge20, edge21, edge30, edge31, edge32)."""
    from hwnas.spaces.nb201 import NB201_EDGES

    none = list(space.choices[0].options).index("none")
    out = np.array(genes, dtype=np.int64, copy=True)
    alive = out != none
    to_output = {3: np.ones(len(out), dtype=bool)}
    for node in (2, 1):  # node -> an alive path leads from it to the output
        to_output[node] = np.any([alive[:, k] & to_output[dst] for k, (dst, src) in enumerate(NB201_EDGES)
                                  if src == node], axis=0)
    for k, (dst, _) in enumerate(NB201_EDGES):
        out[~to_output[dst], k] = none
    return out


def count_sum_log_rms(genes: np.ndarray, ms: np.ndarray, n_options: int) -> float:
    X = np.column_stack([np.ones(len(genes))] + [(genes == o).sum(axis=1) for o in range(1, n_options)])
    fit = X @ np.linalg.lstsq(X.astype(float), ms, rcond=None)[0]
    return float(np.std(np.log(ms) - np.log(np.maximum(fit, 1e-3))))


def main() -> None:
    started = time.time()
    space, _, lat = nb201_search_tables()
    genes = space.genes_array(lat.archs)
    logs = np.log(lat.values)
    if not np.all(np.isfinite(logs)):
        raise SystemExit("latency_live_view: the table has blank or non-positive cells; this needs a full table")
    keep = ~space.degenerate_mask(genes)
    live = live_genes(space, genes)
    index = {tuple(g): i for i, g in enumerate(genes.tolist())}
    live_row = np.array([index[tuple(g)] for g in live.tolist()])
    differs = keep & np.any(live != genes, axis=1)
    n_options = len(space.choices[0].options)
    rows = []
    for k, device in enumerate(lat.devices):
        X = np.column_stack([np.ones(len(genes)), np.delete(logs, k, axis=1)])
        coef = np.linalg.lstsq(X[keep], logs[keep, k], rcond=None)[0]
        whole_res = logs[differs, k] - X[differs] @ coef
        live_res = logs[differs, k] - X[live_row[differs]] @ coef
        rows.append({"device": device,
                     "count sum log rms, whole": count_sum_log_rms(genes[keep], lat.values[keep, k], n_options),
                     "count sum log rms, live": count_sum_log_rms(live[keep], lat.values[keep, k], n_options),
                     "pool map residual on differing rows, whole: mean": float(whole_res.mean()),
                     "whole: rms": float(np.sqrt(np.mean(whole_res ** 2))),
                     "live: mean": float(live_res.mean()), "live: rms": float(np.sqrt(np.mean(live_res ** 2)))})
    summary = {"networks not degenerate": int(keep.sum()), "of them, live part differs": int(differs.sum()),
               "devices whose count sum fits better live": int(sum(r["count sum log rms, live"]
                                                                   < r["count sum log rms, whole"] for r in rows))}
    write_results("latency_live_view", rows, summary, started=started,
                  notes="Live part: every edge into a node with no alive path to the output set to none. Count "
                        "sum: intercept + ms per operation count, least squares over the networks that are not "
                        "degenerate. Pool map: log latency on the other 20 devices' logs (intercept), fitted on "
                        "the whole genomes of those networks; its residual on the networks whose live part "
                        "differs, with the pool read at the whole genome or at the live part's row.")


if __name__ == "__main__":
    main()
