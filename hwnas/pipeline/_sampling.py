"""Architectures spread over a band of predicted latency, even where random sampling never reaches it."""

from __future__ import annotations

import numpy as np

from hwnas import Architecture, SearchSpace

__all__ = ["architectures_in_band"]


def architectures_in_band(space: SearchSpace, latency_pred, lo_ms: float, hi_ms: float, n: int, seed: int,
                          walkers: int = 400, steps: int = 60) -> list[Architecture]:
    """``n`` distinct architectures whose predicted latency spreads evenly (in log) over
    ``[lo_ms, hi_ms]``, fastest first, seeded; when the band holds fewer than ``n``, all of them
    and then the ones nearest it.

    Random architectures first; but a band far below the space's typical network (a fast
    machine's budget: on this project's AMD host the origin CNN measures 0.105 ms, while the
    fastest of 4000 random MBConv networks is predicted at 0.14 ms) is one no random sample
    reaches. So ``walkers`` random architectures also walk towards a random point of the band,
    one gene at a time: each step sets one random gene of each walker to the option that brings
    its predicted latency nearest that point (all options of that gene predicted at once)."""
    rng = np.random.default_rng(seed)
    start = space.genes_array(space.sample_many(walkers + 40 * n, rng=rng))
    ms = latency_pred.predict_genes(start)
    walked = _walk(space, latency_pred, start[:walkers], np.log(lo_ms), np.log(hi_ms), steps, rng)
    genes = np.concatenate([start, walked])
    ms = np.concatenate([ms, latency_pred.predict_genes(walked)])
    archs = [space.make(g) for g in genes]
    first = {a: float(m) for a, m in reversed(list(zip(archs, ms)))}  # one row per canonical network
    archs, log_ms = list(first), np.log(np.array(list(first.values())))
    gap = np.maximum(np.maximum(np.log(lo_ms) - log_ms, log_ms - np.log(hi_ms)), 0.0)  # 0: in the band
    inside = np.flatnonzero(gap == 0)
    inside = inside[np.argsort(log_ms[inside], kind="stable")]
    if inside.size <= n:  # all of the band, then the nearest outside it
        rest = np.flatnonzero(gap > 0)
        return [archs[i] for i in [*inside, *rest[np.argsort(gap[rest], kind="stable")][:n - inside.size]]]
    return [archs[i] for i in inside[_spread(log_ms[inside], n)]]


def _spread(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` sorted ``values`` nearest n evenly spaced points over their range
    (each taken once), in order."""
    free = np.ones(len(values), dtype=bool)
    for point in np.linspace(values[0], values[-1], n):
        i = int(np.argmin(np.where(free, np.abs(values - point), np.inf)))
        free[i] = False
    return np.flatnonzero(~free)


def _walk(space: SearchSpace, latency_pred, genes: np.ndarray, lo: float, hi: float, steps: int,
          rng: np.random.Generator) -> np.ndarray:
    """Each row moved gene by gene towards its own random target in ``[lo, hi]`` (log ms)."""
    genes = genes.copy()
    target = rng.uniform(lo, hi, len(genes))
    cards = space.cardinalities
    mutable = [i for i, c in enumerate(cards) if c > 1]
    for _ in range(steps):
        j = int(rng.choice(mutable))
        options = np.repeat(genes[:, None, :], cards[j], axis=1)  # (rows, options, genes)
        options[:, :, j] = np.arange(cards[j])
        log_ms = np.log(latency_pred.predict_genes(options.reshape(-1, genes.shape[1]))).reshape(len(genes), -1)
        genes[:, j] = np.argmin(np.abs(log_ms - target[:, None]), axis=1)
    return genes
