"""The core vocabulary: records, registries, errors and the CLI's error contract."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import hwnas
from hwnas import Architecture, ConfigError, Measurement, Target, Unit
from hwnas.cli import main


def test_architecture_is_immutable_and_hashable():
    a = Architecture("x", (1, 2, 3))
    b = Architecture("x", (1, 2, 3))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    with pytest.raises(AttributeError):
        a.genes = (0, 0, 0)  # type: ignore[misc]


def test_measurement_from_times_summarises_like_torch_benchmark():
    m = Measurement.from_times([1.0, 2.0, 3.0, 4.0, 100.0], warmup_runs=3)
    assert m.median_ms == 3.0 and m.runs == 5 and m.warmup_runs == 3
    assert m.iqr_ms == pytest.approx(2.0) and m.min_ms == 1.0
    assert m.relative_iqr == pytest.approx(2.0 / 3.0)
    with pytest.raises(ValueError):
        Measurement.from_times([])


def test_target_round_trips_through_dict():
    t = Target("ort-cpu", "onnxruntime", "cpu", threads=2, options=(("opt", "all"),))
    assert Target.from_dict(t.to_dict()) == t
    assert t.label == "ort-cpu-t2-b1-opt=all"


def test_unit_from_table_row_coerces_types():
    row = {"op": "conv", "in_channels": "16", "out_channels": 32.0, "resolution": "8",
           "residual": "True", "extra": float("nan"), "expansion": "6"}
    u = Unit.from_dict(row)
    assert u == Unit("conv", 16, 32, 8, residual=True, expansion=6.0)
    assert u.input_shape == (16, 8, 8) and u.output_resolution == 8
    with pytest.raises(ConfigError, match="lacks"):
        Unit.from_dict({"op": "conv"})


def test_unknown_space_and_unit_op_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown space 'nope'"):
        hwnas.get_space("nope")
    with pytest.raises(ConfigError, match="unknown unit op"):
        hwnas.build_unit(Unit("no-such-op", 1, 1, 1))


def test_every_registered_space_makes_canonical_genomes():
    for name in hwnas.list_spaces():
        space = hwnas.get_space(name)
        arch = space.sample(0)
        assert space.make(arch.genes) == arch
        with pytest.raises(hwnas.ArchitectureError):
            space.make(arch.genes + (0,))
        with pytest.raises(hwnas.ArchitectureError):
            space.make(tuple(-1 for _ in arch.genes))
        enc = space.encode_genes(space.genes_array([arch, arch]))
        assert enc.shape == (2, len(space.encoding_names)) or enc.shape[0] == 2
        assert np.all(np.isfinite(enc))


def test_cli_version_and_bad_input_exit_2_with_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert main(["arch", "--space", "nope", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hwnas: error: unknown space 'nope'; known spaces:")


def test_cli_bad_arguments_print_one_line():
    proc = subprocess.run([sys.executable, "-m", "hwnas", "arch"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "required" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_exact_floats_reads_shortest_repr_back_bit_for_bit_and_refuses_odd_cells():
    from hwnas import exact_floats

    x = np.exp(np.random.default_rng(0).uniform(-12, 6, 20000))
    assert (exact_floats([repr(float(v)) for v in x]) == x).all()
    odd = exact_floats(["", "abc", "1_000", None, " 2.5 ", "1e3"])
    assert np.isnan(odd[:4]).all() and list(odd[4:]) == [2.5, 1000.0]
