"""The final pass: train each candidate for real, prune, quantize, export, measure and verify."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hwnas import ConfigError, DataError, count_flops, count_params

from ._candidate import Candidate
from ._config import FinalizeConfig
from ._io import write_json_atomic
from ._evaluate import preprocess
from ._prune import prune_channels
from ._variants import Inputs, error_row, fp32_row, int8_row

if TYPE_CHECKING:
    import torch

__all__ = ["finalize", "finalize_candidate"]


def _inputs(dataset, train_config, config: FinalizeConfig) -> Inputs:
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
    # Calibration images, then as many others to check the INT8 recipes on (disjoint draws).
    n_calib = min(config.calibration_images, len(dataset.y_train))
    drawn = rng.permutation(len(dataset.y_train))[:min(2 * n_calib, len(dataset.y_train))]
    calib_idx, check_idx = np.sort(drawn[:n_calib]), np.sort(drawn[n_calib:])
    return Inputs(preprocess(dataset.x_test[test_idx], mean, std), dataset.y_test[test_idx],
                  preprocess(dataset.x_train[calib_idx], mean, std), tuple(dataset.input_shape),
                  dataset.num_classes, preprocess(dataset.x_train[check_idx], mean, std),
                  dataset.y_train[check_idx])


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
    pair_with_baseline(results, out_dir / "candidates", tuple(dataset.input_shape), config)
    write_json_atomic(out_dir / "finalize.json", {"dataset": dataset.name, "config": config.to_dict(),
                                                  "candidates": results})
    return results


def pair_with_baseline(records: list[dict], directory: Path, input_shape, config: FinalizeConfig,
                       baseline: str = "origin-cnn") -> None:
    """Time every FP32 model in alternation with the baseline's (``baseline_ratio``, ``paired_ms``
    and ``baseline_paired_ms`` on its record): models finalized an hour apart were timed under
    different loads, their ratio was not."""
    from ._variants import timed_pair

    base = next((r for r in records if r["name"] == baseline), None)
    base_row = next((v for v in base["variants"] if v.get("variant") == "fp32"), {}) if base else {}
    if not base_row.get("onnx") or base_row.get("error"):
        return
    for r in records:
        row = next((v for v in r.get("variants", []) if v.get("variant") == "fp32"), {})
        if r is base or not row.get("onnx") or row.get("error"):
            continue
        ms, base_ms = timed_pair(directory / r["dir"] / row["onnx"], directory / base["dir"] / base_row["onnx"],
                                 input_shape, config)
        r.update(baseline_ratio=ms / base_ms, paired_ms=ms, baseline_paired_ms=base_ms)


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
    fp32 = record["variants"][0]
    if fp32.get("predicted_ms_surrogate") is not None:  # re-anchored on its neighbours (see _anchors)
        record.update(predicted_ms=fp32["predicted_ms"], predicted_ms_surrogate=fp32["predicted_ms_surrogate"])
    write_json_atomic(done, record)
    return record


def _train(cand: Candidate, dataset, config: FinalizeConfig, directory: Path, progress: bool):
    import torch

    from hwnas.datasets import train_model

    from ._tune import tune_hyperparameters

    def build() -> "torch.nn.Module":
        torch.manual_seed(config.seed)
        model = cand.build(dataset.num_classes, tuple(dataset.input_shape))
        if cand.space:
            # PyTorch's default init for the linear layers, not the spaces' N(0, 0.001) classifier
            # (FBNet's reference, for 300-epoch schedules): +3 to +7 points after 2 short epochs
            # on 2 mbconv networks x 2 seeds (4000 CIFAR-10 images), the same on every pair.
            for module in model.modules():
                if isinstance(module, torch.nn.Linear):
                    module.reset_parameters()
        return model

    train_config = config.train_config(**cand.train_overrides)
    info: dict = {}
    if config.tune_trials > 0:
        tuned = tune_hyperparameters(build, dataset, train_config, config.tune_trials, config.tune_epochs,
                                     config.tune_subset, seed=config.seed, record=directory / "tuning.json")
        train_config = dataclasses.replace(train_config, lr=tuned["lr"], weight_decay=tuned["weight_decay"])
        info["tuning"] = tuned
    model = build()
    # Scored once, after the last epoch: a pass over the test set each epoch would add 10 forward
    # passes over it to a training whose only figure used is the final one.
    result = train_model(model, dataset, train_config, checkpoint_dir=directory / "train", progress=progress,
                         eval_each_epoch=False)
    _save_weights(model, directory / "model.safetensors")
    info.update(config=dataclasses.asdict(train_config), history=result.history,
                seconds_per_epoch=result.seconds_per_epoch)
    return model.eval(), train_config, info


def _save_weights(model: "torch.nn.Module", path: Path) -> None:
    from safetensors.torch import save_file

    tmp = path.with_suffix(".tmp")
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(tmp))
    os.replace(tmp, path)


def _variants(cand, model, train_config, dataset, config, inputs: Inputs, directory: Path,
              progress: bool) -> list[dict]:
    """FP32, INT8, pruned and pruned INT8 rows; a failing step leaves an error row, the rest go on."""
    rows = [fp32_row("fp32", model, inputs, config, directory, cand.predicted_ms, cand.latency_anchors)]
    if config.quantize != "none":
        rows.append(int8_row("int8", rows[0], inputs, config, directory))
    if config.prune_keep is not None:
        try:
            pruned = _prune_finetune(model, train_config, dataset, config, directory, progress,
                                     inputs.calibration)
            rows.append(fp32_row("pruned", pruned, inputs, config, directory, None))
        except Exception as exc:  # noqa: BLE001
            rows.append(error_row("pruned", "fp32", f"pruning failed: {type(exc).__name__}: {exc}"))
        if config.quantize != "none":
            rows.append(int8_row("pruned-int8", rows[-1], inputs, config, directory))
    # The per-image predictions served the agreement figures; they do not go into the record.
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]


def _prune_finetune(model, train_config, dataset, config: FinalizeConfig, directory: Path, progress: bool,
                    calibration=None):
    from hwnas.datasets import train_model

    pruned = prune_channels(model, config.prune_keep, calibration=calibration).model
    # A quarter of the training's learning rate: after halving every chain (calibrated), one epoch
    # at a tenth, a quarter and half of it recovered 66.3/67.4/67.9% of a 73.9% mbconv network and
    # 65.6/65.4/64.9% of the 64.6% origin CNN (CIFAR-10).
    tune = dataclasses.replace(train_config, epochs=config.finetune_epochs, lr=train_config.lr * 0.25)
    train_model(pruned, dataset, tune, checkpoint_dir=directory / "finetune", progress=progress,
                eval_each_epoch=False)
    _save_weights(pruned, directory / "pruned.safetensors")
    return pruned.eval()
