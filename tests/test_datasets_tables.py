"""Accuracy tables load as validated frames; every defect is one DataError naming file, row, column."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas import DataError
from hwnas.datasets import load_accuracy_table

from conftest import shared_file

A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
B = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"


def _write(tmp_path, text: str):
    path = tmp_path / "acc.csv"
    path.write_text(text)
    return path


def test_real_nb201_table_loads_both_columns():
    frame = load_accuracy_table(shared_file("nb201", "accuracy.csv"), "nb201")
    assert list(frame.columns) == ["arch", "cifar10_test_acc", "cifar100_test_acc"]
    assert len(frame) == 15625 and frame["arch"].is_unique
    assert frame["cifar10_test_acc"].between(0, 100).all()
    assert len(frame.attrs["sha256"]) == 64


def test_a_blank_cell_is_an_accuracy_not_measured(tmp_path):
    frame = load_accuracy_table(_write(tmp_path, f"arch,acc\n{A},93.5\n{B},\n"), "nb201", "acc")
    assert frame["acc"].iloc[0] == 93.5 and np.isnan(frame["acc"].iloc[1])


def test_small_table_and_column_choice(tmp_path):
    frame = load_accuracy_table(_write(tmp_path, f"arch,acc,other\n{A},93.5,x\n{B},85.0,y\n"), "nb201", "acc")
    assert frame["acc"].tolist() == [93.5, 85.0] and frame["arch"].tolist() == [A, B]


@pytest.mark.parametrize("text, pattern", [
    (f"arch,acc\n{A},93.5\n|bogus~0|+|x|,90\n", r"row 2, column 'arch'"),
    (f"arch,acc\n{A},93.5\n{B},101\n", r"row 2, column 'acc'.*outside 0\.\.100"),
    (f"arch,acc\n{A},-1\n", r"row 1, column 'acc'.*outside"),
    (f"arch,acc\n{A},abc\n", r"row 1, column 'acc'.*not a number"),
    ("arch,acc\n", r"empty table"),
    ("", r"not a readable CSV"),
    (f"name,acc\n{A},90\n", r"no 'arch' column"),
    (f"arch,loss\n{A},0.1\n", r"no accuracy column"),
])
def test_defects_are_one_clear_error(tmp_path, text, pattern):
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=pattern) as info:
        load_accuracy_table(path, "nb201")
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_missing_column(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_accuracy_table(tmp_path / "nope.csv", "nb201")
    with pytest.raises(DataError, match="no column 'c100'"):
        load_accuracy_table(_write(tmp_path, f"arch,acc\n{A},90\n"), "nb201", ["c100"])
