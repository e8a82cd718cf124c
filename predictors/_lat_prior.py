"""`PriorColumns`: what is known about every architecture before a new device is measured.

The columns are log-latencies on prior devices (a pool ``LatencyTable``), the log of the device's
own lookup-table sum (when a profile exists) and log multiply-adds, parameters and memory traffic.
Pool cells that were not measured (an architecture outside the pool, or a blank) are filled by a
per-device ridge regression of the log latency on the encoding and the log costs, fitted lazily the
first time a device needs it: as accurate as boosted trees on these tables (latency is nearly
additive over a network's choices in log space) and a thousand times cheaper.

Each pool device also gives a smoothed column, ``additive:<device>``: a ridge regression of its log
latency on the space encoding alone (one-hot choices: cheap, no unit costs needed), predicted for
every architecture, measured or not. It is the device's learned per-choice lookup table (in the
spirit of nn-Meter's kernel sums): free of the device's measurement noise and of its quirks on
single networks, it lets the few-shot fit borrow a device's cost structure without its noise.
Held-out evidence (leave one device out on the shared tables, devices split into two halves): at
K = 10 offering these columns next to the raw ones raised the mean Spearman on both halves of
FBNet and slightly on NB201; at K = 5 it gained 0.007 on FBNet and cost 0.001 on NB201.

With ``use_counts`` there are also ``count:<token>`` columns: how many of a network's genes take
an option named with that token (raw counts, not logs). Some devices add a fixed cost per choice
in milliseconds: an accelerator simulator summing its layers, or a compute-bound GPU (NB201's whole 2080ti_256 column
fits ``a + sum_op n_op * c_op`` at an rms log error of 0.003, against 0.03 for the pool's
few-shot map at 10 shots). No log-space map of other devices' latencies is such a sum, so the
few-shot fit gets the counts as one more member (``fit_log_combination``'s ``count_columns``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Sequence

import numpy as np

from hwnas import DataError
from hwnas.datasets import LatencyTable

from ._lat_features import LatencyFeatures
from ._lat_index import GenomeIndex

__all__ = ["PriorColumns", "RidgeFill", "fit_fill_model", "COST_COLUMNS", "ADDITIVE_PREFIX", "COUNT_PREFIX",
           "is_count_column", "pool_device_of"]

COST_COLUMNS = ("log_macs", "log_params", "log_memory")
ADDITIVE_PREFIX = "additive:"
COUNT_PREFIX = "count:"  # how many of a network's genes take a choice: linear, not log (see ``use_counts``)


def is_count_column(column: str) -> bool:
    """Whether a prior column holds raw per-choice counts (``use_counts``) rather than log values."""
    return column.startswith(COUNT_PREFIX)


def pool_device_of(column: str) -> str:
    """The pool device a prior column reads (``additive:<d>`` reads ``d``)."""
    return column[len(ADDITIVE_PREFIX):] if column.startswith(ADDITIVE_PREFIX) else column


def fit_fill_model(X: np.ndarray, y: np.ndarray, seed: int, n_estimators: int = 300):
    """An XGBoost regressor (hist, up to 2 threads, seeded) of ``y`` on ``X``."""
    import xgboost as xgb

    from ._lat_base import xgb_threads

    return xgb.XGBRegressor(n_estimators=n_estimators, max_depth=6, learning_rate=0.1, subsample=0.9,
                            colsample_bytree=0.8, tree_method="hist", n_jobs=xgb_threads(),
                            random_state=seed).fit(X, y)


class RidgeFill:
    """Ridge regression on standardised inputs; its state is plain arrays (saved as JSON)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, X: np.ndarray, y: np.ndarray) -> "RidgeFill":
        self.mean_, self.scale_ = X.mean(axis=0), X.std(axis=0) + 1e-9
        Xs = (X - self.mean_) / self.scale_
        self.intercept_ = float(y.mean())
        A = Xs.T @ Xs + self.alpha * np.eye(X.shape[1])
        self.coef_ = np.linalg.solve(A, Xs.T @ (y - self.intercept_))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.intercept_ + ((X - self.mean_) / self.scale_) @ self.coef_

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "mean": self.mean_.tolist(), "scale": self.scale_.tolist(),
                "intercept": self.intercept_, "coef": self.coef_.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "RidgeFill":
        m = cls(float(d["alpha"]))
        m.mean_, m.scale_ = np.asarray(d["mean"], float), np.asarray(d["scale"], float)
        m.intercept_, m.coef_ = float(d["intercept"]), np.asarray(d["coef"], float)
        return m


