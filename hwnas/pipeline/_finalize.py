"""The final pass: train each candidate for real, prune, quantize, export, measure and verify."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hwnas import ConfigError, DataError, count_flops, count_params, export_onnx

from ._candidate import Candidate
from ._config import FinalizeConfig
from ._io import write_json_atomic
from ._evaluate import accuracy, agreement, onnx_predictions, preprocess, torch_predictions
from ._latency import measure_onnx_latency
from ._prune import prune_channels
from ._quantize import quantize_onnx

if TYPE_CHECKING:
    import torch

__all__ = ["finalize", "finalize_candidate"]


@dataclass
class _Inputs:
    """The preprocessed images every variant of a candidate is scored on."""

    x_test: np.ndarray
    y_test: np.ndarray
    calibration: np.ndarray
    input_shape: tuple[int, int, int]


def _inputs(dataset, train_config, config: FinalizeConfig) -> _Inputs:
    if train_config.normalize == "minus1to1":
        mean, std = (0.5,) * 3, (0.5,) * 3
    else:
        mean, std = dataset.mean, dataset.std
    mean, std = mean[: dataset.input_shape[0]], std[: dataset.input_shape[0]]
    rng = np.random.default_rng(config.seed)
    test_idx = np.arange(len(dataset.y_test))
    if config.test_limit is not None and config.test_limit < len(test_idx):
        # A seeded random share: test sets may be ordered by class (CIFAR-10's JPEG files are).
        test_idx = np.sort(rng.choice(len(test_idx), config.test_limit, replace=False))
    calib_idx = np.sort(rng.choice(len(dataset.y_train), min(config.calibration_images, len(dataset.y_train)),
                                   replace=False))
    return _Inputs(preprocess(dataset.x_test[test_idx], mean, std), dataset.y_test[test_idx],
                   preprocess(dataset.x_train[calib_idx], mean, std), tuple(dataset.input_shape))


def finalize(candidates: Sequence[Candidate], dataset, config: FinalizeConfig | None = None,
             out_dir: str | os.PathLike = "finalize", progress: bool = True) -> list[dict]:
    """Finalize every candidate into ``out_dir/candidates/<name>/`` and write ``out_dir/finalize.json``.

    A candidate that fails (training, export, quantization) is recorded with its error and the
    others go on. Finished candidates are read back, interrupted ones resume from their last
    checkpoint: rerunning the same command continues where it stopped.
    """
    from tqdm.auto import tqdm

    config = config or FinalizeConfig()
    out_dir = Path(out_dir)
    results = []
    for cand in tqdm(list(candidates), desc="finalize", disable=not progress):
        results.append(finalize_candidate(cand, dataset, config, out_dir / "candidates" / cand.slug, progress))
    write_json_atomic(out_dir / "finalize.json", {"dataset": dataset.name, "config": config.to_dict(),
                                                  "candidates": results})
    return results


def _read_done(path: Path, config: FinalizeConfig) -> dict | None:
    """A finished candidate's record, reused on a rerun only when made with the same settings."""
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
        settings = record["settings"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: corrupt finalize record ({exc}); delete it to redo the candidate") from exc
    if settings != json.loads(json.dumps(config.to_dict())):
        raise ConfigError(f"{path.parent}: was finalized with other settings; use another output directory")
    return record


def finalize_candidate(cand: Candidate, dataset, config: FinalizeConfig, directory: str | os.PathLike,
                       progress: bool = True) -> dict:
    """Train, export, measure and compress one candidate; its record (also ``result.json``)."""
    directory = Path(directory)
    done = directory / "result.json"
    record = _read_done(done, config)
    if record is not None:
        return record
    record = {"name": cand.name, "dir": directory.name, "arch": cand.arch, "space": cand.space, "dataset": dataset.name,
              "predicted_ms": cand.predicted_ms, "predicted_accuracy": cand.predicted_accuracy,
              "settings": config.to_dict(), "variants": [], "error": ""}
    try:
        model, train_config, train_info = _train(cand, dataset, config, directory, progress)
    except Exception as exc:  # noqa: BLE001  (one failing candidate must not stop the others)
        # Not saved as done: a rerun tries again (the failure may have been transient).
        record["error"] = f"training failed: {type(exc).__name__}: {exc}".splitlines()[0]
        return record
    inputs = _inputs(dataset, train_config, config)
    record.update(train=train_info, params=count_params(model),
                  flops=count_flops(model, inputs.input_shape))
    record["variants"] = _variants(cand, model, train_config, dataset, config, inputs, directory, progress)
    write_json_atomic(done, record)
    return record


def _train(cand: Candidate, dataset, config: FinalizeConfig, directory: Path, progress: bool):
    import torch

    from hwnas.datasets import train_model

    from ._tune import tune_hyperparameters

    def build() -> "torch.nn.Module":
        torch.manual_seed(config.seed)
        return cand.build(dataset.num_classes, tuple(dataset.input_shape))

    train_config = config.train_config(**cand.train_overrides)
    info: dict = {}
    if config.tune_trials > 0:
        tuned = tune_hyperparameters(build, dataset, train_config, config.tune_trials, config.tune_epochs,
                                     config.tune_subset, seed=config.seed, record=directory / "tuning.json")
        train_config = dataclasses.replace(train_config, lr=tuned["lr"], weight_decay=tuned["weight_decay"])
        info["tuning"] = tuned
    model = build()
    result = train_model(model, dataset, train_config, checkpoint_dir=directory / "train", progress=progress)
    _save_weights(model, directory / "model.safetensors")
    info.update(config=dataclasses.asdict(train_config), history=result.history,
                seconds_per_epoch=result.seconds_per_epoch)
    return model.eval(), train_config, info


def _save_weights(model: "torch.nn.Module", path: Path) -> None:
    from safetensors.torch import save_file

    tmp = path.with_suffix(".tmp")
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(tmp))
    os.replace(tmp, path)


