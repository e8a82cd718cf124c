"""hwnas.profiler on disk: resume after SIGKILL, corrupt and foreign files, merge, export, diff, CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hwnas import DataError, get_space
from hwnas.cli import main
from hwnas.profiler import (LUT_COLUMNS, Profile, TimingProtocol, diff_profiles, export_lut, load_profile,
                            merge_profiles, plan_profile, profile, read_lut)

REPO = Path(__file__).resolve().parent.parent
TINY = TimingProtocol(warmup_s=0.0, warmup_runs=1, block_ms=0.1, min_runs=3, max_runs=5, max_time_s=0.01,
                      remeasure=False)
TINY_FLAGS = ["--warmup-s", "0", "--warmup-runs", "1", "--block-ms", "0.1", "--min-runs", "3", "--max-runs", "5",
              "--max-time-s", "0.01", "--no-remeasure"]


@pytest.fixture(scope="module")
def archs():
    return get_space("nb201").sample_many(1, rng=11)


@pytest.fixture(scope="module")
def base(tmp_path_factory, archs) -> Profile:
    return profile("nb201", "ort-cpu", tmp_path_factory.mktemp("p") / "base", archs=archs, networks=1,
                   protocol=TINY, progress=False)


def _copy(prof: Profile, tmp_path: Path, name: str = "copy") -> Path:
    dst = tmp_path / name
    shutil.copytree(prof.path, dst)
    return dst


def _keys(prof: Profile) -> set:
    return set(prof.lut[list(LUT_COLUMNS[:11])].itertuples(index=False, name=None)) | set(prof.networks["arch"])


# ---------------------------------------------------------------- interruption
@pytest.mark.slow
def test_sigkill_mid_profile_then_resume_gives_the_same_keys(base, archs, tmp_path):
    arch_file = tmp_path / "archs.txt"
    arch_file.write_text("".join(f"{a}\n" for a in archs))
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "hwnas", "profile", "--space", "nb201", "--archs", str(arch_file), "--networks", "1",
           "--out", str(out), "--no-progress", *TINY_FLAGS]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lut = out / "lut.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if lut.is_file() and lut.read_bytes().count(b"\n") >= 4:  # header + 3 rows: mid-profile
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"profile ended before it could be killed: {proc.stderr.read().decode()[-300:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    partial = plan_profile("nb201", "ort-cpu", out, archs=archs, networks=1, protocol=TINY)
    assert 0 < len(partial.pending_units) + len(partial.pending_networks) < len(base.lut) + len(base.networks)
    resumed = profile("nb201", "ort-cpu", out, archs=archs, networks=1, protocol=TINY, progress=False)
    assert _keys(resumed) == _keys(base)
    assert resumed.manifest["last_run"]["measured_units"] < len(base.lut)


def test_a_half_written_row_is_cut_off_on_resume(base, archs, tmp_path):
    out = _copy(base, tmp_path)
    lut = (out / "lut.csv").read_text().splitlines(keepends=True)
    (out / "lut.csv").write_text("".join(lut[:-1]) + lut[-1][:25])  # the last row was in flight
    with pytest.raises(DataError, match="lut.csv: truncated"):
        load_profile(out)
    resumed = profile("nb201", "ort-cpu", out, archs=archs, networks=1, protocol=TINY, progress=False)
    assert resumed.manifest["last_run"]["measured_units"] == 1
    assert _keys(resumed) == _keys(base)


# ---------------------------------------------------------------- bad files
@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "manifest.json").write_text("{not json"), "manifest.json: corrupt JSON"),
    (lambda d: (d / "manifest.json").unlink(), "not a profile directory"),
    (lambda d: (d / "networks.csv").unlink(), "networks.csv: file not found"),
    (lambda d: _edit_lut(d, lambda df: df.assign(median_ms=df["median_ms"].astype(str).where(df.index != 1, "fast"))),
     r"lut.csv: line 3, column 'median_ms': 'fast' is not a finite number"),
    (lambda d: _edit_lut(d, lambda df: df.assign(in_channels=df["in_channels"].astype(str).where(df.index != 0, "-"))),
     r"line 2, column 'in_channels'"),
    (lambda d: _edit_lut(d, lambda df: df.drop(columns=["p90_ms"])), "missing column"),
    (lambda d: _edit_lut(d, lambda df: df.iloc[:-1]), "do not match the manifest's table hash"),
    (lambda d: _edit_lut(d, lambda df: pd.concat([df, df.iloc[:1]])), "repeats the key"),
    (lambda d: _edit_lut(d, lambda df: df.assign(target="torch-cpu-t1-b1")), "measured on target 'torch-cpu-t1-b1'"),
])
def test_corrupt_or_truncated_tables_are_rejected(base, tmp_path, damage, message):
    out = _copy(base, tmp_path)
    damage(out)
    with pytest.raises(DataError, match=message):
        load_profile(out)


def _edit_lut(directory: Path, edit) -> None:
    df = pd.read_csv(directory / "lut.csv", dtype=str, keep_default_na=False)
    edit(df).to_csv(directory / "lut.csv", index=False)


def test_tables_without_a_manifest_are_not_resumed(base, archs, tmp_path):
    out = _copy(base, tmp_path)
    (out / "manifest.json").unlink()
    with pytest.raises(DataError, match="no manifest.json; not resuming"):
        profile("nb201", "ort-cpu", out, archs=archs, networks=1, protocol=TINY, progress=False)


@pytest.mark.parametrize("field, value", [("device", {"id": "another-machine"}), ("target", "torch-cpu"),
                                          ("space", "fbnet"), ("protocol", {"min_runs": 50})])
def test_foreign_profile_directories_are_not_mixed(base, archs, tmp_path, field, value):
    out = _copy(base, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    if isinstance(value, dict):
        manifest[field].update(value)
    else:
        manifest[field]["name"] = value
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=f"another {field}.*refusing to mix"):
        profile("nb201", "ort-cpu", out, archs=archs, networks=1, protocol=TINY, progress=False)


# ---------------------------------------------------------------- merge, export, diff
@pytest.mark.slow
def test_shards_merge_into_the_full_profile(base, archs, tmp_path):
    shards = [profile("nb201", "ort-cpu", tmp_path / f"s{i}", archs=archs, networks=1, shard=(i, 2), protocol=TINY,
                      progress=False) for i in range(2)]
    assert not (_keys(shards[0]) & _keys(shards[1]))
    report = merge_profiles(tmp_path / "merged", [s.path for s in shards])
    merged = load_profile(tmp_path / "merged")
    assert _keys(merged) == _keys(base) and report["conflicts"] == [] and report["duplicates"] == 0
    again = merge_profiles(tmp_path / "merged", [s.path for s in shards])  # idempotent
    assert again["hash"] == report["hash"] and again["conflicts"] == []


def test_merge_reports_conflicting_duplicates(base, tmp_path):
    from hwnas.profiler._tables import table_hash, write_table_atomic

    other = _copy(base, tmp_path, "other")
    lut = load_profile(other).lut
    lut.loc[0, "median_ms"] *= 3
    lut.loc[0, "rel_iqr"] = 0.0  # the quieter row wins
    write_table_atomic(lut, other / "lut.csv", LUT_COLUMNS)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["table_hash"] = table_hash(lut, load_profile(base.path).networks)
    (other / "manifest.json").write_text(json.dumps(manifest))
    report = merge_profiles(tmp_path / "m", [base.path, other])
    assert len(report["conflicts"]) == 1 and report["conflicts"][0]["key"]["op"] == lut.loc[0, "op"]
    assert load_profile(tmp_path / "m").lut.loc[0, "median_ms"] == lut.loc[0, "median_ms"]


def test_merge_refuses_another_space(base, tmp_path):
    space = get_space("fbnet")
    other = profile(space, "ort-cpu", tmp_path / "fb", archs=[space.sample(0)], networks=0, shard=(0, 30),
                    protocol=TINY, progress=False)
    with pytest.raises(DataError, match="another space"):
        merge_profiles(tmp_path / "m", [base.path, other.path])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_export_round_trips(base, tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    out = export_lut(base.path, tmp_path / f"lut{suffix}")
    pd.testing.assert_frame_equal(read_lut(out), base.lut)


def test_latencies_read_back_bit_for_bit(base, tmp_path):
    """Whatever pandas parses strings with, a table written and read again keeps every float exactly:
    the manifest's hash is checked against the re-read table."""
    from hwnas.profiler._tables import LUT_KEY, read_table, write_table_atomic

    rng = np.random.default_rng(0)
    lut = pd.concat([base.lut] * 300, ignore_index=True)
    lut["in_channels"] = np.arange(len(lut))  # distinct keys
    for col in ("median_ms", "iqr_ms", "mean_ms", "p90_ms", "min_ms", "rel_iqr"):
        lut[col] = np.exp(rng.uniform(-12, 6, len(lut)))
    write_table_atomic(lut, tmp_path / "lut.csv", LUT_COLUMNS)
    back = read_table(tmp_path / "lut.csv", LUT_COLUMNS, LUT_KEY)
    assert (back["median_ms"].to_numpy() == lut["median_ms"].to_numpy()).all()
    pd.testing.assert_frame_equal(back, lut[list(LUT_COLUMNS)], check_exact=True)