class PriorColumns:
    """``matrix(genes, columns)``: the log prior columns of architectures (cached per row); with
    ``use_counts`` also the ``count:`` columns, raw counts for a fit in milliseconds
    (``is_count_column``)."""

    def __init__(self, features: LatencyFeatures, pool: LatencyTable | None = None, seed: int = 0,
                 use_costs: bool = True, additive: bool = True, use_counts: bool = False) -> None:
        if pool is not None and pool.space.name != features.space.name:
            raise DataError(f"pool table {pool.path} holds {pool.space.name!r} architectures, not {features.space.name!r}")
        self.features = features
        self.space = features.space
        self.pool = pool
        self.seed = seed
        self.use_costs = use_costs
        self.additive = additive
        self.use_counts = use_counts
        self.fill_models: dict[str, object] = {}
        self.additive_models: dict[str, RidgeFill] = {}
        # pool row of each genome seen so far, by its own index: finding a network's pool row needs
        # no unit features (computing those for NB201's 15625 networks took 15 s of a 20 s search)
        self._pool_index = GenomeIndex(self.space.cardinalities)
        self._pool_row_of_slot = np.empty(0, dtype=np.int64)

    @property
    def columns(self) -> list[str]:
        cols = []
        if self.pool is not None:  # a device measured fewer than twice says nothing about the others
            counts = np.isfinite(self.pool.values).sum(axis=0)
            cols = [d for d, n in zip(self.pool.devices, counts) if n >= 2]
            cols += [ADDITIVE_PREFIX + d for d in cols] if self.additive else []
        if self.features.lut is not None:
            cols.append("log_lut_sum")
        return cols + (list(COST_COLUMNS) if self.use_costs else []) + (self.count_columns if self.use_counts else [])

    @property
    def count_columns(self) -> list[str]:
        """One ``count:<token>`` column per token of the space's option labels (split at ``_``:
        FBNet's ``k5_e6`` is a 5x5 kernel and an expansion of 6), in first-seen order, leaving out
        a token that marks exactly the options another already marks (NB201's ``connect`` in
        ``skip_connect``): the design of a device whose latency is a sum of per-choice costs.
        Tokens let a sum of per-factor costs stand in for one cost per option when the shots are
        too few for the latter (FBNet: 6 parameters instead of 9; the full table fits nearly as
        well, e.g. rms log error 0.014 vs 0.014 on 2080ti_1, 0.084 vs 0.080 on pixel3)."""
        return list(self._count_marks)

    @cached_property
    def _count_marks(self) -> dict[str, frozenset]:
        """Count column -> the (gene, option) pairs it counts."""
        marks: dict[str, set] = {}
        for i, choice in enumerate(self.space.choices):
            for j, o in enumerate(choice.options):
                for token in str(o).split("_"):
                    marks.setdefault(token, set()).add((i, j))
        seen: dict[frozenset, str] = {}
        for token, pairs in marks.items():
            seen.setdefault(frozenset(pairs), token)
        return {COUNT_PREFIX + token: pairs for pairs, token in seen.items()}

    def _counts(self, genes: np.ndarray, column: str) -> np.ndarray:
        out = np.zeros(len(genes))
        for i, j in sorted(self._count_marks[column]):
            out += genes[:, i] == j
        return out

    def matrix(self, genes: np.ndarray, columns: Sequence[str] | None = None) -> np.ndarray:
        """``(N, len(columns))`` log values of the chosen columns (default: all)."""
        genes = np.asarray(genes, dtype=np.int64)
        columns = list(self.columns if columns is None else columns)
        out = np.empty((len(genes), len(columns)))
        need_features = any(c in COST_COLUMNS or c == "log_lut_sum" for c in columns)
        feats = self.features.compute(genes) if need_features else None
        names = self.features.names
        rows = self._pool_rows(genes) if self.pool is not None else None
        encoded = self._encoded(genes) if any(c.startswith(ADDITIVE_PREFIX) for c in columns) else None
        for j, col in enumerate(columns):
            if col.startswith(ADDITIVE_PREFIX):
                out[:, j] = self.additive_model(pool_device_of(col)).predict(encoded)
            elif is_count_column(col):
                out[:, j] = self._counts(genes, col)
            elif col == "log_lut_sum":
                out[:, j] = np.log(feats[:, names.index("lut_sum")])
            elif col in COST_COLUMNS:
                out[:, j] = np.log1p(feats[:, names.index(col[4:])])
            else:
                out[:, j] = self._pool_column(genes, rows, col)
        return out

    def _pool_rows(self, genes: np.ndarray) -> np.ndarray:
        """Pool row of each gene row (-1: not in the pool), looked up once per distinct row."""
        genes = self.features.validated(genes)
        slots = self._pool_index.lookup(genes)
        missing = slots < 0
        if missing.any():
            new = np.unique(genes[missing], axis=0)
            first = self._pool_index.add(new)
            rows = self.pool.row_indices([self.space.make(g) for g in new.tolist()])
            self._pool_row_of_slot = np.concatenate([self._pool_row_of_slot, np.asarray(rows, dtype=np.int64)])
            slots[missing] = self._pool_index.lookup(genes[missing])
        return self._pool_row_of_slot[slots]

    def _pool_column(self, genes: np.ndarray, rows: np.ndarray, device: str) -> np.ndarray:
        j = self.pool.device_index(device)
        values = np.full(len(genes), np.nan)
        known = rows >= 0
        values[known] = self.pool.values[rows[known], j]
        missing = ~np.isfinite(values)
        out = np.log(np.where(missing, 1.0, values))
        if missing.any():
            out[missing] = self.fill_model(device).predict(self._fill_inputs(genes[missing]))
        return out

    def _fill_inputs(self, genes: np.ndarray) -> np.ndarray:
        costs = self.features.compute(genes)[:, [self.features.names.index(c[4:]) for c in COST_COLUMNS]]
        return np.column_stack([self.space.encode_genes(genes), np.log1p(costs)])

    def fill_model(self, device: str):
        """The model filling ``device``'s unmeasured architectures (fitted on first use)."""
        if device not in self.fill_models:
            archs, ms = self.pool.column(device)
            if len(archs) < 2:
                raise DataError(f"pool table {self.pool.path}: device {device!r} has fewer than 2 measurements")
            X = self._fill_inputs(self.space.genes_array(archs))
            self.fill_models[device] = RidgeFill().fit(X, np.log(ms))
        return self.fill_models[device]

    def _encoded(self, genes: np.ndarray) -> np.ndarray:
        return self.space.encode_genes(genes).astype(np.float64)

    def additive_model(self, device: str) -> RidgeFill:
        """The smoothing of ``device``'s column (fitted on first use; deterministic, so a saved pool
        table is all a loaded predictor needs to rebuild it)."""
        if device not in self.additive_models:
            archs, ms = self.pool.column(device)
            if len(archs) < 2:
                raise DataError(f"pool table {self.pool.path}: device {device!r} has fewer than 2 measurements")
            self.additive_models[device] = RidgeFill().fit(self._encoded(self.space.genes_array(archs)), np.log(ms))
        return self.additive_models[device]
