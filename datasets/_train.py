"""A small, fast, resumable training loop on uint8 tensors (no per-image PIL: 2 CPU cores)."""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hwnas import ConfigError, DataError

from ._acc_images import ImageDataset, balanced_subset

if TYPE_CHECKING:
    import torch

__all__ = ["TrainConfig", "TrainResult", "train_model", "evaluate_model", "predict_logits"]


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, schedule, augmentation, normalisation, data subset and seed.

    ``subset`` keeps a seeded class-balanced share of the training indices (a count, or None for
    all); ``threads`` sets torch's intra-op threads for the run (restored afterwards).
    ``warmup_epochs`` ramps the learning rate up linearly over that many epochs (fractions allowed)
    before the schedule: large first steps of a freshly initialised network are wasted on short
    trainings.
    """

    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "sgd"
    lr: float = 0.05
    weight_decay: float = 5e-4
    momentum: float = 0.9
    schedule: str = "cosine"
    augment: bool = True
    normalize: str = "meanstd"
    subset: int | None = None
    seed: int = 0
    threads: int = 1
    label_smoothing: float = 0.0
    warmup_epochs: float = 0.0

    def __post_init__(self) -> None:
        checks = [
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (self.optimizer in ("sgd", "adamw", "adam"), f"optimizer must be sgd, adamw or adam, got {self.optimizer!r}"),
            (self.schedule in ("cosine", "none"), f"schedule must be cosine or none, got {self.schedule!r}"),
            (self.normalize in ("meanstd", "minus1to1"), f"normalize must be meanstd or minus1to1, got {self.normalize!r}"),
            (self.lr > 0, f"lr must be > 0, got {self.lr}"),
            (self.subset is None or self.subset >= 1, f"subset must be >= 1 or None, got {self.subset}"),
            (self.threads >= 1, f"threads must be >= 1, got {self.threads}"),
            (0.0 <= self.label_smoothing < 1.0, f"label_smoothing must be in [0, 1), got {self.label_smoothing}"),
            (0.0 <= self.warmup_epochs < self.epochs, f"warmup_epochs must be in [0, epochs), got {self.warmup_epochs}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"TrainConfig: {message}")


@dataclass
class TrainResult:
    """Per-epoch history (loss, train/eval accuracy %, seconds) and the summary figures."""

    history: list[dict] = field(default_factory=list)
    final_accuracy: float = float("nan")
    best_accuracy: float = float("nan")
    seconds_per_epoch: float = float("nan")
    resumed_from_epoch: int = 0


# ---------------------------------------------------------------------- tensors
def _stats(config: TrainConfig, mean: Sequence[float] | None, std: Sequence[float] | None, x: np.ndarray):
    if config.normalize == "minus1to1":
        return (0.5,) * x.shape[-1], (0.5,) * x.shape[-1]
    if mean is None or std is None:  # the data's own statistics: close to the training set's
        flat = x.reshape(-1, x.shape[-1]).astype(np.float64) / 255.0
        mean, std = flat.mean(0), flat.std(0) + 1e-8
    return tuple(mean), tuple(std)


def _to_float(xb: "torch.Tensor", mean: Sequence[float], std: Sequence[float]) -> "torch.Tensor":
    """uint8 NCHW -> normalised float32 NCHW."""
    import torch

    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1) * 255.0
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1) * 255.0
    return (xb.float() - m) / s


def _augment(xb: "torch.Tensor", gen: "torch.Generator", pad: int = 4) -> "torch.Tensor":
    """Random crop with zero padding and horizontal flip on a uint8 NCHW batch, vectorised."""
    import torch

    b, _, h, w = xb.shape
    padded = torch.nn.functional.pad(xb, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (oy[:, None] + torch.arange(h))[:, :, None]  # (B, H, 1)
    cols = (ox[:, None] + torch.arange(w))[:, None, :]  # (B, 1, W)
    out = padded.permute(0, 2, 3, 1)[torch.arange(b)[:, None, None], rows, cols].permute(0, 3, 1, 2)
    flip = torch.rand(b, generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out).contiguous()


def _nchw(x: np.ndarray) -> "torch.Tensor":
    import torch

    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


# ---------------------------------------------------------------------- evaluation
def predict_logits(model: "torch.nn.Module", x_uint8: np.ndarray, config: TrainConfig | None = None,
                   mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                   batch_size: int = 500) -> np.ndarray:
    """Logits (float32 ``(N, classes)``) of uint8 NHWC images, in eval mode and without gradients.

    Pass the training set's ``mean`` / ``std`` (``dataset.mean``); without them ``meanstd`` uses
    the images' own statistics.
    """
    import torch

    config = config or TrainConfig()
    mean, std = _stats(config, mean, std, x_uint8)
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(x_uint8), batch_size):
            xb = _nchw(x_uint8[start:start + batch_size])
            out.append(model(_to_float(xb, mean, std)).float().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def evaluate_model(model: "torch.nn.Module", dataset: ImageDataset, split: "str | np.ndarray" = "test",
                   config: TrainConfig | None = None) -> float:
    """Top-1 accuracy in % on the test set (``split="test"``) or on training-set indices."""
    if isinstance(split, str):
        if split != "test":
            raise ConfigError(f"split must be 'test' or an index array, got {split!r}")
        x, y = dataset.x_test, dataset.y_test
    else:
        idx = np.asarray(split, dtype=np.int64)
        x, y = dataset.x_train[idx], dataset.y_train[idx]
    if len(y) == 0:
        raise ConfigError("evaluate_model: nothing to evaluate (empty split)")
    logits = predict_logits(model, x, config, dataset.mean, dataset.std)
    return float((logits.argmax(1) == y).mean() * 100.0)


# ---------------------------------------------------------------------- training
def train_model(model: "torch.nn.Module", dataset: ImageDataset, config: TrainConfig | None = None,
                train_idx: np.ndarray | None = None, eval_idx: "np.ndarray | str | None" = None,
                checkpoint_dir: str | os.PathLike | None = None, progress: bool = True,
                eval_each_epoch: bool = True) -> TrainResult:
    """Train ``model`` in place on ``dataset``'s training images and evaluate it after each epoch.

    ``train_idx`` (default: all) are the training images, ``eval_idx`` the indices to evaluate
    on (default: the test set, or pass ``"test"``). With ``checkpoint_dir`` the model, optimiser
    and scheduler are saved after every epoch (``checkpoint.pt``, tensors only, read back with
    ``weights_only=True``, plus ``train_state.json``) and an interrupted run resumes from there.
    Data order and augmentation depend only on ``(seed, epoch)``, so a resumed run matches an
    uninterrupted one. ``eval_each_epoch=False`` evaluates after the last epoch only (cheaper;
    the history then has NaN for earlier epochs).
    """
    import torch
    from tqdm.auto import tqdm

    config = config or TrainConfig()
    idx = np.arange(len(dataset.y_train)) if train_idx is None else np.asarray(train_idx, dtype=np.int64)
    if config.subset is not None and config.subset < len(idx):
        _, keep = balanced_subset(dataset.y_train[idx], config.subset / len(idx), config.seed)
        idx = idx[keep]
    if len(idx) == 0:
        raise ConfigError("train_model: no training images")
    eval_split = "test" if eval_idx is None else eval_idx
    x_all, y_all = _nchw(dataset.x_train[idx]), torch.from_numpy(dataset.y_train[idx])
    mean, std = dataset.mean, dataset.std
    if config.normalize == "minus1to1":
        mean, std = (0.5,) * len(mean), (0.5,) * len(std)

    steps = math.ceil(len(idx) / config.batch_size)
    # Channels-last activations and weights: oneDNN's convolutions (depthwise ones above all) train
    # ~1.5x faster on CPU in this layout (measured on mbconv networks, 1 thread); the model is
    # returned in the usual layout.
    model.to(memory_format=torch.channels_last)
    optimizer = _optimizer(model, config)
    scheduler = _scheduler(optimizer, config, steps)
    result = TrainResult()
    ckpt = Path(checkpoint_dir) if checkpoint_dir is not None else None
    start = _resume(ckpt, config, model, optimizer, scheduler, result) if ckpt else 0
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    old_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        for epoch in range(start, config.epochs):
            t0 = time.perf_counter()
            gen = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
            order = torch.randperm(len(idx), generator=gen)
            model.train()
            loss_sum, correct = 0.0, 0
            bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{config.epochs}", leave=False, disable=not progress)
            for step in bar:
                sel = order[step * config.batch_size:(step + 1) * config.batch_size]
                xb = x_all[sel]
                if config.augment:
                    xb = _augment(xb, gen)
                logits = model(_to_float(xb, mean, std).contiguous(memory_format=torch.channels_last))
                loss = loss_fn(logits, y_all[sel])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                loss_sum += float(loss.detach()) * len(sel)
                correct += int((logits.argmax(1) == y_all[sel]).sum())
            train_s = time.perf_counter() - t0
            last = epoch == config.epochs - 1
            acc = evaluate_model(model, dataset, eval_split, config) if eval_each_epoch or last else float("nan")
            result.history.append({"epoch": epoch + 1, "loss": loss_sum / len(idx),
                                   "train_accuracy": 100.0 * correct / len(idx),
                                   "eval_accuracy": acc, "seconds": train_s})
            if ckpt:
                _save(ckpt, config, model, optimizer, scheduler, result)
    finally:
        torch.set_num_threads(old_threads)
        model.to(memory_format=torch.contiguous_format)
    _summarise(result)
    return result


def _scheduler(optimizer, config: TrainConfig, steps: int):
    """Per-step schedule: cosine (or constant), after a linear warm-up of ``warmup_epochs``."""
    import torch

    total = config.epochs * steps
    if config.warmup_epochs <= 0:
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total) if config.schedule == "cosine" else None
    warm = max(1, round(config.warmup_epochs * steps))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        if config.schedule == "none":
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _optimizer(model: "torch.nn.Module", config: TrainConfig) -> "torch.optim.Optimizer":
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay, nesterov=config.momentum > 0)
    cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=config.lr, weight_decay=config.weight_decay)


def _summarise(result: TrainResult) -> None:
    accs = [h["eval_accuracy"] for h in result.history]
    if accs:
        result.final_accuracy, result.best_accuracy = accs[-1], float(np.nanmax(accs))
        result.seconds_per_epoch = float(np.mean([h["seconds"] for h in result.history]))


def _config_key(config: TrainConfig) -> dict:
    d = asdict(config)
    d.pop("threads")  # thread count changes speed, not results
    if d["warmup_epochs"] == 0.0:  # absent from checkpoints written before the field existed
        d.pop("warmup_epochs")
    return d


def _save(ckpt: Path, config: TrainConfig, model, optimizer, scheduler, result: TrainResult) -> None:
    import torch

    ckpt.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict() if scheduler is not None else {}}
    fd, tmp = tempfile.mkstemp(dir=ckpt, suffix=".pt.tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, ckpt / "checkpoint.pt")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _write_json(ckpt / "train_state.json", {"config": _config_key(config), "history": result.history})


def _write_json(path: Path, obj: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json.tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def _resume(ckpt: Path, config: TrainConfig, model, optimizer, scheduler, result: TrainResult) -> int:
    """Load the last saved epoch; returns the epoch to start from (0 when nothing is saved)."""
    import torch

    state_path, weights = ckpt / "train_state.json", ckpt / "checkpoint.pt"
    if not (state_path.is_file() and weights.is_file()):
        return 0
    try:
        saved = json.loads(state_path.read_text())
        state = torch.load(weights, weights_only=True)
    except (json.JSONDecodeError, RuntimeError, OSError) as exc:
        raise DataError(f"{ckpt}: unreadable checkpoint ({exc}); delete it to start again") from exc
    if saved.get("config") != _config_key(config):
        raise ConfigError(f"{ckpt}: holds a run with another TrainConfig; use another checkpoint_dir")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    result.history = list(saved["history"])
    result.resumed_from_epoch = len(result.history)
    return len(result.history)
