"""hwnas.pipeline: the final pass (train, prune, quantize, export, verify) and the end-to-end run.

``finalize(candidates, dataset, FinalizeConfig(...), out_dir)`` trains each ``Candidate`` for real
(``hwnas.datasets.train_model``, optionally after optuna tuning of lr and weight decay), exports it
to ONNX, then makes an INT8 copy (``quantize_onnx``: each of ``STATIC_RECIPES`` timed, the fastest
that keeps accuracy on held-out training images kept), a channel-pruned and fine-tuned copy
(``prune_channels``) and its INT8 copy. Every variant is measured with the profiler's protocol
(``measure_onnx_latency``), in alternation with what it is compared with (its FP32 parent, the
baseline CNN, the one-gene neighbours that re-anchor its predicted latency: ``_anchors``), and
scored on the test set in torch and ONNX Runtime. ``write_report`` turns the records into Markdown
tables and PNG figures. ``run_pipeline(out_dir, RunConfig(...))`` is ``hwnas run``: profile,
surrogates, search under a latency budget, verify the picks on the device, finalize, report.
"""

from __future__ import annotations

from hwnas import STATIC_RECIPES, QuantizeResult, quantize_onnx

from ._anchors import LatencyAnchor, choose_anchors, neighbour_anchors, timed_with_anchors
from ._baseline import ORIGIN_REFERENCE, ORIGIN_TRAINING, build_origin_cnn
from ._candidate import Candidate, candidate_from_arch, origin_baseline
from ._config import FinalizeConfig
from ._evaluate import accuracy, agreement, onnx_predictions, preprocess, torch_predictions
from ._finalize import finalize, finalize_candidate
from ._finalize_archs import finalize_architectures, read_arch_file, read_search_front
from ._latency import interleaved_median_ms, measure_onnx_latency
from ._prune import PrunableChain, PruneResult, find_prunable_chains, prune_channels
from ._report import markdown_table, write_report
from ._report_data import report_headline
from ._run import run_pipeline
from ._run_config import QUICK_SPACE, RunConfig
from ._tune import tune_hyperparameters

__all__ = [
    "Candidate",
    "FinalizeConfig",
    "LatencyAnchor",
    "ORIGIN_REFERENCE",
    "ORIGIN_TRAINING",
    "PrunableChain",
    "PruneResult",
    "QUICK_SPACE",
    "QuantizeResult",
    "STATIC_RECIPES",
    "RunConfig",
    "accuracy",
    "agreement",
    "build_origin_cnn",
    "candidate_from_arch",
    "choose_anchors",
    "finalize",
    "finalize_architectures",
    "finalize_candidate",
    "find_prunable_chains",
    "interleaved_median_ms",
    "markdown_table",
    "measure_onnx_latency",
    "neighbour_anchors",
    "onnx_predictions",
    "origin_baseline",
    "preprocess",
    "prune_channels",
    "quantize_onnx",
    "read_arch_file",
    "read_search_front",
    "report_headline",
    "run_pipeline",
    "timed_with_anchors",
    "torch_predictions",
    "tune_hyperparameters",
    "write_report",
]
