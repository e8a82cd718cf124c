"""Is a network's latency residual structure or measurement noise? NB201's isomorphic twins tell.

When a NB201 cell has no edge from node 1 to node 2, swapping nodes 1 and 2 gives another genome
that computes the same function with the same operations (1500 such pairs in the 15625 cells):
a device runs both alike, so whatever differs between their recorded latencies is measurement
noise. Per device this regresses the log latency on the other 20 devices' (least squares on the
whole column, an upper bound on what a few-shot map of the pool can reach) and compares:

Both over the whole table and near the budget, where a search decides (networks that are not
degenerate, pairs with one within 1/1.33-1.33x of the device's 0.3-quantile):

- the rms of the twins' log latency ratio (sqrt(2) x the noise if each recording is one draw);
- the residual rms of the pool map, and the correlation of the twins' residuals: near 0 when the
  residual is noise of each recording (no model of the network can predict it; only a shot of
  that very network tells it), near 1 when it is a property of the network the pool misses.

The same for accuracy: the rms difference of the twins' test accuracies (each a separate
training). The search's pick (``search/_bench_shots.py``) faces exactly this residual.

    python benchmarks/latency_twins.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import nb201_search_tables, write_results  # noqa: E402


def twin_pairs(space, genes: np.ndarray) -> np.ndarray:
    """Row pairs (i, j), i < j, of genomes equal up to swapping nodes 1 and 2 of the cell (edge
    2<-1 is ``none``); genes are (edge10, edge20, edge21, edge30, edge31, edge32)."""
    none = list(space.choices[0].options).index("none")
    index = {tuple(g): i for i, g in enumerate(genes.tolist())}
    pairs = []
    for i, g in enumerate(genes.tolist()):
        if g[2] == none:
            j = index.get((g[1], g[0], none, g[3], g[5], g[4]))
            if j is not None and j > i:
                pairs.append((i, j))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def pool_residual(logs: np.ndarray, target: int) -> np.ndarray:
    """Residual of column ``target`` regressed (least squares, intercept) on all the other columns."""
    X = np.column_stack([np.ones(len(logs)), np.delete(logs, target, axis=1)])
    y = logs[:, target]
    return y - X @ np.linalg.lstsq(X, y, rcond=None)[0]


def main() -> None:
    started = time.time()
    space, acc, lat = nb201_search_tables()
    genes = space.genes_array(lat.archs)
    pairs = twin_pairs(space, genes)
    logs = np.log(lat.values)
    if not np.all(np.isfinite(logs)):
        raise SystemExit("latency_twins: the table has blank or non-positive cells; this needs a full table")
    live = ~space.degenerate_mask(genes)
    rows = []
    for k, device in enumerate(lat.devices):
        row = {"device": device}
        near = live & (np.abs(logs[:, k] - np.log(np.quantile(lat.values[:, k], 0.3))) < np.log(1.33))
        for part, keep, mine in (("all", np.ones(len(genes), dtype=bool), np.ones(len(pairs), dtype=bool)),
                                 ("near", live, live[pairs].all(axis=1) & near[pairs].any(axis=1))):
            r = np.full(len(genes), np.nan)
            r[keep] = pool_residual(logs[keep], k)
            a, b = pairs[mine, 0], pairs[mine, 1]
            row.update({f"{part}: twin pairs": int(mine.sum()),
                        f"{part}: twin log ratio rms": float(np.sqrt(np.mean((logs[a, k] - logs[b, k]) ** 2))),
                        f"{part}: pool residual rms": float(np.sqrt(np.nanmean(r[a] ** 2 + r[b] ** 2) / 2)),
                        f"{part}: twin residual correlation": float(np.corrcoef(r[a], r[b])[0, 1])})
        rows.append(row)
    by_arch = dict(zip((space.parse(s) for s in acc["arch"]), acc["cifar10_test_acc"].to_numpy(float)))
    a = np.array([by_arch.get(x, np.nan) for x in lat.archs])
    both = np.isfinite(a[pairs]).all(axis=1)
    diff = a[pairs[both, 0]] - a[pairs[both, 1]]
    summary = {"twin pairs": int(len(pairs)),
               "twins' cifar10_test_acc difference rms (points)": float(np.sqrt(np.mean(diff ** 2)))}
    for part in ("all", "near"):
        summary[f"{part}: devices whose twin residual correlation is within +-0.2"] = int(
            sum(abs(r[f"{part}: twin residual correlation"]) < 0.2 for r in rows))
    write_results("latency_twins", rows, summary, started=started,
                  notes="Twins: genomes equal up to swapping cell nodes 1 and 2 (no edge between them). "
                        "all: each device's log latency regressed on the other 20 devices' over all 15625 "
                        "networks, every twin pair. near: the regression over the networks that are not "
                        "degenerate, the pairs of such networks with one within 1/1.33-1.33x the device's "
                        "0.3-quantile (where a search decides). A twin correlation near 0 means the "
                        "residual is per-recording noise.")


if __name__ == "__main__":
    main()
