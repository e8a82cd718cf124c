"""hwnas.profiler: targets, timing protocol, profiling real units, lookups."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import hwnas
from hwnas import ConfigError, DataError, Measurement, Target, Unit, get_space, list_spaces
from hwnas.profiler import (LUT_COLUMNS, Profile, TimingProtocol, collect_units, create_target,
                            default_profile_dir, device_fingerprint, list_targets, measure_architecture,
                            measure_module, parse_shard, plan_profile, profile, time_callable)

TINY = TimingProtocol(warmup_s=0.0, warmup_runs=1, block_ms=0.1, min_runs=3, max_runs=5, max_time_s=0.01,
                      remeasure=False)


def _conv() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU())


@pytest.fixture(scope="module")
def nb201_profile(tmp_path_factory) -> Profile:
    space = get_space("nb201")
    archs = space.sample_many(2, rng=3)
    return profile(space, "ort-cpu", tmp_path_factory.mktemp("p") / "nb201", archs=archs, networks=2,
                   protocol=TINY, progress=False)


# ---------------------------------------------------------------- protocol
@pytest.mark.parametrize("bad", [{"min_runs": 0}, {"max_runs": 2, "min_runs": 3}, {"rel_iqr": -1.0},
                                 {"max_time_s": float("nan")}, {"warmup_runs": 1.5}, {"network_sessions": 0},
                                 {"unit_sessions": 2.0}])
def test_protocol_rejects_bad_settings(bad):
    with pytest.raises(ConfigError, match="timing protocol"):
        TimingProtocol(**bad)


def test_protocol_round_trips_and_rejects_unknown_keys():
    p = TimingProtocol(min_runs=4, rel_iqr=0.1)
    assert TimingProtocol.from_dict(p.to_dict()) == p
    with pytest.raises(ConfigError, match="unknown settings"):
        TimingProtocol.from_dict({**p.to_dict(), "bogus": 1})


def test_time_callable_follows_the_protocol():
    a = np.random.default_rng(0).standard_normal((64, 64))
    m = time_callable(lambda: a @ a, TimingProtocol(warmup_runs=2, min_runs=5, max_runs=8, max_time_s=0.05))
    assert isinstance(m, Measurement)
    assert 5 <= m.runs <= 8 and m.warmup_runs >= 2
    assert 0 < m.min_ms <= m.median_ms <= m.p90_ms and m.iqr_ms >= 0


# ---------------------------------------------------------------- targets
def test_targets_listed_only_where_they_run():
    assert {"ort-cpu", "torch-cpu"} <= set(list_targets())
    assert ("torch-cuda" in list_targets()) == torch.cuda.is_available()
    assert set(list_targets()) <= set(list_targets(all_known=True))


@pytest.mark.parametrize("name", list_targets())
def test_every_target_times_a_real_module(name):
    runner = create_target(name, threads=1, batch_size=2)
    assert isinstance(runner.target, Target)
    assert (runner.target.name, runner.target.threads, runner.target.batch_size) == (name, 1, 2)
    m = runner.measure(_conv(), (8, 16, 16), TINY)
    assert m.median_ms > 0 and m.runs >= TINY.min_runs
    assert runner.overhead((8, 16, 16), TINY).median_ms > 0


@pytest.mark.parametrize("name", list_targets())
def test_ort_targets_time_exported_onnx_models(name, tmp_path):
    path = hwnas.export_onnx(_conv().eval(), (8, 16, 16), tmp_path / "m.onnx")
    runner = create_target(name)
    if runner.target.runtime != "onnxruntime":
        with pytest.raises(ConfigError, match="not ONNX models"):
            runner.measure_onnx(path, (8, 16, 16), TINY)
        return
    assert runner.measure_onnx(path, (8, 16, 16), TINY).median_ms > 0


def test_create_target_rejects_bad_input():
    with pytest.raises(ConfigError, match="unknown target 'tpu'"):
        create_target("tpu")
    with pytest.raises(ConfigError, match="threads"):
        create_target("ort-cpu", threads=0)
    for name in set(list_targets(all_known=True)) - set(list_targets()):
        with pytest.raises(ConfigError, match="not available"):
            create_target(name)


def test_device_fingerprint_names_the_machine():
    fp = device_fingerprint()
    assert {"cpu", "logical_cores", "memory_gib", "os", "gpu", "id"} <= set(fp)
    assert fp["logical_cores"] >= 1 and fp == device_fingerprint()


def test_parse_shard():
    assert parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "x", "1/0", "-1/2"):
        with pytest.raises(ConfigError, match="shard"):
            parse_shard(bad)


# ---------------------------------------------------------------- units and profiles
def test_whole_space_unit_collection_is_deterministic():
    space = get_space("fbnet") if "fbnet" in list_spaces() else get_space("nb201")
    archs = space.sample_many(20, rng=0)
    found = collect_units(space, archs)
    assert found.coverage == "archs"
    assert set(found.units) == {u for a in archs for u in space.units(a)}
    assert list(found.units) == sorted(found.units)


@pytest.mark.parametrize("space_name", list_spaces())
def test_profile_times_units_of_every_space(space_name, tmp_path):
    space = get_space(space_name)
    arch = space.sample(7)
    # Shard 0/6 of one architecture's units keeps this fast while building real units of each op.
    prof = profile(space, "ort-cpu", tmp_path / "p", archs=[arch], networks=1, shard=(0, 6), protocol=TINY,
                   progress=False)
    expected = sorted(set(space.units(arch)))[0::6]
    assert len(prof.lut) == len(expected) and len(prof.networks) == 1
    assert all(prof.lookup(u) > 0 for u in expected)
    assert prof.networks["arch"].iloc[0] == space.format(arch)
    assert prof.manifest["space"]["name"] == space.name and prof.complete


def test_profile_on_torch_cpu(tmp_path):
    space = get_space("nb201")
    arch = space.sample(1)
    prof = profile(space, "torch-cpu", tmp_path / "t", archs=[arch], networks=1, shard=(0, 5), protocol=TINY,
                   progress=False)
    assert set(prof.lut["target"]) == {"torch-cpu-t1-b1"} and prof.target.runtime == "torch"
    assert (prof.lut["median_ms"] > 0).all()


@pytest.mark.parametrize("space_name", list_spaces())
def test_int8_target_profiles_static_int8_units_of_every_op(space_name, tmp_path):
    import onnx

    from profiler._ort_targets import _quantized

    space = get_space(space_name)
    arch = space.sample(7)
    # every unit of one architecture: each op of the space must quantize statically (or the
    # profile would stop) and be timed
    prof = profile(space, "ort-cpu-int8", tmp_path / "q", archs=[arch], networks=1, protocol=TINY, progress=False)
    assert len(prof.lut) == len(set(space.units(arch))) and (prof.lut["median_ms"] > 0).all()
    assert prof.target.name == "ort-cpu-int8" and prof.networks["median_ms"].iloc[0] > 0
    x = np.random.default_rng(0).standard_normal((1, 8, 16, 16)).astype(np.float32)
    graph = onnx.load_from_string(_quantized(hwnas.onnx_bytes(_conv().eval(), (8, 16, 16)), x)).graph
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= {n.op_type for n in graph.node}


def test_profile_tables_are_typed(nb201_profile):
    lut = nb201_profile.lut
    assert tuple(lut.columns) == LUT_COLUMNS
    assert tuple(lut.columns[1:11]) == hwnas.UNIT_FIELDS
    assert lut["in_channels"].dtype == np.int64 and lut["median_ms"].dtype == np.float64
    assert lut["residual"].dtype == bool and lut["noisy"].dtype == bool
    assert not lut.duplicated(list(LUT_COLUMNS[:11])).any()
    m = nb201_profile.manifest
    assert m["protocol"] == TINY.to_dict() and m["device"] == device_fingerprint()
    assert {"onnxruntime", "torch"} <= set(m["runtime"]) and m["overhead"]["median_ms"] > 0
    assert {"rel_iqr_p50", "rel_iqr_p90", "noisy_share"} <= set(m["noise"])


def test_lut_sums_match_unit_latencies(nb201_profile):
    prof = nb201_profile
    archs, measured = prof.network_latencies()
    sums = prof.lut_sums(archs)
    for a, s in zip(archs, sums):
        lat = prof.unit_latencies(a)
        assert len(lat) == len(prof.space.units(a))
        assert math.isclose(s, lat.sum()) and math.isclose(prof.lut_sum(str(a)), s)
    corrected = prof.lut_sums(archs, subtract_overhead=True)
    n_units = np.array([len(prof.space.units(a)) for a in archs])
    assert np.allclose(sums - corrected, (n_units - 1) * prof.overhead_ms)
    assert (measured > 0).all()


def test_lookup_of_a_missing_unit_names_it(nb201_profile):
    unit = Unit("nb201_nor_conv", 16, 16, 32, kernel=5)
    with pytest.raises(DataError, match="no lookup-table row for .*kernel=5"):
        nb201_profile.lookup(unit)


def test_rerunning_a_complete_profile_measures_nothing(nb201_profile):
    space = get_space("nb201")
    again = profile(space, "ort-cpu", nb201_profile.path, archs=space.sample_many(2, rng=3), networks=2,
                    protocol=TINY, progress=False)
    assert again.manifest["last_run"]["measured_units"] == 0
    assert again.manifest["last_run"]["measured_networks"] == 0
    assert again.hash == nb201_profile.hash


def test_dry_run_plan_lists_pending_work(nb201_profile, tmp_path):
    space = get_space("nb201")
    archs = space.sample_many(2, rng=3)
    plan = plan_profile(space, "ort-cpu", tmp_path / "new", archs=archs, networks=2, protocol=TINY)
    assert len(plan.pending_units) == len(nb201_profile.lut) and len(plan.pending_networks) == 2
    assert plan.estimated_s > 0 and not (tmp_path / "new").exists()
    done = plan_profile(space, "ort-cpu", nb201_profile.path, archs=archs, networks=2, protocol=TINY)
    assert done.pending_units == [] and done.pending_networks == []


def test_measure_architecture(nb201_profile):
    space = get_space("nb201")
    arch = nb201_profile.network_latencies()[0][0]
    m = measure_architecture(space, str(arch), create_target("ort-cpu"), TINY)
    assert m.median_ms > 0


def test_default_profile_dir():
    assert str(default_profile_dir("nb201")) == "profiles/nb201-ort-cpu-t1-b1"
    assert default_profile_dir("fbnet", "torch-cpu", threads=2, root="/x").as_posix() == "/x/fbnet-torch-cpu-t2-b1"


def test_measure_module_keeps_the_fastest_of_its_sessions():
    runner = create_target("ort-cpu")
    seen = []
    real = runner.measure

    def recording(*args, **kwargs):  # the real measurement, recorded
        seen.append(real(*args, **kwargs))
        return seen[-1]

    runner.measure = recording
    m, _ = measure_module(runner, _conv(), (8, 16, 16), TINY, sessions=3)
    assert len(seen) == 3 and m.median_ms == min(s.median_ms for s in seen)


def test_profile_records_its_sessions_and_old_manifests_read_as_one(nb201_profile, tmp_path):
    import json
    import shutil

    assert nb201_profile.protocol.network_sessions == TINY.network_sessions == 3
    old = tmp_path / "old"
    shutil.copytree(nb201_profile.path, old)
    manifest = json.loads((old / "manifest.json").read_text())
    for key in ("network_sessions", "unit_sessions"):
        del manifest["protocol"][key]  # as written before sessions existed
    (old / "manifest.json").write_text(json.dumps(manifest))
    from hwnas.profiler import load_profile

    assert load_profile(old).protocol.network_sessions == 1
    one = TimingProtocol(**{**TINY.to_dict(), "network_sessions": 1})
    archs = [a for a in load_profile(old).network_latencies()[0]]
    assert plan_profile("nb201", "ort-cpu", old, archs=archs, networks=2, protocol=one).pending_networks == []
    with pytest.raises(DataError, match="network_sessions: 1 vs 3"):
        plan_profile("nb201", "ort-cpu", old, archs=archs, networks=2, protocol=TINY)
