"""Public names of this side of hwnas.datasets (re-exported by __init__)."""

from ._acc_csvlog import append_csv_rows, read_csv_rows
from ._acc_images import ImageDataset, default_cache_dir, load_dataset, split_train_val, which_dataset
from ._acc_proxy import ProxyBudget, build_accuracy_dataset, downsample, load_accuracy_dataset, train_proxy
from ._accuracy_table import load_accuracy_table
from ._train import TrainConfig, TrainResult, evaluate_model, predict_logits, train_model

__all__ = [
    "ImageDataset",
    "ProxyBudget",
    "TrainConfig",
    "TrainResult",
    "append_csv_rows",
    "build_accuracy_dataset",
    "default_cache_dir",
    "downsample",
    "evaluate_model",
    "load_accuracy_dataset",
    "load_accuracy_table",
    "load_dataset",
    "predict_logits",
    "read_csv_rows",
    "split_train_val",
    "train_model",
    "train_proxy",
    "which_dataset",
]
