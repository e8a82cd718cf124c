"""hwnas.datasets: data sets, splits, augmentation and the resumable training loop."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from hwnas import ConfigError, DataError
from hwnas.datasets import (ImageDataset, TrainConfig, evaluate_model, load_dataset, predict_logits,
                            split_train_val, train_model, which_dataset)
from hwnas.datasets._train import _augment

from conftest import shared_file


@pytest.fixture(scope="module")
def digits() -> ImageDataset:
    return load_dataset("digits")


def _small_cnn(ds: ImageDataset) -> torch.nn.Module:
    torch.manual_seed(0)
    c = ds.input_shape[0]
    return torch.nn.Sequential(torch.nn.Conv2d(c, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                               torch.nn.AdaptiveAvgPool2d(4), torch.nn.Flatten(), torch.nn.Linear(128, ds.num_classes))


def test_digits_is_a_small_rgb_image_set(digits):
    assert digits.name == "digits" and digits.num_classes == 10
    assert digits.input_shape == (3, 16, 16)
    assert digits.x_train.dtype == np.uint8 and digits.x_train.shape[1:] == (16, 16, 3)
    assert digits.y_train.dtype == np.int64 and len(digits.x_test) > 300
    assert set(np.unique(digits.y_test)) == set(range(10))
    assert len(digits.mean) == 3 and all(0 < s < 1 for s in digits.std)
    assert "digits" in digits.describe()


def test_split_is_seeded_balanced_and_disjoint(digits):
    tr, va = split_train_val(digits, 0.2, seed=3)
    tr2, va2 = split_train_val(digits, 0.2, seed=3)
    assert np.array_equal(va, va2) and np.array_equal(tr, tr2)
    assert not set(tr) & set(va) and len(tr) + len(va) == len(digits.y_train)
    counts = np.bincount(digits.y_train[va], minlength=10)
    assert counts.max() - counts.min() <= 2
    assert not np.array_equal(split_train_val(digits, 0.2, seed=4)[1], va)
    with pytest.raises(ConfigError):
        split_train_val(digits, 1.5, 0)


def test_unknown_or_missing_data_sets_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown data set"):
        load_dataset("imagenet")
    with pytest.raises(DataError, match="CIFAR-10 not found"):
        from hwnas.datasets._cifar import load_cifar10

        load_cifar10(tmp_path / "nowhere", tmp_path / "cache", required=True)
    assert which_dataset("digits") == "digits"


def test_cifar_npz_is_decoded_once_into_a_cache(tmp_path):
    """A small slice of the real JPEG-npz files, laid out like the shared data."""
    from PIL import Image

    from hwnas.datasets._cifar import load_cifar10

    src = shared_file("cifar10", "test_jpeg.npz")
    with np.load(src, allow_pickle=False) as z:
        jpeg, off, y = z["jpeg"], z["offsets"], z["y"]
    picks = np.r_[0:20, 5000:20 + 5000]  # images are ordered by class: take two classes
    for split, sel in (("train", picks[:30]), ("test", picks[30:])):
        chunks = [jpeg[off[i]:off[i + 1]] for i in sel]
        offsets = np.concatenate([[0], np.cumsum([len(c) for c in chunks])]).astype(np.int64)
        np.savez(tmp_path / "data" / f"{split}_jpeg.npz" if (tmp_path / "data").mkdir(exist_ok=True) is None else "",
                 jpeg=np.concatenate(chunks), offsets=offsets, y=y[sel], classes=np.array(["a"] * 10))
    ds = load_cifar10(tmp_path / "data", tmp_path / "cache")
    assert ds.name == "cifar10" and ds.input_shape == (3, 32, 32) and len(ds.x_train) == 30
    first = np.asarray(Image.open(io.BytesIO(jpeg[off[0]:off[1]].tobytes())).convert("RGB"))
    assert np.array_equal(ds.x_train[0], first)
    cached = list((tmp_path / "cache").rglob("*.npy"))
    assert len(cached) == 4
    again = load_cifar10(tmp_path / "data", tmp_path / "cache")  # from the cache this time
    assert np.array_equal(again.x_test, ds.x_test)
    assert load_dataset("auto", tmp_path / "data", tmp_path / "cache").name == "cifar10"


def test_augmentation_crops_and_flips_a_batch_deterministically():
    x = torch.randint(0, 255, (16, 3, 8, 8), dtype=torch.uint8)
    a = _augment(x, torch.Generator().manual_seed(1))
    b = _augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and a.dtype == torch.uint8 and torch.equal(a, b)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for i in range(16):  # every output is some crop of the padded image, maybe mirrored
        crops = [padded[i, :, r:r + 8, c:c + 8] for r in range(9) for c in range(9)]
        assert any(torch.equal(a[i], k) or torch.equal(a[i], k.flip(2)) for k in crops)


def test_train_config_validates():
    with pytest.raises(ConfigError, match="optimizer"):
        TrainConfig(optimizer="lbfgs")
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig(epochs=0)


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_training_learns_and_reports(digits, optimizer):
    cfg = TrainConfig(epochs=3, batch_size=64, optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 0.01,
                      augment=optimizer == "sgd", seed=0)
    model = _small_cnn(digits)
    result = train_model(model, digits, cfg, progress=False)
    assert len(result.history) == 3 and result.seconds_per_epoch > 0
    assert result.final_accuracy > 40.0  # chance is 10 %
    assert result.best_accuracy >= result.final_accuracy
    assert evaluate_model(model, digits, "test", cfg) == pytest.approx(result.final_accuracy)
    logits = predict_logits(model, digits.x_test[:7], cfg, digits.mean, digits.std)
    assert logits.shape == (7, 10)


def test_interrupted_training_resumes_to_the_same_weights(digits, tmp_path):
    cfg = TrainConfig(epochs=2, batch_size=64, subset=600, seed=1)
    full = _small_cnn(digits)
    train_model(full, digits, cfg, progress=False)
    part = _small_cnn(digits)
    train_model(part, digits, TrainConfig(**{**cfg.__dict__, "epochs": 2}), checkpoint_dir=tmp_path / "ck",
                progress=False)
    resumed = _small_cnn(digits)
    res = train_model(resumed, digits, cfg, checkpoint_dir=tmp_path / "ck", progress=False)
    assert res.resumed_from_epoch == 2 and len(res.history) == 2
    for k, v in full.state_dict().items():
        assert torch.allclose(v.float(), resumed.state_dict()[k].float(), atol=1e-5), k
    with pytest.raises(ConfigError, match="another TrainConfig"):
        train_model(_small_cnn(digits), digits, TrainConfig(epochs=3, lr=0.2), checkpoint_dir=tmp_path / "ck",
                    progress=False)


def test_auto_falls_back_to_digits_and_says_so(tmp_path):
    with pytest.warns(UserWarning, match="CIFAR-10 not found: using the embedded data set digits"):
        ds = load_dataset("auto", tmp_path, tmp_path / "cache")
    assert ds.name == "digits" and which_dataset("auto", tmp_path, tmp_path / "cache") == "digits"
    with pytest.raises(DataError, match="data directory not found"):
        load_dataset("auto", tmp_path / "missing")
