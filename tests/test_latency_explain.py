"""``explain_latency`` / ``hwnas explain latency`` on real profiles: the committed ones measured on
an H200 machine, and one measured here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hwnas import DataError, get_space
from hwnas.cli import main
from hwnas.predictors import create_predictor, explain_latency, format_explanation
from hwnas.profiler import TimingProtocol, device_fingerprint, load_profile, profile

DEVICE_PROFILES = sorted((Path(__file__).resolve().parent.parent / "benchmarks" / "results"
                          / "device_check_profiles").glob("*-t1-b1"))
QUICK = TimingProtocol(warmup_s=0.0, warmup_runs=1, block_ms=0.1, min_runs=3, max_runs=3, max_time_s=0.01,
                       remeasure=False)


@pytest.mark.parametrize("path", DEVICE_PROFILES, ids=[p.name for p in DEVICE_PROFILES])
def test_explanation_of_a_profiled_network_adds_up(path):
    prof = load_profile(path)
    archs, ms = prof.network_latencies()
    e = explain_latency(prof, archs[4])
    json.dumps(e)  # plain data
    assert e["lut_sum_ms"] == pytest.approx(prof.lut_sum(archs[4]))
    assert sum(u["share"] for u in e["units"]) == pytest.approx(1.0)
    assert sum(u["count"] for u in e["units"]) == len(prof.space.units(archs[4], prof.input_shape))
    assert e["own_measurement"]["median_ms"] == ms[4] and e["prediction"]["ms"] > 0
    assert len(e["neighbours"]) == 3 and e["arch"] not in {n["arch"] for n in e["neighbours"]}
    assert min(n["differs_in"] for n in e["neighbours"]) >= 1
    other_machine = prof.manifest["device"]["id"] != device_fingerprint()["id"]
    assert other_machine == any("this machine is" in d for d in e["diagnosis"])
    assert "why:" in format_explanation(e)


def test_a_measurement_far_from_the_profiles_own_is_named():
    prof = load_profile(DEVICE_PROFILES[0])
    archs, ms = prof.network_latencies()
    far = explain_latency(prof, archs[7], measured_ms=1.5 * ms[7])
    assert any("the two measurements disagree" in d for d in far["diagnosis"])
    close = explain_latency(prof, archs[7], measured_ms=explain_latency(prof, archs[7])["prediction"]["ms"])
    assert any("measurement spread" in d for d in close["diagnosis"])


def test_units_missing_from_the_table_are_reported_not_raised(tmp_path):
    space = get_space("nb201")
    only_skip = space.make([1] * 6)  # skip_connect on every edge
    assert space.format(only_skip).count("skip_connect") == 6
    prof = profile(space, "ort-cpu", tmp_path / "p", archs=[only_skip], networks=1, protocol=QUICK, progress=False)
    e = explain_latency(prof, space.make([3] * 6))  # nor_conv_3x3 on every edge: units the table lacks
    assert e["missing_units"] and "not in the lookup table" in e["diagnosis"][0]
    assert "missing" in format_explanation(e)


def test_a_given_model_is_used_and_must_match_the_profile(tmp_path):
    prof, other = load_profile(DEVICE_PROFILES[0]), load_profile(DEVICE_PROFILES[1])
    model = create_predictor("latency", "lut", prof.space, profile=prof, correction="per_type").fit_profile()
    model.save(tmp_path / "m")
    archs, _ = prof.network_latencies()
    e = explain_latency(prof, archs[0], model=tmp_path / "m")
    assert "per_type" in e["prediction"]["predictor"]
    assert e["prediction"]["ms"] == pytest.approx(float(model.predict([archs[0]])[0]))
    if other.space.name == prof.space.name:
        with pytest.raises(DataError, match="not the one this predictor was fitted with"):
            explain_latency(other, archs[0], model=tmp_path / "m")
    else:
        with pytest.raises(DataError, match="fitted for space"):
            explain_latency(other, other.network_latencies()[0][0], model=tmp_path / "m")


def test_cli_explain(capsys):
    path = DEVICE_PROFILES[0]
    arch = load_profile(path).networks["arch"].iloc[2]
    assert main(["explain", "latency", arch, "--profile", str(path), "--measured", "1.0"]) == 0
    assert "why:" in capsys.readouterr().out
    assert main(["explain", "latency", arch, "--profile", str(path), "--json"]) == 0
    assert np.isfinite(json.loads(capsys.readouterr().out)["prediction"]["ms"])
    for argv, message in ((["bogus"], "expected 22 layers"), ([arch, "--measured", "0"], "positive number of ms")):
        assert main(["explain", "latency", *argv, "--profile", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err


def test_remeasure_times_the_network_here_with_the_profiles_protocol(tmp_path):
    space = get_space("nb201")
    archs = space.sample_many(4, rng=3)
    prof = profile(space, "ort-cpu", tmp_path / "p", archs=archs, networks=4, protocol=QUICK, progress=False)
    e = explain_latency(prof, archs[1], remeasure=True)
    assert e["remeasured"]["runs"] >= QUICK.min_runs and e["measured_ms"] == e["remeasured"]["median_ms"] > 0
    assert not any("this machine is" in d for d in e["diagnosis"])  # measured here: the same device
    assert "measured here now" in format_explanation(e)
