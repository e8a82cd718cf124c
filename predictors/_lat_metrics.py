"""Scores of a latency surrogate: the order (Spearman, Kendall) and the value (MAPE, ±5 / ±10 %)."""

from __future__ import annotations

import numpy as np

from hwnas import ConfigError

__all__ = ["latency_scores", "LATENCY_SCORES"]

LATENCY_SCORES = ("spearman", "kendall", "mape", "within5", "within10")


def latency_scores(y_true, y_pred) -> dict[str, float]:
    """Spearman rho, Kendall tau-b, MAPE (%) and the share (%) of predictions within ±5 % and ±10 %."""
    from scipy.stats import kendalltau, spearmanr

    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    if y_true.shape != y_pred.shape or y_true.size < 2:
        raise ConfigError(f"latency_scores needs two equal-length arrays of >= 2 values, got {y_true.size} and {y_pred.size}")
    rel = np.abs(y_pred - y_true) / np.abs(y_true)
    return {"spearman": float(spearmanr(y_true, y_pred).statistic),
            "kendall": float(kendalltau(y_true, y_pred).statistic),
            "mape": float(100 * rel.mean()),
            "within5": float(100 * np.mean(rel <= 0.05)),
            "within10": float(100 * np.mean(rel <= 0.10))}