def test_per_unit_statistics_by_name(base):
    """``Profile.table`` serves each latency statistic and its spread per unit; a name that is no
    per-unit statistic is a clear error."""
    from hwnas import ConfigError, Unit
    from hwnas.profiler._tables import LUT_KEY

    row = base.lut.iloc[0]
    unit = Unit(*row[list(LUT_KEY[1:])])
    for column in ("median_ms", "min_ms", "p90_ms", "iqr_ms", "rel_iqr"):
        assert base.table(column)[unit] == row[column]
    with pytest.raises(ConfigError, match="no per-unit statistic 'runs'"):
        base.table("runs")


@pytest.mark.parametrize("cell", ["1_000", "nan", "inf", "", "1e400"])
def test_odd_numbers_in_a_table_are_refused(base, tmp_path, cell):
    out = _copy(base, tmp_path)
    _edit_lut(out, lambda df: df.assign(median_ms=[cell] + list(df["median_ms"].iloc[1:])))
    with pytest.raises(DataError, match="line 2, column 'median_ms'.*not a finite number"):
        load_profile(out)


DEVICE_PROFILES = sorted((REPO / "benchmarks" / "results" / "device_check_profiles").glob("*-t1-b1"))


@pytest.mark.parametrize("path", DEVICE_PROFILES, ids=[p.name for p in DEVICE_PROFILES])
def test_profiles_from_another_machine_load_and_rank_their_networks(path):
    """Profiles written on an H200 machine (another pandas and numpy) pass their hash here, and a
    LUT sum fitted on 20 of their networks ranks the other 80."""
    from scipy.stats import spearmanr

    from hwnas.predictors import create_predictor

    prof = load_profile(path)
    archs, ms = prof.network_latencies()
    model = create_predictor("latency", "lut", prof.space, profile=prof).fit(archs[:20], ms[:20])
    assert spearmanr(model.predict(archs[20:]), ms[20:]).statistic > 0.5


