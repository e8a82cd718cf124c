"""``hwnas run`` end to end on tiny settings (the CI smoke run of the main job), and its pieces."""

from __future__ import annotations

import json
import shutil

import pytest

from hwnas import ConfigError
from hwnas.cli import main
from hwnas.pipeline import QUICK_SPACE, RunConfig

# A very small mbconv (a handful of units) so that profiling takes seconds.
TINY_SPACE = {"stem_width": 8, "head_width": 0, "kernels": [3], "expansions": [1, 3],
              "stages": [{"depths": [1], "widths": [8], "stride": 1},
                         {"depths": [1, 2], "widths": [16], "stride": 2},
                         {"depths": [1], "widths": [24, 32], "stride": 2}]}

SMOKE = ["run", "--quick", "--data", "digits", "--space-config", json.dumps(TINY_SPACE),
         "--profile-networks", "4", "--proxy-archs", "3", "--proxy-subset", "300", "--search-evals", "200",
         "--candidates", "1", "--epochs", "1", "--train-subset", "300", "--test-limit", "100",
         "--calibration-images", "8", "--finetune-epochs", "1", "--budget-ms", "10", "--no-progress"]


@pytest.mark.slow
def test_quick_run_goes_from_profile_to_report_and_resumes(tmp_path):
    out = tmp_path / "run"
    assert main(SMOKE + ["--out", str(out)]) == 0
    state = json.loads((out / "run.json").read_text())
    assert [s["stage"] for s in state["stages"]] == ["data", "baseline latency", "profile", "latency surrogate",
                                                      "calibrate", "accuracy surrogate", "search", "verify",
                                                      "finalize"]
    assert "digits" in " ".join(state["notes"])
    timed = json.loads((out / "calibration.json").read_text())["median_ms"]
    assert len(timed) == state["calibration"]["networks"] == 4 and all(ms > 0 for ms in timed.values())
    assert "Calibration: 4 networks" in " ".join(state["notes"])
    assert len(state["proxy_trainings"]) == 3 and state["front"]
    records = json.loads((out / "finalize.json").read_text())["candidates"]
    assert records[0]["name"] == "origin-cnn" and len(records) == 2, "one searched candidate + the baseline"
    found = records[1]
    assert found["space"].startswith("mbconv") and found["predicted_ms"] > 0
    assert all(v["error"] == "" and v["median_ms"] > 0 for v in found["variants"])
    report = (out / "report.md").read_text()
    for needle in ("## Stages", "## Predicted Pareto front", "## Finalized models", found["arch"], "digits"):
        assert needle in report
    assert (out / "pareto.png").is_file() and (out / "search" / "history.csv").is_file()

    weights = out / "candidates" / found["dir"] / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert main(SMOKE + ["--out", str(out)]) == 0, "a rerun resumes from the run directory"
    assert weights.stat().st_mtime_ns == before
    assert json.loads((out / "calibration.json").read_text())["median_ms"] == timed, "nothing timed again"
    again_stages = json.loads((out / "run.json").read_text())["stages"]
    first_pass = {s["stage"]: s["seconds"] for s in state["stages"]}
    assert all(s["seconds_all_runs"] >= first_pass[s["stage"]] for s in again_stages), "the first pass's cost is kept"
    assert json.loads((out / "finalize.json").read_text())["candidates"][1]["arch"] == found["arch"]

    moved = tmp_path / "moved"  # a run directory copied elsewhere (another disk, a colleague) resumes too
    shutil.move(str(out), str(moved))
    assert main(SMOKE + ["--out", str(moved)]) == 0
    assert (moved / "candidates" / found["dir"] / "model.safetensors").stat().st_mtime_ns == before
    out = moved

    # ``hwnas finalize --from-search`` takes the search's front with its predictions.
    again = tmp_path / "again"
    assert main(["finalize", "--from-search", str(out / "search"), "--top", "1", "--out", str(again), "--data",
                 "digits", "--epochs", "1", "--train-subset", "200", "--test-limit", "50", "--no-prune",
                 "--quantize", "none", "--no-progress"]) == 0
    taken = json.loads((again / "finalize.json").read_text())["candidates"]
    assert len(taken) == 1 and taken[0]["predicted_ms"] > 0 and taken[0]["space"] == found["space"]


