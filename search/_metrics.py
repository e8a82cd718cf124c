"""`Metric`: a number per architecture (accuracy, latency on a device, params...) and where it comes from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable, Sequence

import numpy as np

from hwnas import Architecture, ConfigError, SearchSpace

from ._genes import genes_keys

__all__ = ["Metric", "MetricValues", "PredictorMetric", "TableMetric", "FunctionMetric", "CostMetric",
           "CrossPlatformMetric"]

SOURCES = ("surrogate", "table", "measured", "computed")


class MetricValues:
    """``mean`` and ``std`` per row, and ``source`` per row: how each number was obtained
    (``surrogate``: a predictor; ``table``: a measurement table; ``measured``: measured in this
    run; ``computed``: exact, e.g. parameters)."""

    def __init__(self, mean, std=None, source: str | np.ndarray = "surrogate") -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.zeros_like(self.mean) if std is None else np.asarray(std, dtype=np.float64)
        self.source = np.broadcast_to(np.asarray(source, dtype=object), self.mean.shape).copy()


class Metric(ABC):
    """A number per architecture, computed for a whole ``(N, n_choices)`` gene matrix at once.

    Subclasses give ``name`` and ``evaluate(genes) -> MetricValues``. Metrics are cheap
    (surrogates, tables, cached counts) or expensive (real measurements): drivers cache their
    values per architecture.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def evaluate(self, genes: np.ndarray) -> MetricValues:
        """Values of every row of ``genes``."""

    def describe(self) -> dict:
        return {"name": self.name, "type": type(self).__name__}


_PATH_PARAMS = ("profile", "pool")  # predictor parameters that locate its data rather than shape the model


class PredictorMetric(Metric):
    """A fitted ``hwnas.predictors.Predictor``: batched ``predict_genes`` (the fast path), or its
    ``predict_with_std`` when ``uncertainty`` (ensembles give a spread, others zero)."""

    def __init__(self, name: str, predictor, uncertainty: bool = False) -> None:
        super().__init__(name)
        self.predictor, self.uncertainty = predictor, uncertainty

    def evaluate(self, genes: np.ndarray) -> MetricValues:
        if not self.uncertainty:
            return MetricValues(self.predictor.predict_genes(genes), None, "surrogate")
        space = self.predictor.space
        mean, std = self.predictor.predict_with_std([Architecture(space.name, tuple(map(int, g))) for g in genes])
        return MetricValues(mean, std, "surrogate")

    def describe(self) -> dict:
        p = self.predictor
        params, fitted_on = p.get_params(), p.fitted_on()
        if fitted_on:  # name the data by content, not by path: a moved run directory is the same search
            params = {k: v for k, v in params.items() if k not in _PATH_PARAMS}
        return {**super().describe(), "predictor": f"{p.kind}/{p.name}", "params": params, "fitted_on": fitted_on}


class TableMetric(Metric):
    """Values read from a table (``archs`` and their ``values``); architectures the table lacks
    come from ``fallback`` (e.g. a predictor), or are NaN without one."""

    def __init__(self, name: str, space: SearchSpace, archs: Sequence[Architecture], values,
                 fallback: Metric | None = None, source: str = "table") -> None:
        super().__init__(name)
        values = np.asarray(values, dtype=np.float64)
        if len(values) != len(archs):
            raise ConfigError(f"table metric {name!r}: {len(archs)} architectures but {len(values)} values")
        known = np.isfinite(values)
        self.rows = dict(zip(genes_keys(space.genes_array(list(archs))[known]), values[known]))
        self.fallback, self.source = fallback, source

    def evaluate(self, genes: np.ndarray) -> MetricValues:
        vals = np.array([self.rows.get(k, np.nan) for k in genes_keys(genes)])
        out = MetricValues(vals, None, self.source)
        missing = ~np.isfinite(vals)
        if missing.any() and self.fallback is not None:
            other = self.fallback.evaluate(genes[missing])
            out.mean[missing], out.std[missing], out.source[missing] = other.mean, other.std, other.source
        return out

    def describe(self) -> dict:
        return {**super().describe(), "rows": len(self.rows),
                "fallback": None if self.fallback is None else self.fallback.describe()}


class FunctionMetric(Metric):
    """Any vectorised function of a gene matrix: ``fn(genes) -> values`` or ``(mean, std)``."""

    def __init__(self, name: str, fn: Callable[[np.ndarray], np.ndarray], source: str = "computed") -> None:
        super().__init__(name)
        self.fn, self.source = fn, source

    def evaluate(self, genes: np.ndarray) -> MetricValues:
        out = self.fn(genes)
        mean, std = out if isinstance(out, tuple) else (out, None)
        return MetricValues(mean, std, self.source)


class CostMetric(Metric):
    """Exact parameters (``params``) or multiply-adds (``flops``) of built networks, cached per
    architecture (building a network costs milliseconds: fine for hundreds, slow for millions)."""

    def __init__(self, kind: str, space: SearchSpace) -> None:
        if kind not in ("params", "flops"):
            raise ConfigError(f"cost metric must be 'params' or 'flops', got {kind!r}")
        super().__init__(kind)
        self.space, self.cache = space, {}

    def evaluate(self, genes: np.ndarray) -> MetricValues:
        count = self.space.params if self.name == "params" else self.space.flops
        vals = []
        for key, row in zip(genes_keys(genes), genes):
            if key not in self.cache:
                self.cache[key] = float(count(Architecture(self.space.name, tuple(int(g) for g in row))))
            vals.append(self.cache[key])
        return MetricValues(vals, None, "computed")


class CrossPlatformMetric(Metric):
    """One architecture for many devices: the sum over devices of each metric divided by its
    scale (e.g. the device's latency budget), the cross-platform loss; ``worst_case`` takes the
    largest normalised value instead, so that minimising it is good on every device."""

    def __init__(self, name: str, metrics: Sequence[Metric], scales: Sequence[float],
                 worst_case: bool = False) -> None:
        if len(metrics) != len(scales) or not metrics:
            raise ConfigError(f"cross-platform metric {name!r}: needs one positive scale per metric")
        if any(s <= 0 for s in scales):
            raise ConfigError(f"cross-platform metric {name!r}: scales must be positive, got {list(scales)}")
        super().__init__(name)
        self.metrics, self.scales, self.worst_case = list(metrics), np.asarray(scales, float), worst_case

    def evaluate(self, genes: np.ndarray) -> MetricValues:
        parts = [m.evaluate(genes) for m in self.metrics]
        norm = np.stack([p.mean / s for p, s in zip(parts, self.scales)])
        std = np.stack([p.std / s for p, s in zip(parts, self.scales)])
        sources = np.stack([p.source for p in parts])
        # a combined number is only as trustworthy as its weakest part
        source = np.where((sources == "surrogate").any(axis=0), "surrogate", sources[0])
        if self.worst_case:
            arg = norm.argmax(axis=0)
            cols = np.arange(norm.shape[1])
            return MetricValues(norm[arg, cols], std[arg, cols], source)
        return MetricValues(norm.sum(axis=0), np.sqrt((std ** 2).sum(axis=0)), source)

    def describe(self) -> dict:
        return {**super().describe(), "worst_case": self.worst_case, "scales": self.scales.tolist(),
                "metrics": [m.describe() for m in self.metrics]}
