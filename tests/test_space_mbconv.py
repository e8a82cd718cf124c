"""The configurable MBConv space: config validation, exact size, strings, networks, encodings."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import hwnas
from hwnas import ArchitectureError, ConfigError, build_unit, count_flops, count_params, create_space, get_space
from hwnas.spaces._blocks import InvertedResidual, Resize
from hwnas.spaces.mbconv import DEFAULT_MBCONV_CONFIG, MBConvConfig

SMALL = dict(resolutions=[16, 32], stem_width=8, stem_stride=2, kernels=[3, 5], expansions=[1, 4], head_width=0,
             stages=[dict(depths=[1, 2], widths=[8, 16], stride=1), dict(depths=[1], widths=[24], stride=2)])


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Batch-1 networks run faster on one thread, and much faster on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def space():
    return get_space("mbconv")


@pytest.fixture(scope="module")
def small():
    return create_space("mbconv", **SMALL)


def test_default_and_configured_names(space, small):
    assert space.name == "mbconv" and space.config() == DEFAULT_MBCONV_CONFIG.to_dict()
    assert create_space("mbconv", **space.config()).name == "mbconv"
    assert small.name.startswith("mbconv:") and len(small.name) == len("mbconv:") + 8
    assert create_space("mbconv", **small.config()).name == small.name
    assert get_space(small.name).config() == small.config()  # str(arch) finds the variant again
    arch = small.sample(0)
    assert str(arch) == small.format(arch) and arch.space == small.name


@pytest.mark.parametrize("change, field", [
    (dict(stem_stride=3), "stem_stride"),
    (dict(kernels=[3, 4]), "kernels"),
    (dict(expansions=[]), "expansions"),
    (dict(resolutions=[32, 32]), "resolutions"),
    (dict(head_width=-1), "head_width"),
    (dict(stages=[]), "stages"),
    (dict(stages=[dict(depths=[1], widths=[16], stride=4)]), r"stages\[0\]\.stride"),
    (dict(stages=[dict(depths=[0], widths=[16])]), r"stages\[0\]\.depths"),
    (dict(stages=[dict(depths=[1], widths="16")]), r"stages\[0\]\.widths"),
    (dict(stages=[dict(depths=[1])]), r"stages\[0\]"),
    (dict(stem_width=True), "stem_width"),
    (dict(width_mult=2), "unknown field 'width_mult'"),
])
def test_invalid_config_names_the_field(change, field):
    with pytest.raises(ConfigError, match=field):
        create_space("mbconv", **change)


def test_size_counts_distinct_networks(small):
    per_block = 2 * 2
    assert small.size == 2 * (2 * (per_block + per_block ** 2)) * (1 * per_block)
    assert small.size < np.prod(small.cardinalities)  # inactive genes are not counted
    archs = list(small.enumerate())
    assert len(archs) == len(set(archs)) == small.size
    assert all(small.make(a.genes) == a for a in archs)
    every_genome = {small.make(g) for g in itertools.product(*map(range, small.cardinalities))}
    assert every_genome == set(archs)


def test_canonical_zeroes_inactive_blocks(space):
    arch = space.parse("r32-s1:d1,w16,k7e6-s2:d1,w24,k5e3-s3:d2,w32,k3e6,k7e4-s4:d1,w64,k3e1-s5:d1,w128,k3e3")
    genes = dict(zip((c.name for c in space.choices), arch.genes))
    assert genes["s2.b2.kernel"] == genes["s2.b4.expansion"] == genes["s3.b3.kernel"] == 0
    assert genes["s1.b1.kernel"] == 2 and genes["s3.b2.kernel"] == 2
    noisy = list(arch.genes)
    noisy[[c.name for c in space.choices].index("s2.b3.kernel")] = 1
    assert space.make(noisy) == arch


def test_string_round_trip_and_format(space):
    text = "r24-s1:d1,w8,k3e1-s2:d2,w24,k3e6,k5e3-s3:d1,w32,k7e4-s4:d3,w64,k3e1,k3e3,k5e6-s5:d1,w128,k3e3"
    arch = space.parse(text)
    assert space.format(arch) == text and space.parse(f"  {text} ") == arch
    for arch in space.sample_many(50, rng=3):
        assert space.parse(space.format(arch)) == arch


@pytest.mark.parametrize("text, message", [
    ("r20-s1:d1,w8,k3e1", "parts"),
    ("r20-s1:d1,w8,k3e1-s2:d1,w16,k3e1-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "resolution 20 is not allowed"),
    ("x32-s1:d1,w8,k3e1-s2:d1,w16,k3e1-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "expected 'r<integer>'"),
    ("r32-s1:d1,w8,k3e1-s3:d1,w16,k3e1-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "stage 2: expected 's2:"),
    ("r32-s1:d1,w8,k3e1-s2:d5,w16,k3e1-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "stage 2 depth 5 is not allowed"),
    ("r32-s1:d1,w8,k3e1-s2:d2,w16,k3e1-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "depth 2 needs 2 blocks"),
    ("r32-s1:d1,w8,k3e1-s2:d1,w40,k3e1-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "stage 2 width 40"),
    ("r32-s1:d1,w8,k3e1-s2:d1,w16,k4e1-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "block 1 kernel 4"),
    ("r32-s1:d1,w8,k3e1-s2:d1,w16,k3x1-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "block 1 kernel"),
    ("r32-s1:d1,w8,k3e1-s2:d1,w16,k3e2-s3:d1,w32,k3e1-s4:d1,w64,k3e1-s5:d1,w128,k3e1", "expansion 2 is not allowed"),
])
def test_bad_strings_name_the_problem(space, text, message):
    with pytest.raises(ArchitectureError, match=message):
        space.parse(text)


def test_network_structure(space):
    arch = space.parse("r24-s1:d1,w16,k3e1-s2:d2,w24,k5e6,k3e1-s3:d1,w32,k7e4-s4:d1,w64,k3e3-s5:d1,w128,k3e1")
    model = space.build(arch)
    assert isinstance(model.resize, Resize) and model.resize.size == 24
    assert [n for n, _ in model.named_children()] == [
        "resize", "stem", "s1b1", "s2b1", "s2b2", "s3b1", "s4b1", "s5b1", "head", "classifier"]
    assert model.s1b1.expand is None and model.s1b1.use_residual  # e=1: depthwise separable, 16 -> 16
    assert isinstance(model.s2b1, InvertedResidual) and model.s2b1.hidden_channels == 16 * 6
    assert model.s2b1.depthwise.conv.stride == (2, 2) and not model.s2b1.use_residual
    assert model.s2b2.use_residual and model.s2b2.depthwise.conv.kernel_size == (3, 3)
    resolutions = [u.resolution for u in space.units(arch)]
    assert resolutions == [32, 24, 24, 24, 12, 12, 6, 6, 3, 3]
    native = space.build(arch, input_shape=(3, 24, 24))  # already at its resolution: no resize
    assert "resize" not in dict(native.named_children())
    with torch.no_grad():
        assert model.eval()(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_costs_match_the_built_network(space):
    for arch in space.sample_many(3, rng=4):
        model = space.build(arch, num_classes=7)
        assert space.params(arch, num_classes=7) == count_params(model)
        assert space.flops(arch, num_classes=7) == count_flops(model, (3, 32, 32))


def test_network_is_its_units(small):
    arch = small.sample(2)
    model = small.build(arch)
    units = small.units(arch)
    assert list(model.units) == units
    assert sum(count_params(build_unit(u)) for u in units) == count_params(model)


def test_onnx_matches_torch_with_resize(space, tmp_path):
    arch = space.parse("r24-s1:d1,w16,k3e1-s2:d2,w24,k5e6,k3e1-s3:d1,w32,k7e4-s4:d1,w64,k3e3-s5:d1,w128,k3e1")
    torch.manual_seed(0)
    model = space.build(arch).eval()
    x = np.random.default_rng(1).standard_normal((1, 3, 32, 32)).astype(np.float32)
    path = hwnas.export_onnx(model, (3, 32, 32), tmp_path / "mbconv.onnx")
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(hwnas.run_ort(hwnas.ort_session(path), x), ref, atol=1e-4, rtol=1e-4)


def test_encode_numeric_features(space):
    archs = space.sample_many(40, rng=5)
    enc = space.encode(archs)
    names = space.encoding_names
    assert enc.shape == (40, len(names)) and len(set(names)) == len(names)
    np.testing.assert_allclose(enc[:, names.index("mmacs")], [space.flops(a) / 1e6 for a in archs], rtol=1e-5)
    for arch, row in zip(archs[:5], enc):
        res, stages = space.decode(arch)
        assert row[names.index("resolution")] == res
        assert row[names.index("depth")] == sum(len(b) for _, b in stages)
        width, blocks = stages[1]
        assert row[names.index("s2.width")] == width
        assert [row[names.index(f"s2.b{j}.kernel")] for j in range(1, 5)] == [k for k, _ in blocks] + [0] * (4 - len(blocks))


def test_graph_has_a_node_per_block_slot(space):
    arch = space.parse("r32-s1:d1,w16,k3e1-s2:d1,w24,k5e6-s3:d1,w32,k7e4-s4:d1,w64,k3e3-s5:d1,w128,k3e1")
    graph = space.to_graph(arch)
    slots = [max(stage.depths) for stage in space.cfg.stages]
    n = 2 + sum(slots) + 2  # input, stem, block slots, head, output
    assert graph.adjacency.shape == (n, n) and graph.features.shape == (n, len(space.graph_feature_names))
    assert [u for node in graph.units for u in node] == space.units(arch)
    skipped = space.graph_feature_names.index("is_skipped")
    assert graph.features[:, skipped].sum() == sum(slots) - len(slots)  # one active block per stage
    assert all(graph.units[i] == () for i in np.flatnonzero(graph.features[:, skipped]))


def test_default_spans_tiny_to_large(space):
    """The default space holds both ~0.3 M and ~300 M multiply-add networks (the latency range
    itself is measured by benchmarks/mbconv_latency_range.py)."""
    cfg = MBConvConfig.from_dict({})
    smallest = space.parse("-".join(
        [f"r{min(cfg.resolutions)}"] + [f"s{i}:d1,w{min(s.widths)},k3e1" for i, s in enumerate(cfg.stages, 1)]))
    largest = space.parse("-".join([f"r{max(cfg.resolutions)}"] + [
        f"s{i}:d{max(s.depths)},w{max(s.widths)}," + ",".join(["k7e6"] * max(s.depths))
        for i, s in enumerate(cfg.stages, 1)]))
    assert space.flops(smallest) < 1e6 and space.flops(largest) > 2e8


def test_all_units_cover_the_space(space, small):
    seen = set().union(*(small.units(a) for a in small.enumerate()))
    assert set(small.all_units()) == seen
    every = set(space.all_units())
    assert all(set(space.units(a)) <= every for a in space.sample_many(30, rng=8))