@pytest.mark.slow
def test_a_run_for_int8_deployment_verifies_the_speedup_of_its_pick(tmp_path):
    out = tmp_path / "run"
    # a speed-up of 0.2x every network reaches: what is checked is that it is measured and kept
    assert main(SMOKE + ["--out", str(out), "--int8-speedup", "0.2", "--no-baseline", "--no-prune"]) == 0
    state = json.loads((out / "run.json").read_text())
    assert "int8 latency surrogate" in [s["stage"] for s in state["stages"]]
    assert (out / "profile-int8" / "lut.csv").is_file() and (out / "latency_predictor_int8").is_dir()
    pick = json.loads((out / "candidates.json").read_text())["candidates"][0]
    assert pick["verified_int8_speedup"] >= 0.2 and pick["predicted_int8_speedup"] > 0
    assert "## Verified before training" in (out / "report.md").read_text()
    bad = tmp_path / "bad"
    assert main(SMOKE + ["--out", str(bad), "--int8-speedup", "1.5", "--int8-profile", str(out / "profile")]) == 2


def test_a_malformed_search_result_is_a_clear_error(tmp_path):
    from hwnas import DataError
    from hwnas.pipeline import read_search_front

    with pytest.raises(DataError, match="no pareto.json"):
        read_search_front(tmp_path)
    (tmp_path / "pareto.json").write_text('{"problem": {}}')
    with pytest.raises(DataError, match="malformed"):
        read_search_front(tmp_path)


def test_quick_preset_and_validation():
    quick = RunConfig.quick()
    assert quick.space_config == QUICK_SPACE and quick.finalize.epochs < RunConfig().finalize.epochs
    with pytest.raises(ConfigError, match="proxy_archs"):
        RunConfig(proxy_archs=1)
    with pytest.raises(ConfigError, match="budget"):
        RunConfig(budget_ms=-1.0)


