"""`FinalizeConfig`: every setting of the final pass, validated in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass

from hwnas import STATIC_RECIPES, ConfigError

__all__ = ["FinalizeConfig"]


@dataclass(frozen=True)
class FinalizeConfig:
    """How candidates are trained, compressed and verified.

    Training follows ``hwnas.datasets.TrainConfig`` (``epochs`` ... ``threads``; ``train_subset``
    trains on a class-balanced share of the training set, ``test_limit`` scores a seeded random
    share of the test images: both are for smoke runs). ``tune_trials > 0`` tunes lr and weight decay with
    optuna first. ``prune_keep`` is the share of each block's hidden channels kept by pruning
    (``None``: no pruning), followed by ``finetune_epochs`` at a quarter of the learning rate.
    ``quantize`` is ``static`` (calibrated on ``calibration_images`` training images; each of
    ``int8_recipes``, see ``STATIC_RECIPES``, is made and timed next to the FP32 model, and the
    fastest kept among those losing at most ``int8_max_loss`` accuracy points on
    ``calibration_images`` other training images), ``dynamic`` or ``none``. Latency is measured on ``target`` with ``latency_threads`` threads.
    """

    epochs: int = 10
    optimizer: str = "sgd"
    lr: float = 0.05
    weight_decay: float = 5e-4
    batch_size: int = 128
    augment: bool = True
    warmup_epochs: float = 0.0
    label_smoothing: float = 0.0
    train_subset: int | None = None
    test_limit: int | None = None
    threads: int = 1
    seed: int = 0
    tune_trials: int = 0
    tune_epochs: int = 1
    tune_subset: int | None = 5000
    prune_keep: float | None = 0.5
    finetune_epochs: int = 2
    quantize: str = "static"
    calibration_images: int = 256
    int8_recipes: tuple[str, ...] = ("qdq", "qdq-tensor")
    int8_max_loss: float = 1.0
    target: str = "ort-cpu"
    latency_threads: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "int8_recipes", tuple(self.int8_recipes))  # a list from JSON or the CLI
        checks = [
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.quantize in ("static", "dynamic", "none"),
             f"quantize must be static, dynamic or none, got {self.quantize!r}"),
            (self.prune_keep is None or 0 < self.prune_keep < 1,
             f"prune_keep must be in (0, 1), got {self.prune_keep}"),
            (self.finetune_epochs >= 1, f"finetune_epochs must be >= 1, got {self.finetune_epochs}"),
            (self.tune_trials >= 0, f"tune_trials must be >= 0, got {self.tune_trials}"),
            (self.test_limit is None or self.test_limit >= 1, f"test_limit must be >= 1, got {self.test_limit}"),
            (len(self.int8_recipes) >= 1 and set(self.int8_recipes) <= set(STATIC_RECIPES),
             f"int8_recipes must be among {', '.join(STATIC_RECIPES)}, got {list(self.int8_recipes)}"),
            (self.int8_max_loss >= 0, f"int8_max_loss must be >= 0, got {self.int8_max_loss}"),
            (self.calibration_images >= 1, f"calibration_images must be >= 1, got {self.calibration_images}"),
            (self.latency_threads >= 1, f"latency_threads must be >= 1, got {self.latency_threads}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"finalize: {message}")

    def train_config(self, **overrides):
        """The ``hwnas.datasets.TrainConfig`` of a candidate (its own overrides applied)."""
        from hwnas.datasets import TrainConfig

        base = dict(epochs=self.epochs, optimizer=self.optimizer, lr=self.lr,
                    weight_decay=self.weight_decay, batch_size=self.batch_size, augment=self.augment,
                    warmup_epochs=self.warmup_epochs, label_smoothing=self.label_smoothing,
                    subset=self.train_subset, seed=self.seed, threads=self.threads)
        base.update(overrides)
        return TrainConfig(**base)

    def replace(self, **changes) -> "FinalizeConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)
