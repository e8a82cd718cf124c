"""Latency anchors: profiled neighbours re-timed next to a finalized model re-anchor its prediction."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas import create_space, export_onnx
from hwnas.pipeline import (FinalizeConfig, LatencyAnchor, candidate_from_arch, choose_anchors, finalize,
                            neighbour_anchors, timed_with_anchors)

TINY_SPACE = {"stem_width": 8, "head_width": 0, "kernels": [3], "expansions": [1, 3], "resolutions": [8],
              "stages": [{"depths": [1], "widths": [8], "stride": 1},
                         {"depths": [1, 2], "widths": [16, 24], "stride": 2}]}


@pytest.fixture(scope="module")
def space():
    return create_space("mbconv", **TINY_SPACE)


def test_anchors_are_the_nearest_in_log_latency_and_never_the_model_itself(space):
    archs = list(space.enumerate())[:6]
    names = [space.format(a) for a in archs]
    predicted = np.array([0.1, 0.2, 0.4, 0.8, 1.6, 3.2])
    picked = choose_anchors(space, archs, predicted, 0.45, k=2)
    assert {a.predicted_ms for a in picked} == {0.4, 0.8}
    assert all(isinstance(a, LatencyAnchor) for a in picked)
    without = choose_anchors(space, archs, predicted, 0.4, k=3, exclude=names[2])
    assert names[2] not in [a.name for a in without] and len(without) == 3
    assert choose_anchors(space, [], [], 0.4) == [] and choose_anchors(space, archs, predicted, float("nan")) == []


class _FlopsLatency:
    """A stand-in surrogate with the predictor interface: latency proportional to multiply-adds."""

    def __init__(self, space):
        self.space = space

    def predict(self, archs):
        return np.array([self.space.flops(self.space.as_arch(a)) / 1e6 for a in archs])


def test_neighbour_anchors_are_distinct_one_gene_mutants_never_the_model(space):
    arch = list(space.enumerate())[5]
    anchors = neighbour_anchors(space, arch, _FlopsLatency(space), k=3, seed=0)
    names = [a.name for a in anchors]
    assert len(set(names)) == len(names) == 3 and space.format(arch) not in names
    for a in anchors:
        changed = sum(x != y for x, y in zip(space.parse(a.name).genes, arch.genes))
        assert 1 <= changed <= 2, "one gene changed (plus, at most, an inactive gene made canonical)"
        assert a.predicted_ms == pytest.approx(space.flops(space.parse(a.name)) / 1e6)
    assert [a.name for a in neighbour_anchors(space, arch, _FlopsLatency(space), k=3, seed=0)] == names


def test_timing_next_to_anchors_gives_a_ratio_per_anchor(space, tmp_path):
    shape = (1, 8, 8)
    arch = space.sample(0)
    path = export_onnx(space.build(arch, 10, shape).eval(), shape, tmp_path / "m.onnx")
    anchors = choose_anchors(space, list(space.enumerate())[:3], np.array([0.01, 0.02, 0.03]), 0.02, k=2)
    ms, ratio, rows = timed_with_anchors(path, anchors, shape, 10, rounds=1)
    assert ms > 0 and ratio > 0 and len(rows) == 2
    assert all(r["measured_ms"] > 0 and r["predicted_ms"] > 0 for r in rows)
    assert timed_with_anchors(path, [], shape, 10, rounds=1)[1] == 1.0


@pytest.mark.slow
def test_finalize_reports_the_anchored_and_the_surrogate_prediction(space, tmp_path):
    from hwnas.datasets import load_dataset

    digits = load_dataset("digits")
    pool = list(space.enumerate())[:4]
    arch = space.format(pool[0])
    anchors = tuple(choose_anchors(space, pool, np.full(4, 0.05), 0.05, k=2, exclude=arch))
    cand = candidate_from_arch(space, arch, predicted_ms=0.05, latency_anchors=anchors)
    cfg = FinalizeConfig(epochs=1, train_subset=200, test_limit=50, prune_keep=None, quantize="none")
    record = finalize([cand], digits, cfg, tmp_path, progress=False)[0]
    assert record["error"] == "" and record["predicted_ms_surrogate"] == 0.05
    fp32 = record["variants"][0]
    assert len(fp32["anchors"]) == 2 and arch not in [a["arch"] for a in fp32["anchors"]]
    assert record["predicted_ms"] == pytest.approx(0.05 * fp32["anchor_ratio"])