def test_bad_run_arguments_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path), "--space-config", "{not json"]) == 2
    assert main(["run", "--out", str(tmp_path), "--proxy-archs", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("hwnas: error:") for line in err)


def test_run_options_reach_the_config():
    from hwnas.cli import build_parser
    from hwnas.cli.run import run_config

    args = build_parser().parse_args(["run", "--quick", "--verify-tries", "0", "--latency-anchors", "2",
                                      "--int8-recipe", "qoperator", "--warmup-epochs", "0.5"])
    cfg = run_config(args)
    assert cfg.verify_tries == 0 and cfg.latency_anchors == 2 and cfg.candidates == RunConfig.quick().candidates
    int8 = run_config(build_parser().parse_args(["run", "--int8-speedup", "1.5", "--int8-profile", "p"]))
    assert (int8.int8_speedup, int8.int8_profile_dir) == (1.5, "p") and RunConfig().int8_speedup == 0.0
    with pytest.raises(ConfigError, match="int8_speedup"):
        RunConfig(int8_speedup=-1)
    with pytest.raises(ConfigError, match="int8_speedup needs verify_tries"):
        RunConfig(int8_speedup=1.5, verify_tries=0)
    with pytest.raises(ConfigError, match="int8_profile_dir is only read with int8_speedup"):
        RunConfig(int8_profile_dir="p")
    assert cfg.finalize.int8_recipes == ("qoperator",) and cfg.finalize.warmup_epochs == 0.5
    with pytest.raises(ConfigError, match="verify_tries"):
        RunConfig(verify_tries=-1)
    uncalibrated = run_config(build_parser().parse_args(["run", "--calibration-networks", "0"]))
    assert uncalibrated.calibration_networks == 0 and RunConfig().calibration_networks > 0
    with pytest.raises(ConfigError, match="calibration_networks"):
        RunConfig(calibration_networks=-1)


def test_candidates_are_the_best_under_each_budget_then_spread():
    from hwnas.pipeline._run_stages import pick_candidates

    front = [{"arch": str(i), "predicted_accuracy": float(i), "predicted_ms": i / 10} for i in range(20)]
    picked = [r["arch"] for r in pick_candidates(front, 3, [0.5, 1.0])]
    assert picked[:2] == ["5", "10"] and len(picked) == 3
    assert [r["arch"] for r in pick_candidates(front, 2, [5.0])][0] == "19"
    with pytest.raises(ConfigError, match="budget"):
        pick_candidates([], 2, [1.0])
    fastest = [{"arch": "f", "predicted_accuracy": 1.0, "predicted_ms": 2.0}]
    assert pick_candidates([], 2, [1.0], fastest) == fastest


def test_a_collapsed_front_is_completed_from_the_feasible_history():
    from hwnas.pipeline._run_stages import pick_candidates

    front = [{"arch": "a", "predicted_accuracy": 10.0, "predicted_ms": 0.1}]
    history = [dict(front[0]), {"arch": "b", "predicted_accuracy": 10.0, "predicted_ms": 0.2},
               {"arch": "c", "predicted_accuracy": 9.0, "predicted_ms": 0.3}]
    assert [r["arch"] for r in pick_candidates(front, 2, [1.0], history)] == ["a", "b"]


def test_verification_keeps_per_budget_the_best_candidate_whose_timing_fits():
    from hwnas.pipeline._verify import verified_picks

    rows = [{"arch": a, "predicted_accuracy": acc, "predicted_ms": p}
            for a, acc, p in [("big", 9.0, 0.9), ("slow", 8.0, 0.25), ("ok", 7.0, 0.2), ("tiny", 1.0, 0.1)]]
    timings = {"big": 0.95, "slow": 0.4, "ok": 0.22, "tiny": 0.1}
    timed = []

    def time_arch(arch):
        timed.append(arch)
        return timings[arch]

    picks, notes = verified_picks(rows, [0.3, 1.0], time_arch, tries=3)
    assert [p["arch"] for p in picks] == ["ok", "big"], "under 0.3 ms 'slow' measured too slow"
    assert picks[0]["verified_ms"] == 0.22 and picks[0]["budget_ms"] == 0.3 and notes == []
    assert timed.count("slow") == 1, "an architecture is timed once"
    none, notes = verified_picks(rows, [0.05], time_arch)
    assert none == [] and notes == []
    none, notes = verified_picks(rows[1:2], [0.3], time_arch)
    assert none == [] and "None of the 1" in notes[0]
    # all first tries too slow (the surrogate 1.6x optimistic): a second round scales it
    timings.update(slow=0.4, ok=0.32)
    picks, notes = verified_picks(rows, [0.3], time_arch, tries=2)
    assert [p["arch"] for p in picks] == ["tiny"] and "scaled" in notes[0]


def test_verification_tries_more_accurate_networks_when_the_surrogate_over_predicts():
    from hwnas.pipeline._verify import verified_picks

    rows = [{"arch": a, "predicted_accuracy": acc, "predicted_ms": p}
            for a, acc, p in [("huge", 9.5, 0.8), ("big", 9.0, 0.45), ("bigger", 8.5, 0.42), ("ok", 7.0, 0.3)]]
    timings = {"huge": 0.48, "big": 0.35, "bigger": 0.25, "ok": 0.18}  # all about 0.6x their prediction
    timed = []

    def time_arch(arch):
        timed.append(arch)
        return timings[arch]

    picks, notes = verified_picks(rows, [0.3], time_arch, tries=2)
    assert [p["arch"] for p in picks] == ["bigger"] and picks[0]["verified_ms"] == 0.25
    assert timed == ["ok", "big", "bigger"], "beyond the budget, the most accurate that scaled fit; 'huge' never"
    assert "0.6x their prediction" in notes[0]
    # a search under the scaled budget (aimed at 0.9 x 0.3 / 0.6 ms predicted) offers more than the saved rows
    wider_rows = [{"arch": "found", "predicted_accuracy": 9.2, "predicted_ms": 0.44}]
    asked = []

    def wider(ms):
        asked.append(ms)
        return wider_rows

    timings.update(found=0.29)
    timed.clear()
    picks, notes = verified_picks(rows, [0.3], time_arch, tries=2, wider=wider)
    assert [p["arch"] for p in picks] == ["found"] and asked == [pytest.approx(0.45)] and timed == ["ok", "found"]
    timings.update(big=0.31, bigger=0.31)  # too slow after all: the first pick stays
    picks, notes = verified_picks(rows, [0.3], timings.__getitem__, tries=2)
    assert [p["arch"] for p in picks] == ["ok"] and notes == []
    timings.update(ok=0.27)  # 0.9x its prediction: no reason to try beyond the budget
    picks, notes = verified_picks(rows, [0.3], timings.__getitem__, tries=2)
    assert [p["arch"] for p in picks] == ["ok"] and notes == []


def test_verification_can_require_a_measured_int8_speedup():
    from hwnas.pipeline._verify import verified_picks

    rows = [{"arch": a, "predicted_accuracy": acc, "predicted_ms": p}
            for a, acc, p in [("dw", 9.0, 0.2), ("slow", 8.5, 0.2), ("wide", 8.0, 0.2), ("wider", 7.0, 0.2)]]
    timings = {"dw": 0.2, "slow": 0.5, "wide": 0.2, "wider": 0.2}
    speedups = {"dw": 0.9, "slow": 3.0, "wide": 1.6, "wider": 2.0}
    quantized = []

    def speedup(arch):
        quantized.append(arch)
        return speedups[arch]

    picks, notes = verified_picks(rows, [0.3], timings.__getitem__, tries=4, int8_speedup=speedup, min_speedup=1.5)
    assert [p["arch"] for p in picks] == ["wide"] and picks[0]["verified_int8_speedup"] == 1.6 and notes == []
    assert quantized == ["dw", "wide"], "only a network whose FP32 timing fits is quantized"
    closest, notes = verified_picks(rows[:3], [0.3], timings.__getitem__, int8_speedup=speedup, min_speedup=1.8)
    assert [p["arch"] for p in closest] == ["wide"], "none gains 1.8x: the one that fits and gains most"
    assert "none of the 3 architectures tried gained 1.8x" in notes[0] and "(1.6x)" in notes[0]
    plain, _ = verified_picks(rows, [0.3], timings.__getitem__)
    assert plain[0]["arch"] == "dw" and "verified_int8_speedup" not in plain[0]
    # the INT8 tables' ranking narrows the tries to the budget's top speed-ups first
    ranked = [dict(r, predicted_int8_speedup=x) for r, x in zip(rows, [0.7, 1.2, 1.1, 1.3])]
    quantized.clear()
    picks, _ = verified_picks(ranked, [0.3], timings.__getitem__, int8_speedup=speedup, min_speedup=1.5,
                              speedup_quantile=0.5)
    assert [p["arch"] for p in picks] == ["wider"] and quantized == ["wider"], "dw and wide ranked out"


def test_the_int8_speedup_timer_quantizes_and_times_a_real_network():
    from hwnas import create_space
    from hwnas.pipeline import RunConfig
    from hwnas.pipeline._verify import int8_speedup_timer

    space = create_space("mbconv", **RunConfig.quick().space_config, resolutions=[16])
    arch = space.format(space.sample(rng=0))
    speedup = int8_speedup_timer(space, (3, 16, 16), 10, rounds=1)(arch)
    assert 0.1 < speedup < 10


def test_verification_tries_distinct_architectures():
    from hwnas.pipeline._verify import verified_picks

    rows = [{"arch": a, "predicted_accuracy": acc, "predicted_ms": p}
            for a, acc, p in [("fast", 9.0, 0.2), ("ok", 8.0, 0.2), ("tiny", 1.0, 0.1)]]
    timings = {"fast": 0.5, "ok": 0.25, "tiny": 0.1}
    picks, notes = verified_picks([rows[0], *rows], [0.3], timings.__getitem__, tries=2)
    assert [p["arch"] for p in picks] == ["ok"], "the front's row repeated in the feasible rows is tried once"
