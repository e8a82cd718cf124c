"""Public names of this side of hwnas.predictors (re-exported by __init__)."""

from ._acc_base import AccuracyPredictor
from ._acc_bench import bench_accuracy, fit_accuracy, predict_accuracy
from ._acc_ensemble import EnsembleAccuracyPredictor
from ._acc_features import accuracy_feature_names, accuracy_features
from ._acc_gnn import GNNAccuracyPredictor
from ._acc_metrics import precision_at_top, ranking_metrics
from ._acc_xgb import XGBAccuracyPredictor
from ._zerocost import ZERO_COST_PROXIES, compute_zero_cost, zero_cost_cache_path, zero_cost_scores

__all__ = [
    "AccuracyPredictor",
    "EnsembleAccuracyPredictor",
    "GNNAccuracyPredictor",
    "XGBAccuracyPredictor",
    "ZERO_COST_PROXIES",
    "accuracy_feature_names",
    "accuracy_features",
    "bench_accuracy",
    "compute_zero_cost",
    "fit_accuracy",
    "precision_at_top",
    "predict_accuracy",
    "ranking_metrics",
    "zero_cost_cache_path",
    "zero_cost_scores",
]
