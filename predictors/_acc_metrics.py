"""Ranking metrics of an accuracy surrogate: what a search needs is the order, not the value."""

from __future__ import annotations

import numpy as np

__all__ = ["ranking_metrics", "precision_at_top"]


def precision_at_top(y_true: np.ndarray, y_pred: np.ndarray, fraction: float = 0.01) -> float:
    """Share of the true top ``fraction`` found among the predicted top ``fraction`` (at least 1)."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    k = max(1, int(round(fraction * len(y_true))))
    true_top = set(np.argsort(-y_true, kind="stable")[:k].tolist())
    pred_top = np.argsort(-y_pred, kind="stable")[:k]
    return float(sum(i in true_top for i in pred_top.tolist()) / k)


def ranking_metrics(y_true, y_pred, top_fraction: float = 0.01) -> dict[str, float]:
    """Kendall tau-b, Spearman rho and precision@top-``top_fraction`` of predictions vs truth."""
    from scipy.stats import kendalltau, spearmanr

    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if len(y_true) != len(y_pred) or len(y_true) < 2:
        from hwnas import ConfigError

        raise ConfigError(f"ranking_metrics needs two equal-length arrays of >= 2 values, got {len(y_true)} and {len(y_pred)}")
    return {"kendall": float(kendalltau(y_true, y_pred).statistic),
            "spearman": float(spearmanr(y_true, y_pred).statistic),
            f"precision_top{top_fraction * 100:g}pct": precision_at_top(y_true, y_pred, top_fraction)}
