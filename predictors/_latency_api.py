"""Public names of this side of hwnas.predictors (re-exported by __init__)."""

from ._lat_base import LatencyPredictor
from ._lat_bench import bench_latency, format_bench_table
from ._lat_combine import LogCombination, fit_log_combination
from ._lat_features import LatencyFeatures
from ._lat_fewshot import FewShotLatency
from ._lat_metrics import LATENCY_SCORES, latency_scores
from ._lat_prior import PriorColumns

__all__: list[str] = [
    "FewShotLatency",
    "LATENCY_SCORES",
    "LatencyFeatures",
    "LatencyPredictor",
    "LogCombination",
    "PriorColumns",
    "bench_latency",
    "fit_log_combination",
    "format_bench_table",
    "latency_scores",
]
