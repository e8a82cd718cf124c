"""Measurement tables: loading, validation errors naming file / row / column, the CLI's one line."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas import DataError, get_space
from hwnas.cli import main
from hwnas.datasets import load_latency_table


@pytest.fixture()
def archs() -> list[str]:
    space = get_space("nb201")
    return [space.format(a) for a in space.sample_many(6, rng=0)]


def _write(tmp_path, text: str):
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


def test_loads_devices_blanks_and_index_columns(tmp_path, archs):
    rows = "\n".join(f"{i},{a},{1 + i},{'' if i == 2 else 2.5 * (i + 1)}" for i, a in enumerate(archs))
    table = load_latency_table(_write(tmp_path, f"nb201_index,arch,dev_a,dev_b\n{rows}\n"), "nb201")
    assert table.devices == ["dev_a", "dev_b"]
    assert len(table) == 6 and np.isnan(table.values[2, 1])
    measured, ms = table.column("dev_b")
    assert len(measured) == 5 and table.archs[2] not in measured
    assert ms[0] == pytest.approx(2.5)
    assert table.row_indices([table.archs[3], get_space("nb201").sample(99)])[0] == 3


@pytest.mark.parametrize("header, cell, expected", [
    ("name,dev", None, "missing column 'arch'"),
    ("arch,dev", "abc", "row 2, column 'dev': 'abc' is not a number"),
    ("arch,dev", "-1.5", "row 2, column 'dev'"),
    ("arch,dev", "-0.5", "latency -0.5 ms is negative"),
])
def test_bad_cells_name_file_row_column(tmp_path, archs, header, cell, expected):
    second = cell if cell is not None else "2.0"
    path = _write(tmp_path, f"{header}\n{archs[0]},1.0\n{archs[1]},{second}\n")
    with pytest.raises(DataError, match=expected) as info:
        load_latency_table(path, "nb201")
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_zero_latency_reads_as_below_the_clock_resolution(tmp_path, archs):
    path = _write(tmp_path, f"arch,phone,gpu\n{archs[0]},0,1.5\n{archs[1]},3,2.5\n{archs[2]},,0.5\n")
    with pytest.warns(UserWarning, match=r"column 'phone': 1 latencies of 0 ms read as 1.5 ms"):
        table = load_latency_table(path, "nb201")
    assert table.values[:, 0].tolist()[:2] == [1.5, 3.0] and np.isnan(table.values[2, 0])
    assert table.values[:, 1].tolist() == [1.5, 2.5, 0.5]  # a column without zeros is untouched
    assert table.read_from(str(path)) and not table.read_from(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="every measured latency is 0 ms"):
        load_latency_table(_write(tmp_path, f"arch,dev\n{archs[0]},0\n"), "nb201")


def test_unknown_and_duplicate_architectures(tmp_path, archs):
    bad = _write(tmp_path, f"arch,dev\n{archs[0]},1\n|conv~0|+|x|,2\n")
    with pytest.raises(DataError, match=r"row 2, column 'arch'"):
        load_latency_table(bad, "nb201")
    dup = _write(tmp_path, f"arch,dev\n{archs[0]},1\n{archs[0]},2\n")
    with pytest.raises(DataError, match="already in row 1"):
        load_latency_table(dup, "nb201")
    with pytest.raises(DataError, match="no such measurement table"):
        load_latency_table(tmp_path / "missing.csv", "nb201")


def test_cli_turns_a_bad_table_into_one_line(tmp_path, archs, capsys):
    path = _write(tmp_path, f"arch,dev\n{archs[0]},fast\n{archs[1]},2\n")
    code = main(["bench", "latency", "--space", "nb201", "--table", str(path), "--shots", "5",
                 "--seeds", "1", "--json", str(tmp_path / "o.json")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("hwnas: error:") and "row 1, column 'dev'" in err and "\n" not in err
