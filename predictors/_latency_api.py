"""Public names of this side of hwnas.predictors (re-exported by __init__)."""

from ._lat_base import LatencyPredictor
from ._lat_bench import bench_latency, format_bench_table
from ._lat_commands import fit_latency, predict_latency, read_arch_lines
from ._lat_explain import explain_latency, format_explanation
from ._lat_combine import LogCombination, fit_log_combination
from ._lat_features import LatencyFeatures
from ._lat_index import GenomeIndex
from ._lat_fewshot import FewShotLatency
from ._lat_gnn import GNNLatency
from ._lat_lut import LutLatency
from ._lat_xgb import EnsembleLatency, XGBLatency
from ._gnn import GraphBatch, GraphRegressor, graphs_to_batch, load_gnn, predict_graph_regressor, save_gnn, train_graph_regressor
from ._lat_metrics import LATENCY_SCORES, latency_scores
from ._lat_prior import PriorColumns, is_count_column, pool_device_of

__all__: list[str] = [
    "EnsembleLatency",
    "FewShotLatency",
    "GNNLatency",
    "GraphBatch",
    "GraphRegressor",
    "LutLatency",
    "XGBLatency",
    "graphs_to_batch",
    "load_gnn",
    "predict_graph_regressor",
    "save_gnn",
    "train_graph_regressor",
    "LATENCY_SCORES",
    "GenomeIndex",
    "LatencyFeatures",
    "LatencyPredictor",
    "LogCombination",
    "PriorColumns",
    "bench_latency",
    "explain_latency",
    "format_explanation",
    "fit_latency",
    "fit_log_combination",
    "is_count_column",
    "pool_device_of",
    "predict_latency",
    "read_arch_lines",
    "format_bench_table",
    "latency_scores",
]
