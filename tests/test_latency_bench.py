"""Few-shot transfer and ``hwnas bench latency`` on the shared HELP tables (skipped without them)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hwnas.cli import main
from hwnas.predictors import FewShotLatency, bench_latency, load_predictor, pool_device_of

from conftest import shared_file


@pytest.fixture(scope="module")
def fbnet_csv():
    return shared_file("fbnet", "latency_ms.csv")


@pytest.fixture(scope="module")
def small_table(fbnet_csv, tmp_path_factory):
    """300 rows; 'titan_rtx_1' also sits in the pool (must be left out), 'copy' is a renamed pool column."""
    df = pd.read_csv(fbnet_csv).iloc[:300]
    path = tmp_path_factory.mktemp("tables") / "t.csv"
    df[["arch", "titan_rtx_1"]].assign(copy=df["titanxp_1"]).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_bench_uses_the_pool_but_never_the_same_device(small_table, fbnet_csv, tmp_path):
    out = tmp_path / "bench.json"
    result = bench_latency("fbnet", small_table, pool=fbnet_csv, shots=10, seeds=2, json_path=out, progress=False)
    assert json.loads(out.read_text())["devices"].keys() == {"titan_rtx_1", "copy"}
    same, copy = result["devices"]["titan_rtx_1"], result["devices"]["copy"]
    assert copy["spearman"]["mean"] > 0.999  # a pool column with other name: found and used
    assert 0.9 < same["spearman"]["mean"] < 0.999  # its own column was excluded
    assert same["n_test"] == 290 and set(same) >= {"spearman", "kendall", "mape", "within5", "within10"}
    assert result["overall"]["spearman"] == pytest.approx(np.mean([same["spearman"]["mean"], copy["spearman"]["mean"]]))
    again = bench_latency("fbnet", small_table, pool=fbnet_csv, shots=10, seeds=2, progress=False)
    assert again["devices"] == result["devices"]  # same seeds, same draws, same scores


@pytest.mark.slow
def test_cli_bench_without_pool_and_fit_predict(small_table, tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "latency", "--space", "fbnet", "--table", str(small_table), "--shots", "60",
                 "--seeds", "1", "--json", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "mean over devices" in printed and json.loads(out.read_text())["overall"]["spearman"] > 0.5
    model_dir = tmp_path / "model"
    assert main(["fit", "latency", "--predictor", "xgb", "--space", "fbnet", "--table", str(small_table),
                 "--column", "copy", "--out", str(model_dir)]) == 0
    arch = pd.read_csv(small_table)["arch"][0]
    capsys.readouterr()
    assert main(["predict", "latency", "--model", str(model_dir), arch, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["arch"] == arch and rows[0]["latency_ms"] > 0
    assert main(["predict", "latency", "--model", str(model_dir), "k3_e1-nope"]) == 2
    assert "hwnas: error:" in capsys.readouterr().err


def test_fewshot_saves_what_it_needs(small_table, fbnet_csv, tmp_path):
    table = pd.read_csv(small_table)
    model = FewShotLatency("fbnet", pool=fbnet_csv, exclude=["titan_rtx_1"])
    model.fit(table["arch"][:10], table["titan_rtx_1"][:10])
    assert "titan_rtx_1" not in model.columns_
    pred = model.predict(table["arch"][10:])
    model.save(tmp_path / "fs")
    saved = pd.read_csv(tmp_path / "fs" / "pool.csv")
    assert set(saved.columns) - {"arch"} <= {pool_device_of(c) for c in model.columns_}
    assert np.allclose(load_predictor(tmp_path / "fs").predict(table["arch"][10:]), pred)
