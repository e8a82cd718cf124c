"""``hwnas fit|predict|bench accuracy`` end to end, on a slice of the real NB201 table."""

from __future__ import annotations

import json

import pytest

from hwnas.cli import main

from conftest import shared_file


@pytest.fixture(scope="module")
def small_table(tmp_path_factory):
    lines = shared_file("nb201", "accuracy.csv").read_text().splitlines()
    path = tmp_path_factory.mktemp("tables") / "nb201_400.csv"
    path.write_text("\n".join(lines[:401]) + "\n")
    return path


def test_bench_accuracy_writes_mean_and_std_per_size(small_table, tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "accuracy", "--space", "nb201", "--table", str(small_table), "--column", "cifar100_test_acc",
                 "--train-sizes", "50,150", "--seeds", "2", "--json", str(out), "--zero-cost", "off",
                 "--param", "n_estimators=100"])
    assert code == 0
    doc = json.loads(out.read_text())
    assert set(doc["summary"]) == {"50", "150"} and len(doc["runs"]) == 4
    for size in ("50", "150"):
        for metric in ("kendall", "spearman", "precision_top1pct", "query_us_per_arch"):
            assert set(doc["summary"][size][metric]) == {"mean", "std"}
    assert doc["summary"]["150"]["kendall"]["mean"] > 0.5
    printed = capsys.readouterr().out
    assert "kendall" in printed and "150" in printed


def test_fit_then_predict_accuracy(small_table, tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["fit", "accuracy", "--space", "nb201", "--table", str(small_table), "--column", "cifar10_test_acc",
                 "--predictor", "ensemble", "--param", "members=2", "--param", "n_estimators=50",
                 "--out", str(model)]) == 0
    capsys.readouterr()
    saved = json.loads((model / "predictor.json").read_text())
    assert len(saved["fitted_on"]) == 64  # the table's SHA-256: what the predictor learned from
    from hwnas.predictors import load_predictor

    assert load_predictor(model).fitted_on() == saved["fitted_on"]
    arch = small_table.read_text().splitlines()[1].split(",")[1]
    assert main(["predict", "accuracy", "--predictor", str(model), arch, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["arch"] == arch and 0 < rows[0]["accuracy"] < 100 and rows[0]["std"] >= 0


@pytest.mark.parametrize("args, pattern", [
    (["bench", "accuracy", "--space", "nb201", "--table", "missing.csv", "--column", "c"], "not found"),
    (["bench", "accuracy", "--space", "nb201", "--table", "{table}", "--column", "nope"], "no column 'nope'"),
    (["bench", "accuracy", "--space", "nb201", "--table", "{table}", "--column", "cifar10_test_acc",
      "--train-sizes", "10,x"], "train-sizes"),
    (["bench", "accuracy", "--space", "nb201", "--table", "{table}", "--column", "cifar10_test_acc",
      "--train-sizes", "5000"], "train sizes"),
    (["predict", "accuracy", "--predictor", "{tmp}", "x"], "not a saved predictor"),
    (["fit", "accuracy", "--space", "nb201", "--table", "{table}", "--out", "{tmp}"], "--column"),
])
def test_bad_input_is_one_line_and_exit_2(args, pattern, small_table, tmp_path, capsys):
    args = [a.format(table=small_table, tmp=tmp_path) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hwnas: error:") and pattern in err and "\n" not in err
