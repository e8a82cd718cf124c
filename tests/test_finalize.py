"""The final pass on real data (the embedded digits): train, export, quantize, prune, measure, report."""

from __future__ import annotations

import json

import pytest
from torch import nn

from hwnas import ConfigError
from hwnas.cli import main
from hwnas.pipeline import Candidate, FinalizeConfig, finalize, origin_baseline, write_report

TINY = FinalizeConfig(epochs=1, batch_size=64, train_subset=400, test_limit=120, finetune_epochs=1,
                      calibration_images=16)


def small_mbconv(num_classes, input_shape):
    c = input_shape[0]
    return nn.Sequential(nn.Conv2d(c, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.Conv2d(16, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                         nn.Conv2d(64, 64, 3, 2, 1, groups=64, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                         nn.Conv2d(64, 24, 1, bias=False), nn.BatchNorm2d(24),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, num_classes))


def broken(num_classes, input_shape):
    raise RuntimeError("this candidate cannot be built")


@pytest.fixture(scope="module")
def digits():
    from hwnas.datasets import load_dataset

    return load_dataset("digits")


@pytest.fixture(scope="module")
def finalized(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("finalize")
    cands = [Candidate("small", small_mbconv, predicted_ms=0.05, predicted_accuracy=50.0),
             Candidate("broken", broken), origin_baseline()]
    return out, finalize(cands, digits, TINY, out, progress=False)


@pytest.mark.slow
def test_every_variant_is_measured_and_verified(finalized):
    out, records = finalized
    small = records[0]
    assert small["error"] == "" and small["params"] > 0 and small["flops"] > 0
    rows = {v["variant"]: v for v in small["variants"]}
    assert list(rows) == ["fp32", "int8", "pruned", "pruned-int8"]
    for name, row in rows.items():
        assert row["error"] == "", (name, row["error"])
        assert row["median_ms"] > 0 and row["size_kb"] > 0
        assert (out / "candidates" / "small" / row["onnx"]).is_file()
        assert 0.0 <= row["ort_accuracy"] <= 100.0
    assert rows["fp32"]["agreement_torch_ort"] >= 99.0, "ORT FP32 and torch FP32 must agree"
    assert abs(rows["fp32"]["ort_accuracy"] - rows["fp32"]["torch_accuracy"]) <= 1.0
    assert rows["int8"]["quantization"] == "static"
    tried = rows["int8"]["recipes_ms"]
    assert set(tried) == set(TINY.int8_recipes) and rows["int8"]["quantization_recipe"] in tried
    assert all(t["median_ms"] > 0 and t["speedup"] > 0 for t in tried.values())
    assert rows["int8"]["speedup"] == pytest.approx(tried[rows["int8"]["quantization_recipe"]]["speedup"])
    assert not list((out / "candidates" / "small").glob("int8.*.onnx")), "only the kept recipe stays"
    assert 0 < small["baseline_ratio"], "timed in alternation with the baseline CNN"
    assert rows["pruned"]["params"] < rows["fp32"]["params"]
    assert rows["pruned"]["size_kb"] < rows["fp32"]["size_kb"]
    assert (out / "candidates" / "small" / "model.safetensors").is_file()
    assert len(small["train"]["history"]) == TINY.epochs


@pytest.mark.slow
def test_a_failing_candidate_is_reported_and_the_others_go_on(finalized):
    out, records = finalized
    assert [r["name"] for r in records] == ["small", "broken", "origin-cnn"]
    assert "cannot be built" in records[1]["error"]
    assert records[2]["error"] == "" and records[2]["train"]["config"]["optimizer"] == "adam"
    saved = json.loads((out / "finalize.json").read_text())
    assert [r["name"] for r in saved["candidates"]] == ["small", "broken", "origin-cnn"]


@pytest.mark.slow
def test_rerun_reads_finished_candidates_back(finalized, digits):
    out, records = finalized
    weights = out / "candidates" / "small" / "model.safetensors"
    before = weights.stat().st_mtime_ns
    again = finalize([Candidate("small", small_mbconv, predicted_ms=0.05)], digits, TINY, out, progress=False)
    assert again[0]["variants"] == records[0]["variants"]
    assert weights.stat().st_mtime_ns == before, "a finished candidate is not trained again"


@pytest.mark.slow
def test_report_has_tables_and_figures(finalized, tmp_path):
    _, records = finalized
    front = [{"arch": "a", "predicted_ms": 0.04, "predicted_accuracy": 40.0},
             {"arch": "b", "predicted_ms": 0.08, "predicted_accuracy": 60.0}]
    path = write_report(tmp_path, records, front, {"title": "t", "dataset": "digits", "budget_ms": 0.1})
    text = path.read_text()
    for needle in ("## Finalized models", "pruned-int8", "agree_torch_%", "origin-cnn", "pareto.png"):
        assert needle in text
    for png in ("pareto.png", "latency.png", "steps.png"):
        assert (tmp_path / png).stat().st_size > 1000


def test_config_is_validated():
    with pytest.raises(ConfigError, match="quantize"):
        FinalizeConfig(quantize="int4")
    with pytest.raises(ConfigError, match="prune_keep"):
        FinalizeConfig(prune_keep=0.0)


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["finalize", "--out", str(tmp_path), "--data", "digits"]) == 2
    assert main(["finalize", "--out", str(tmp_path), "--space", "nb201", "--arch", "nope"]) == 2
    assert main(["finalize", "--out", str(tmp_path), "--baseline", "--prune-keep", "3"]) == 2
    assert main(["finalize", "--out", str(tmp_path), "--arch-file", str(tmp_path / "none.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("hwnas: error:") for line in err)


@pytest.mark.slow
def test_tuning_searches_lr_and_weight_decay_on_validation(digits, tmp_path):
    pytest.importorskip("optuna")
    from hwnas.datasets import TrainConfig
    from hwnas.pipeline import tune_hyperparameters

    base = TrainConfig(epochs=1, batch_size=64, lr=0.05)
    record = tmp_path / "tuning.json"
    out = tune_hyperparameters(lambda: small_mbconv(10, (3, 16, 16)), digits, base, n_trials=2, subset=300,
                               seed=0, record=record)
    assert len(out["trials"]) == 2 and out["trials"][0]["lr"] == pytest.approx(0.05)
    assert 0.005 <= out["lr"] <= 0.15 and 1e-5 <= out["weight_decay"] <= 1e-2
    assert out["val_accuracy"] == max(t["val_accuracy"] for t in out["trials"])
    assert tune_hyperparameters(None, digits, base, n_trials=2, record=record) == out


@pytest.mark.slow
def test_rerun_with_other_settings_is_refused(finalized, digits):
    out, _ = finalized
    with pytest.raises(ConfigError, match="other settings"):
        finalize([Candidate("small", small_mbconv)], digits, TINY.replace(epochs=2), out, progress=False)


def test_warmup_ramps_the_learning_rate_then_cosine_decays_it():
    import torch

    from hwnas.datasets import TrainConfig
    from hwnas.datasets._train import _scheduler

    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    sched = _scheduler(opt, TrainConfig(epochs=2, warmup_epochs=1.0, lr=1.0), steps=4)
    lrs = []
    for _ in range(8):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert lrs[4] == pytest.approx(1.0) and all(a > b for a, b in zip(lrs[4:], lrs[5:])) and lrs[-1] > 0
    with pytest.raises(ConfigError, match="warmup_epochs"):
        TrainConfig(epochs=2, warmup_epochs=2)


def test_training_returns_the_model_in_the_usual_memory_layout(digits):
    import torch

    from hwnas.datasets import TrainConfig, train_model

    torch.manual_seed(0)
    model = small_mbconv(digits.num_classes, tuple(digits.input_shape))
    train_model(model, digits, TrainConfig(epochs=1, subset=100, batch_size=50), progress=False)
    assert all(p.is_contiguous() for p in model.parameters()), "channels-last only while training"