def test_diff_of_a_profile_with_itself(base):
    d = diff_profiles(base.path, base.path)
    assert d["units"]["common"] == len(base.lut) and d["units"]["ratio_geomean"] == pytest.approx(1.0)
    assert d["units"]["kendall_tau"] == pytest.approx(1.0) and d["networks"]["common"] == len(base.networks)


# ---------------------------------------------------------------- CLI
def test_cli_lut_commands(base, tmp_path, capsys):
    assert main(["lut", "show", str(base.path)]) == 0
    assert "nb201 on ort-cpu-t1-b1" in capsys.readouterr().out
    assert main(["lut", "show", str(base.path), "-f", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["lut"]) == len(base.lut)
    assert main(["lut", "show", str(base.path), "-f", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == len(base.lut) + 1
    assert main(["lut", "export", str(base.path), str(tmp_path / "x.json")]) == 0
    assert main(["lut", "merge", str(tmp_path / "m"), str(base.path)]) == 0
    assert "0 conflicts" in capsys.readouterr().out
    assert main(["lut", "diff", str(base.path), str(tmp_path / "m")]) == 0
    assert "Kendall tau 1.000" in capsys.readouterr().out


def test_cli_profile_dry_run(base, archs, tmp_path, capsys):
    arch_file = tmp_path / "a.txt"
    arch_file.write_text("# two\n" + "".join(f"{a}\n" for a in archs))
    assert main(["profile", "--space", "nb201", "--archs", str(arch_file), "--networks", "1", "--out",
                 str(base.path), "--dry-run", *TINY_FLAGS]) == 0
    assert "would measure 0 of" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["lut", "show", "/nonexistent/profile"], "no such profile directory"),
    (["lut", "export", "{base}", "out.txt"], "unsupported format"),
    (["profile", "--space", "nope", "--dry-run"], "unknown space"),
    (["profile", "--space", "nb201", "--shard", "2/2", "--archs", "{arch_file}", "--dry-run"], "shard"),
    (["profile", "--space", "nb201", "--target", "tpu", "--dry-run"], "unknown target"),
    (["profile", "--space", "nb201", "--archs", "{bad_file}", "--dry-run"], "line 2"),
    (["profile", "--space", "nb201", "--min-runs", "0", "--dry-run"], "min_runs"),
])
def test_cli_bad_input_is_one_line_and_exit_2(base, archs, tmp_path, capsys, argv, message):
    (tmp_path / "a.txt").write_text(f"{archs[0]}\n")
    (tmp_path / "bad.txt").write_text(f"{archs[0]}\n|bogus~0|\n")
    fill = {"base": str(base.path), "arch_file": str(tmp_path / "a.txt"), "bad_file": str(tmp_path / "bad.txt")}
    assert main([a.format(**fill) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hwnas: error:") and message in err
