"""`fewshot`: adapt to a new device from K = 5..20 measured networks.

Prior knowledge (``PriorColumns``): other devices' log-latencies from a pool table, raw and
smoothed into per-choice lookup tables (``additive:<device>``), the device's own lookup-table sum
when it has a profile, and log multiply-adds / parameters / memory traffic. The K shots choose and
scale those columns through a BIC-weighted average of robust (Huber) fits
(``fit_log_combination``), next to one model of the latency as a sum of per-choice costs in
milliseconds (``count:`` columns; ``counts=False`` leaves it out) once the shots outnumber its
parameters by ``MIN_SUM_DOF``, its share then set by leave-one-out errors (``sum_share``). With
many shots (``booster_min_shots``, e.g. the classic 900-sample setting) an XGBoost model on the
columns and the encoding learns the remaining residual.

Defaults re-checked on FBNet, K = 10, 3 seeds, leave one device out (0.9392 mean Spearman):
temperature 1 0.9269, 10 0.9258; no pairs 0.9387; least squares 0.9341, Huber 3.0 0.9351; no
``additive:`` columns 0.9348; no cost columns 0.9366. The noisy phone columns (samsung_s7 0.605,
essential_ph_1 0.659) sit near their best single pool column's Spearman (0.688, 0.663).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from hwnas import Architecture, DataError
from hwnas.datasets import LatencyTable, load_latency_table

from ._base import register_predictor
from ._lat_base import LatencyPredictor, _write_csv_atomic, log_ms, xgb_threads
from ._lat_combine import LogCombination, fit_log_combination
from ._lat_prior import PriorColumns, RidgeFill, fit_fill_model, is_count_column, pool_device_of

__all__ = ["FewShotLatency"]


@register_predictor
class FewShotLatency(LatencyPredictor):
    """Few-shot latency transfer from a pool of prior devices (see the module docstring).

    Parameters: ``pool`` (a ``LatencyTable`` or CSV path; optional), ``exclude`` (pool devices
    never to use, e.g. the device itself: raw or smoothed), ``temperature`` of the model average,
    ``pairs`` (also two-column models), ``counts`` (also one model of the latency as a sum of
    per-choice costs over ``count:`` columns; with a shared ``prior``, its ``use_counts`` decides),
    ``sum_share`` (with a pool, that sum's share updated by leave-one-out errors, ``fit_log_combination``),
    ``huber`` (the robust fit's tuning constant; ``None``: least squares), ``booster_min_shots``,
    ``seed``. A shared ``prior`` (``PriorColumns``) may be passed instead of ``pool`` to reuse its
    cache across many fits (benchmarks).
    """

    name = "fewshot"

    def __init__(self, space, profile: Any = None, pool: Any = None, exclude: Sequence[str] = (),
                 temperature: float = 3.0, pairs: bool = True, booster_min_shots: int = 50, seed: int = 0,
                 prior: PriorColumns | None = None, huber: float | None = 1.345, counts: bool = True,
                 sum_share: bool = True) -> None:
        self._pool = pool if isinstance(pool, LatencyTable) else None
        self._prior = prior
        self._shared_prior = prior is not None
        if isinstance(pool, LatencyTable):
            pool = None if pool.path is None else str(pool.path)
        super().__init__(space, profile=profile, pool=None if pool is None else str(pool), exclude=list(exclude),
                         temperature=float(temperature), pairs=bool(pairs),
                         huber=None if huber is None else float(huber),
                         booster_min_shots=int(booster_min_shots), seed=int(seed), counts=bool(counts),
                         sum_share=bool(sum_share))

    def _prior_columns(self) -> PriorColumns:
        if self._prior is None:
            pool = self._pool
            if pool is None and self.params.get("pool"):
                pool = load_latency_table(self.params["pool"], self.space)
            self._prior = PriorColumns(self.features(), pool, seed=self.params["seed"],
                                       use_counts=self.params.get("counts", False))
        return self._prior

    def _fit(self, archs: list[Architecture], y: np.ndarray, **_: Any) -> None:
        if not self._shared_prior:
            self._prior = None  # built anew below from this fit's profile and pool
            self._take_profile()
        else:  # a shared prior carries the features (and lookup table) it was built with
            f = self._prior.features
            self.lut_, self.input_shape_, self.ops_, self._features = f.lut, f.input_shape, f.ops, f
            self.profile_hash_ = getattr(self, "profile_hash_", None)
        prior = self._prior_columns()
        excluded = set(self.params["exclude"])
        self.columns_ = [c for c in prior.columns if c not in excluded and pool_device_of(c) not in excluded]
        if not self.columns_:
            raise DataError("fewshot: no prior columns left (pool empty or every device excluded)")
        genes = self.space.genes_array(archs)
        ylog = log_ms(y)
        Z = prior.matrix(genes, self.columns_)
        counts = [j for j, c in enumerate(self.columns_) if is_count_column(c)]
        comb = fit_log_combination(Z, ylog, self.params["temperature"], self.params["pairs"],
                                   huber=self.params.get("huber", 1.345), count_columns=counts,
                                   sum_share=self.params.get("sum_share", False) and prior.pool is not None)
        self.booster_ = None
        if len(archs) >= self.params["booster_min_shots"]:
            X = np.column_stack([Z, self.space.encode_genes(genes)])
            self.booster_ = fit_fill_model(X, ylog - comb.predict(Z), self.params["seed"], n_estimators=200)
        else:  # keep only the columns the average uses: prediction then reads nothing else
            used = comb.used_columns
            comb = comb.remap({c: i for i, c in enumerate(used)})
            self.columns_ = [self.columns_[c] for c in used]
        self.combination_ = comb
        # the shots' leave-one-out log errors when the sum's share computed them (a booster adds to them)
        self.loo_log_errors_ = comb.loo_errors if self.booster_ is None else None
        self.pool_hash_ = prior.pool.hash if prior.pool is not None else None

    def _predict_genes(self, genes: np.ndarray) -> np.ndarray:
        Z = self._prior_columns().matrix(genes, self.columns_)
        out = self.combination_.predict(Z)
        if self.booster_ is not None:
            out = out + self._residual(Z, genes)
        return np.exp(out)

    def _residual(self, Z: np.ndarray, genes: np.ndarray) -> np.ndarray:
        """The many-shot booster's correction (log ms), on one thread for small batches."""
        self.booster_.set_params(n_jobs=xgb_threads(len(genes)))
        return self.booster_.predict(np.column_stack([Z, self.space.encode_genes(genes)]))

    def predict_with_std(self, archs: Sequence[Architecture | str]) -> tuple[np.ndarray, np.ndarray]:
        """Latency (ms, as ``predict``) and the spread of the averaged component models around it:
        ``sqrt(sum_m w_m (ms_m - ms)^2)`` in ms, where ``ms_m`` is model ``m``'s prediction (plus the
        booster's residual when there is one). Large where the prior devices the shots could not
        tell apart disagree about an architecture; zero when one model takes all the weight."""
        self._check_fitted()
        genes = self.space.genes_array([self.space.as_arch(a) for a in archs])
        Z = self._prior_columns().matrix(genes, self.columns_)
        members = self.combination_.members(Z)  # (M, N) log ms
        mean = self.combination_.weights @ members
        if self.booster_ is not None:
            residual = self._residual(Z, genes)
            members, mean = members + residual, mean + residual
        ms = np.exp(mean)
        spread = self.combination_.weights @ (np.exp(members) - ms) ** 2
        return ms, np.sqrt(np.maximum(spread, 0.0))

    def fitted_on(self) -> str | None:
        parts = [h for h in (getattr(self, "profile_hash_", None), getattr(self, "pool_hash_", None)) if h]
        return "+".join(parts) or None

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> dict:
        state = self._save_lut(directory)
        prior = self._prior_columns()
        devices = [] if prior.pool is None else [d for d in prior.pool.devices
                                                  if d in {pool_device_of(c) for c in self.columns_}]
        if devices:  # a self-contained copy of the pool columns used (fill models refit from it alike)
            _write_csv_atomic(prior.pool.without([d for d in prior.pool.devices if d not in devices]).to_frame(),
                              directory / "pool.csv")
        fills = {d: m.to_dict() for d, m in prior.fill_models.items() if d in devices}
        if self.booster_ is not None:
            self.booster_.save_model(str(directory / "booster.ubj"))
        return dict(state, columns=self.columns_, pool_devices=devices, pool_hash=self.pool_hash_, fills=fills,
                    combination=self.combination_.to_dict(), booster=self.booster_ is not None)

    def _load_state(self, directory: Path, state: dict) -> None:
        import xgboost as xgb

        self._load_lut(directory, state)
        self.columns_ = list(state["columns"])
        self.pool_hash_ = state.get("pool_hash")
        self.combination_ = LogCombination.from_dict(state["combination"])
        pool = load_latency_table(directory / "pool.csv", self.space) if state.get("pool_devices") else None
        self._pool, self._prior = pool, None
        prior = self._prior_columns()
        for d, fill in state.get("fills", {}).items():
            prior.fill_models[d] = RidgeFill.from_dict(fill)
        self.booster_ = None
        if state.get("booster"):
            self.booster_ = xgb.XGBRegressor()
            self.booster_.load_model(str(directory / "booster.ubj"))
