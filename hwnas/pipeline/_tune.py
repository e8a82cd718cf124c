"""Per-platform hyper-parameter tuning: learning rate and weight decay over a few short trials."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from hwnas import ConfigError
from hwnas._errors import require

from ._io import write_json_atomic

if TYPE_CHECKING:
    import torch

__all__ = ["tune_hyperparameters"]


def tune_hyperparameters(build_model: Callable[[], "torch.nn.Module"], dataset, config,
                         n_trials: int = 4, epochs: int = 1, subset: int | None = 5000,
                         val_fraction: float = 0.1, seed: int = 0,
                         record: str | os.PathLike | None = None) -> dict:
    """Search ``lr`` (log scale, /10..x3 of ``config.lr``) and ``weight_decay`` (1e-5..1e-2) with
    optuna's seeded TPE sampler, each trial a short training scored on a held-out validation split
    of the training set (never the test set). Returns ``{"lr", "weight_decay", "val_accuracy",
    "trials"}``; with ``record`` the result is written there and reused on a rerun.
    """
    optuna = require("optuna", "search")
    from hwnas.datasets import split_train_val, train_model

    if n_trials < 1:
        raise ConfigError(f"tuning needs at least one trial, got {n_trials}")
    if record is not None and Path(record).is_file():
        return json.loads(Path(record).read_text())
    train_idx, val_idx = split_train_val(dataset, val_fraction, seed)
    short = dataclasses.replace(config, epochs=epochs, subset=subset)

    def objective(trial) -> float:
        trial_config = dataclasses.replace(
            short, lr=trial.suggest_float("lr", config.lr / 10, config.lr * 3, log=True),
            weight_decay=trial.suggest_float("weight_decay", 1e-5, 1e-2, log=True))
        result = train_model(build_model(), dataset, trial_config, train_idx, val_idx, progress=False)
        return result.final_accuracy

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial({"lr": config.lr, "weight_decay": max(config.weight_decay, 1e-5)})
    study.optimize(objective, n_trials=n_trials)
    out = {"lr": study.best_params["lr"], "weight_decay": study.best_params["weight_decay"],
           "val_accuracy": study.best_value,
           "trials": [{"lr": t.params["lr"], "weight_decay": t.params["weight_decay"], "val_accuracy": t.value}
                      for t in study.trials]}
    if record is not None:
            write_json_atomic(record, out)
    return out
