"""Few-shot transfer in log space: a new device's latencies as an average of affine maps of known
devices' latencies, weighted by how well each map explains the K measured shots.

Latencies of different devices are strongly related in log space (a kernel that is slow on one GPU
is slow on another), but which device resembles the new one best is unknown and K is small. So
every candidate model ``log y = a + b . log z_S`` over a set S of one or two prior columns is fitted
on the shots and weighted by its BIC, ``exp(-BIC / (2 T))``: a Bayesian model average that is
robust at K = 5 (single columns, two parameters) and sharpens as K grows. The temperature ``T > 1``
flattens the weights, which guards against over-confident choices on few shots.

One more candidate reads no other device: ``y = a + sum_o c_o n_o`` in milliseconds, ``n_o`` the
counts of a network's genes taking each option (or option token, ``PriorColumns.count_columns``;
a ``"sum"`` member). A device that adds up a cost
per layer (an accelerator simulator, a GPU at a large batch) is such a sum and no log-space map of
the pool; where it is not, the BIC gives the sum no weight. It is fitted on relative errors
``(y - pred) / y``, close to the log errors the other members are judged by, and enters the same
BIC with its own parameter count (the rank of its design).

The fits are Huber M-estimates (iteratively reweighted least squares, the residual scale from the
median absolute residual) and the BIC reads the Huber loss instead of the squared error: phones
report whole milliseconds and the odd run that was disturbed, and one such shot among ten would
otherwise pull every slope and decide the model choice. The tuning constant is Huber's textbook
1.345 (95 % efficiency under Gaussian noise), not a fitted value; held-out evidence (leave one
device out on the shared NB201 and FBNet tables at K = 10, compared on two disjoint halves of the
devices): mean Spearman rose on both halves of both spaces, most on the noisy phone columns.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence

import numpy as np

__all__ = ["LogCombination", "fit_log_combination"]

# Huber's scale is the median absolute residual: with fewer than this many residual degrees of
# freedom it is too unstable and plain least squares did better (held out: K = 5 on both spaces,
# both halves of the devices; robust fits won at K = 10 on both).
MIN_ROBUST_DOF = 5

# A pair whose slopes exceed this (in absolute value) is left out: two columns nearly collinear on
# the shots split one slope into a huge contrast (+109 and -104 on NB201's log multiply-adds and
# log parameters from 10 shots) that fits the shots and explodes off them (predictions of 2e6 ms
# where the device's slowest network takes 30). In log space a slope of 10 means a network twice
# as slow on a prior device is a thousand times slower here: no device map looks like that.
# Held out, leave one device out, 3 seeds: without a pool (cost columns only) NB201's mean
# Spearman at K = 10 went 0.786 -> 0.831, its worst device 0.52 -> 0.74 (one seed in three had
# predicted backwards); with a pool it is unchanged at K = 10 and 20 (NB201 0.9704, FBNet 0.9392).
# The benchmark search (NB201, 42 rows x 4 seeds): 0.157 vs 0.155 mean regret, 18 of 168 runs
# changed, 100% within. A cap of 3 scored a little higher Spearman with a pool (0.9709, 0.9398)
# but cost the search 0.177 vs 0.155 (26 runs changed; pixel3 Q 0.3 seed 2 0.23 -> 2.39): the
# pairs' sharp contrasts help near the budget.
MAX_PAIR_SLOPE = 10.0

# The "sum" member (per-choice costs adding up in milliseconds) is fitted only with this many shots
# beyond its parameters (NB201: 5, so K >= 7; FBNet's kernel, expansion, group and skip tokens: 6, K >= 8).
# Held out on NB201 (leave one device out, the 20 others as pool, near-budget top-fifth networks,
# 6 draws of K random shots): at K = 6 (1 spare shot) the mean rms log error went 0.0607 -> 0.0598
# (2080ti_256 0.048 -> 0.029, pixel3 0.249 -> 0.254 the only loss above 0.001), at K = 8 (3 spare)
# no device lost (2080ti_256 0.043 -> 0.008), at K = 10 0.0511 -> 0.0494 (2080ti_256 0.030 -> 0.003).
# Session 22, the benchmark search with 1 spare shot (the sum from the 6th shot on; NB201, 42 rows x
# 4 seeds): 0.150 vs 0.146, +0.004 +- 0.003 row by row, 15 rows changed, 100% within. Not kept.
MIN_SUM_DOF = 2
SUM_FLOOR = 0.25  # a sum member predicts no network below this share of the fastest shot


@dataclass
class LogCombination:
    """``predict(Z) = sum_m weight_m * member_m(Z)`` on log values, where a ``"log"`` member is
    ``intercept_m + Z[:, columns_m] @ slopes_m`` (prior log columns) and a ``"sum"`` member is
    ``log(max(intercept_m + Z[:, columns_m] @ slopes_m, floor_m))``: milliseconds as a sum of
    per-choice costs over count columns (``fit_log_combination``'s ``count_columns``)."""

    weights: np.ndarray          # (M,)
    intercepts: np.ndarray       # (M,)
    columns: list[list[int]]     # column indices of each model
    slopes: list[np.ndarray]     # slopes of each model
    kinds: list[str] = field(default_factory=list)     # "log" or "sum" per model (empty: all "log")
    floors: list[float] = field(default_factory=list)  # a "sum" model's lowest prediction (ms)
    # each shot's log error under the same fit without it, when the fit computed them (not saved)
    loo_errors: np.ndarray | None = field(default=None, compare=False, repr=False)

    def predict(self, Z: np.ndarray) -> np.ndarray:
        out = np.zeros(Z.shape[0])
        for w, member in zip(self.weights, self._members(Z)):  # one member at a time: M x N can be large
            out += w * member
        return out

    def members(self, Z: np.ndarray) -> np.ndarray:
        """``(M, N)`` predictions (log values) of each averaged model."""
        return np.stack(list(self._members(Z)))

    def _members(self, Z: np.ndarray) -> Iterator[np.ndarray]:
        kinds = self.kinds or ["log"] * len(self.weights)
        floors = self.floors or [0.0] * len(self.weights)
        for a, cols, b, kind, floor in zip(self.intercepts, self.columns, self.slopes, kinds, floors):
            value = a + Z[:, cols] @ b
            yield np.log(np.maximum(value, floor)) if kind == "sum" else value

    @property
    def used_columns(self) -> list[int]:
        return sorted({c for cols in self.columns for c in cols})

    @property
    def sum_weight(self) -> float:
        """The weight the ``"sum"`` member carries (0 without one)."""
        return float(sum(w for w, kind in zip(self.weights, self.kinds) if kind == "sum"))

    def to_dict(self) -> dict:
        out = {"weights": self.weights.tolist(), "intercepts": self.intercepts.tolist(),
               "columns": self.columns, "slopes": [b.tolist() for b in self.slopes]}
        if "sum" in self.kinds:  # files of models without sums stay as they were
            out.update(kinds=list(self.kinds), floors=[float(f) for f in self.floors])
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "LogCombination":
        return cls(np.asarray(d["weights"], float), np.asarray(d["intercepts"], float),
                   [list(map(int, c)) for c in d["columns"]], [np.asarray(b, float) for b in d["slopes"]],
                   [str(k) for k in d.get("kinds", [])], [float(f) for f in d.get("floors", [])])

    def remap(self, mapping: dict[int, int]) -> "LogCombination":
        """The same combination with column indices renamed (e.g. after keeping only used columns)."""
        return replace(self, columns=[[mapping[c] for c in cols] for cols in self.columns])


def _candidate_sets(log_columns: list[int], k: int, pairs: bool) -> list[list[int]]:
    sets = [[d] for d in log_columns]
    if pairs and k >= 6:  # a 3-parameter model needs a few spare shots to be judged at all
        sets += [list(p) for p in itertools.combinations(log_columns, 2)]
    return sets


def _robust_fits(A: np.ndarray, y: np.ndarray, huber: float | None, iterations: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Huber fits of ``y`` on every design ``A[m]`` (M x K x P) at once by reweighted least squares;
    returns the coefficients (M x P) and each fit's loss (Huber, or the squared error without ``huber``)."""
    m, k, p = A.shape
    w = np.ones((m, k))
    ridge = 1e-10 * np.eye(p)  # keeps duplicated or constant columns solvable (they split the slope)
    for _ in range(iterations if huber else 1):
        AtWA = np.einsum("mkp,mk,mkq->mpq", A, w, A) + ridge
        coef = np.linalg.solve(AtWA, np.einsum("mkp,mk,k->mp", A, w, y)[..., None])[..., 0]
        r = y - np.einsum("mkp,mp->mk", A, coef)
        if huber:
            c = huber * np.maximum(1.4826 * np.median(np.abs(r), axis=1, keepdims=True), 1e-3)
            w = np.minimum(1.0, c / np.maximum(np.abs(r), 1e-12))
    if not huber:
        return coef, np.sum(r ** 2, axis=1)
    a = np.abs(r)
    return coef, np.sum(np.where(a <= c, r ** 2, 2 * c * a - c ** 2), axis=1)


def _sum_model(Zc: np.ndarray, yk: np.ndarray, huber: float | None) -> tuple[float, float, np.ndarray, float] | None:
    """The ``"sum"`` member: milliseconds as an intercept plus per-choice costs times the counts
    ``Zc``, fitted on relative errors (close to log errors, so its BIC compares with the log
    members'); (BIC, intercept, slopes, floor), or None with fewer than ``MIN_SUM_DOF`` spare
    shots or a fit that puts a measured network at zero or below."""
    k = len(yk)
    ms = np.exp(yk)
    X = np.column_stack([np.ones(k), Zc])
    rank = int(np.linalg.matrix_rank(X))
    if k - rank < MIN_SUM_DOF:
        return None
    coef, loss = _robust_fits((X / ms[:, None])[None], np.ones(k), huber if k - rank >= MIN_ROBUST_DOF else None)
    coef = coef[0]
    if np.any(X @ coef <= 0):
        return None
    bic = k * np.log(loss[0] / k + 1e-6) + rank * np.log(k)
    return float(bic), float(coef[0]), coef[1:], SUM_FLOOR * float(ms.min())


def fit_log_combination(Zk: np.ndarray, yk: np.ndarray, temperature: float = 3.0, pairs: bool = True,
                        min_weight: float = 1e-4, huber: float | None = 1.345,
                        nonnegative: bool = True, max_pair_slope: float | None = MAX_PAIR_SLOPE,
                        count_columns: Sequence[int] = (), sum_share: bool = False) -> LogCombination:
    """Fit the model average on ``Zk`` (K x D prior log-latencies) and ``yk`` (K log-latencies);
    ``huber=None`` (or too few shots, see ``MIN_ROBUST_DOF``) gives plain least squares. With
    ``nonnegative`` a model whose slopes do not sum to a positive value is left out (a network
    slower on every prior device is never predicted faster here; a pair may still contrast two
    devices): on a few shots bunched in a narrow range, noise alone can make such a fit look best.
    Held out: at K = 5 the mean Spearman rose from 0.943 to 0.962 (NB201: pixel3 from 0.44 to
    0.83) and from 0.907 to 0.918 (FBNet); at K = 10 it was unchanged on both spaces.
    A pair with a slope beyond ``max_pair_slope`` is left out too (see ``MAX_PAIR_SLOPE``).

    ``count_columns`` (indices into ``Zk``) hold raw per-choice counts, not log values: they are
    no single or pair member but together one ``"sum"`` member (``_sum_model``), for devices whose
    latency adds up over a network's choices (see ``MIN_SUM_DOF``). With ``sum_share`` and shots
    enough to judge the sum out of sample (``SUM_SHARE_DOF``), the sum member's share is updated by
    leave-one-out errors (``_share_sum_by_loo``); the combination then carries those errors
    (``loo_errors``). Meant for averages over a pool's many maps (see ``SUM_SHARE_DOF``)."""
    comb = _fit_average(Zk, yk, temperature, pairs, min_weight, huber, nonnegative, max_pair_slope, count_columns)
    if not sum_share or "sum" not in comb.kinds:
        return comb
    return _share_sum_by_loo(comb, Zk, yk, lambda Z, y: _fit_average(Z, y, temperature, pairs, min_weight, huber,
                                                                     nonnegative, max_pair_slope, count_columns))


def _fit_average(Zk: np.ndarray, yk: np.ndarray, temperature: float, pairs: bool, min_weight: float,
                 huber: float | None, nonnegative: bool, max_pair_slope: float | None,
                 count_columns: Sequence[int]) -> LogCombination:
    """The BIC-weighted model average itself (``fit_log_combination`` without the sum's share)."""
    Zk, yk = np.asarray(Zk, float), np.asarray(yk, float)
    k = len(yk)
    counts = sorted(set(int(c) for c in count_columns))
    count_set = set(counts)
    log_columns = [c for c in range(Zk.shape[1]) if c not in count_set]
    if not log_columns:
        raise ValueError("fit_log_combination needs at least one log column")
    if k < 2 or yk.std() == 0:  # nothing to learn a slope from: scale the prior mean
        slope = np.full(len(log_columns), 1.0 / len(log_columns))
        return LogCombination(np.ones(1), np.array([float(np.mean(yk - Zk[:, log_columns] @ slope))]), [log_columns],
                              [slope])
    sets = _candidate_sets(log_columns, k, pairs)
    robust = huber if k - max(len(s) for s in sets) - 1 >= MIN_ROBUST_DOF else None
    bics, fits = np.empty(len(sets)), [None] * len(sets)
    for size in sorted({len(s) for s in sets}):  # one batched fit per model size
        idx = [i for i, s in enumerate(sets) if len(s) == size]
        A = np.concatenate([np.ones((len(idx), k, 1)), Zk[:, [sets[i] for i in idx]].transpose(1, 0, 2)], axis=2)
        coef, loss = _robust_fits(A, yk, robust)
        # the 1e-6 floor keeps a perfect fit on K = 2..3 shots from taking all the weight
        bics[idx] = k * np.log(loss / k + 1e-6) + (size + 1) * np.log(k)
        if nonnegative:
            bics[np.asarray(idx)[coef[:, 1:].sum(axis=1) <= 0]] = np.inf
        if max_pair_slope is not None and size > 1:
            bics[np.asarray(idx)[np.abs(coef[:, 1:]).max(axis=1) > max_pair_slope]] = np.inf
        for i, c in zip(idx, coef):
            fits[i] = (float(c[0]), sets[i], c[1:], 0.0)
    kinds = ["log"] * len(sets)
    summed = _sum_model(Zk[:, counts], yk, huber) if counts else None
    if summed is not None:
        bics = np.append(bics, summed[0])
        fits.append((summed[1], counts, summed[2], summed[3]))
        kinds.append("sum")
    if not np.isfinite(bics).any():  # every column fits backwards: fall back to the prior mean's scale
        return _fit_average(Zk, np.full(k, yk.mean()), temperature, pairs, min_weight, huber, False,
                            max_pair_slope, counts)
    w = np.exp(-0.5 * (bics - bics.min()) / temperature)
    keep = np.flatnonzero(w / w.sum() >= min_weight)
    w = w[keep] / w[keep].sum()
    has_sum = any(kinds[i] == "sum" for i in keep)  # without a sum: kinds and floors stay empty
    return LogCombination(w, np.array([fits[i][0] for i in keep]), [fits[i][1] for i in keep],
                          [np.asarray(fits[i][2], float) for i in keep],
                          [kinds[i] for i in keep] if has_sum else [], [fits[i][3] for i in keep] if has_sum else [])


# The sum member's share, updated by leave-one-out errors. The BIC average alone dilutes a device
# that truly is a sum: one sum member against ~1,100 pool maps (NB201: 40 columns, singles and
# pairs), each a little worse but together most of the weight (a launch-bound synthetic device, a
# cost per non-empty edge and per 3x3 convolution with 2% noise, 10 random shots: the sum held
# 7-21% of the weight). Leave-one-out judges the sum alone against the whole average as
# predictors, whatever their counts: the sum's BIC weight is the prior, the Gaussian likelihood
# ratio of the two sets of leave-one-out errors, (mse_sum / mse_average) ** (-K / 2), the evidence.
# benchmarks/latency_sum_share.py (6 draws, near-budget rms log error): NB201 K = 10, 21 real
# devices 0.0597 -> 0.0595, 7 synthetic 0.0762 -> 0.0598 (launch-bound 0.063 -> 0.034, a sum with
# 2% noise 0.070 -> 0.032); K = 8 unchanged (too few spare shots, below); K = 20
# real 0.0536 -> 0.0530, synthetic 0.0497 -> 0.0466; FBNet unchanged at K = 8, 10, 20.
# Only with at least SUM_SHARE_DOF spare shots in every leave-one-out fit of the sum: with fewer a
# poor sum's leave-one-out error can look like the average's (session 25, 2 spare allowed: FBNet's
# gold_6240 at K = 10 0.928 -> 0.906 Spearman in ``bench latency``; 0.723 with a flat prior
# instead of the BIC weight). And only over a pool (``FewShotLatency`` asks for it then): without
# one the average has ~20 members, no dilution to undo, and the update only added noise (session
# 25, K = 10, no pool, 6 draws: FBNet 0.790 -> 0.773, NB201 0.9632 -> 0.9626 mean Spearman).
# Session 27, the benchmark search (bayes) on benchmarks/search_synthetic.py's 7 devices x Q 0.3/0.5
# x 4 seeds with 2 spare (the share from the 8th shot on NB201): 0.460 vs 0.431 mean regret, 100%
# within (launch-bound Q 0.3 0.99 -> 0.43, gold x8 with 8% noise Q 0.3 0.62 -> 0.38, but a sum with
# 2% noise Q 0.3 0.34 -> 1.13, with 5% 1.13 -> 1.62; 4 other rows changed by <= 0.08). Not kept.
SUM_SHARE_DOF = 4


def _share_sum_by_loo(comb: LogCombination, Zk: np.ndarray, yk: np.ndarray, refit) -> LogCombination:
    """``comb`` with its sum member's weight set to its posterior share (see above) and the other
    members scaled to the rest; unchanged with fewer than ``SUM_SHARE_DOF`` spare shots per
    leave-one-out fit, or when some leave-one-out fit has no sum."""
    Zk, yk = np.asarray(Zk, float), np.asarray(yk, float)
    j = comb.kinds.index("sum")
    design = np.column_stack([np.ones(len(yk)), Zk[:, comb.columns[j]]])
    if len(yk) - 1 - np.linalg.matrix_rank(design) < SUM_SHARE_DOF:
        return comb
    whole, alone = np.empty(len(yk)), np.empty(len(yk))
    for i in range(len(yk)):
        keep = np.arange(len(yk)) != i
        fit = refit(Zk[keep], yk[keep])
        if "sum" not in fit.kinds:
            return comb
        member = fit.members(Zk[i:i + 1])[fit.kinds.index("sum"), 0]
        whole[i], alone[i] = yk[i] - fit.predict(Zk[i:i + 1])[0], yk[i] - member
    prior = float(comb.weights[j])
    if prior >= 1.0:
        return replace(comb, loo_errors=alone)
    # clipped at e-fold: one wild leave-one-out fit must not decide alone
    ratio = np.mean(np.clip(alone, -1, 1) ** 2) / max(np.mean(np.clip(whole, -1, 1) ** 2), 1e-12)
    odds_against = (1.0 - prior) / prior * np.exp(min(len(yk) / 2 * np.log(max(ratio, 1e-12)), 700.0))
    share = 1.0 / (1.0 + odds_against)
    weights = comb.weights * (1.0 - share) / (1.0 - prior)
    weights[j] = share
    return replace(comb, weights=weights, loo_errors=share * alone + (1.0 - share) * whole)