def _variants(cand, model, train_config, dataset, config, inputs: _Inputs, directory: Path,
              progress: bool) -> list[dict]:
    """FP32, INT8, pruned and pruned INT8 rows; a failing step leaves an error row, the rest go on."""
    rows = [_fp32_row("fp32", model, inputs, config, directory, cand.predicted_ms)]
    if config.quantize != "none":
        rows.append(_int8_row("int8", rows[0], inputs, config, directory))
    if config.prune_keep is not None:
        try:
            pruned = _prune_finetune(model, train_config, dataset, config, directory, progress)
            rows.append(_fp32_row("pruned", pruned, inputs, config, directory, None))
        except Exception as exc:  # noqa: BLE001
            rows.append(_error_row("pruned", "fp32", f"pruning failed: {type(exc).__name__}: {exc}"))
        if config.quantize != "none":
            rows.append(_int8_row("pruned-int8", rows[-1], inputs, config, directory))
    # The per-image predictions served the agreement figures; they do not go into the record.
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]


def _prune_finetune(model, train_config, dataset, config: FinalizeConfig, directory: Path, progress: bool):
    from hwnas.datasets import train_model

    pruned = prune_channels(model, config.prune_keep).model
    tune = dataclasses.replace(train_config, epochs=config.finetune_epochs, lr=train_config.lr * 0.1)
    train_model(pruned, dataset, tune, checkpoint_dir=directory / "finetune", progress=progress)
    _save_weights(pruned, directory / "pruned.safetensors")
    return pruned.eval()


def _error_row(variant: str, parent: str, message: str) -> dict:
    return {"variant": variant, "parent": parent, "error": message.splitlines()[0]}


def _measure_row(row: dict, path: Path, inputs: _Inputs, config: FinalizeConfig) -> None:
    m = measure_onnx_latency(path, inputs.input_shape, config.target, config.latency_threads)
    row.update(onnx=path.name, size_kb=round(path.stat().st_size / 1024, 1), median_ms=m.median_ms,
               iqr_ms=m.iqr_ms, runs=m.runs)


def _fp32_row(variant: str, model, inputs: _Inputs, config, directory: Path, predicted_ms) -> dict:
    row = {"variant": variant, "parent": "fp32" if variant != "fp32" else "", "params": count_params(model),
           "predicted_ms": predicted_ms, "error": ""}
    try:
        row["_torch_pred"] = torch_predictions(model, inputs.x_test)
        row["torch_accuracy"] = accuracy(row["_torch_pred"], inputs.y_test)
        path = export_onnx(model, inputs.input_shape, directory / f"{variant}.onnx")
        _measure_row(row, path, inputs, config)
        row["_ort_pred"] = onnx_predictions(path, inputs.x_test, threads=config.latency_threads)
        row["ort_accuracy"] = accuracy(row["_ort_pred"], inputs.y_test)
        row["agreement_torch_ort"] = agreement(row["_torch_pred"], row["_ort_pred"])
    except Exception as exc:  # noqa: BLE001
        row["error"] = f"export/measure failed: {type(exc).__name__}: {exc}".splitlines()[0]
    return row


def _int8_row(variant: str, parent: dict, inputs: _Inputs, config, directory: Path) -> dict:
    row = {"variant": variant, "parent": parent["variant"], "params": parent.get("params"), "error": ""}
    if parent.get("error") or "onnx" not in parent:
        row["error"] = f"skipped: {parent['variant']} failed"
        return row
    try:
        q = quantize_onnx(directory / parent["onnx"], directory / f"{variant}.onnx", inputs.calibration,
                          config.quantize)
        row.update(quantization=q.mode, quantization_note=q.fallback_reason)
        _measure_row(row, q.path, inputs, config)
        pred = onnx_predictions(q.path, inputs.x_test, threads=config.latency_threads)
        row["ort_accuracy"] = accuracy(pred, inputs.y_test)
        row["agreement_torch_ort"] = agreement(parent["_torch_pred"], pred)
        row["agreement_fp32_int8"] = agreement(parent["_ort_pred"], pred)
        row["speedup"] = parent["median_ms"] / row["median_ms"]
    except Exception as exc:  # noqa: BLE001
        row["error"] = f"quantization failed: {type(exc).__name__}: {exc}".splitlines()[0]
    return row
