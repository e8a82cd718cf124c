"""The FBNet space: exact to HW-NAS-Bench's CIFAR FBNet, strings of the HELP latency table."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

import hwnas
from hwnas import ArchitectureError, build_unit, count_flops, count_params, get_space
from hwnas.spaces._blocks import ChannelShuffle, InvertedResidual
from hwnas.spaces.fbnet import FBNET_BLOCKS

from conftest import shared_file

A = "k5_e6-skip-k3_e1_g2-skip-k5_e1-skip-skip-skip-k5_e6-k5_e1-k3_e1_g2-k5_e1-k5_e6-k3_e6-k3_e3-k5_e6-k3_e6-k3_e3-k5_e1-k3_e3-k5_e1-k5_e1_g2"


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Batch-1 networks run faster on one thread, and much faster on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def space():
    return get_space("fbnet")


def test_every_table_string_round_trips(space):
    with open(shared_file("fbnet", "latency_ms.csv"), newline="") as f:
        strings = [row["arch"] for row in csv.DictReader(f)]
    assert len(strings) == 5000
    archs = [space.parse(s) for s in strings]
    assert [space.format(a) for a in archs] == strings
    assert len(set(archs)) == len(set(strings))


def test_space_shape(space):
    assert len(space.choices) == 22 and space.cardinalities == (9,) * 22
    assert space.size == 9 ** 22
    assert space.default_num_classes == 100 and space.default_input_shape == (3, 32, 32)
    assert space.choices[0].options == FBNET_BLOCKS  # HW-NAS-Bench's op_idx_list order


@pytest.mark.parametrize("text, message", [
    (A.replace("k5_e1-skip-skip", "k7_e2-skip-skip", 1), "unknown block 'k7_e2' at layer 5"),
    (A.rsplit("-", 1)[0], "expected 22 layers"),
    (A + "-skip", "got 23"),
    ("", "expected 22 layers"),
])
def test_bad_strings_name_the_problem(space, text, message):
    with pytest.raises(ArchitectureError, match=message):
        space.parse(text)


def test_macro_architecture(space):
    """Stage channels, strides and the skip rule of the README / HW-NAS-Bench."""
    units = space.units(space.parse("-".join(["skip"] * 22)))
    # identity skips vanish; a projecting 1x1 conv where channels or stride change (6 stages)
    assert [(u.in_channels, u.out_channels, u.resolution, u.stride) for u in units[1:-2]] == [
        (16, 24, 32, 1), (24, 32, 32, 2), (32, 64, 16, 2), (64, 112, 8, 1), (112, 184, 8, 2), (184, 352, 4, 1)]
    assert all(u.op == "conv_bn_relu" and u.kernel == 1 for u in units[1:-2])
    stem, head, classifier = units[0], units[-2], units[-1]
    assert (stem.in_channels, stem.out_channels, stem.kernel, stem.stride) == (3, 16, 3, 1)
    assert (head.in_channels, head.out_channels, head.resolution) == (352, 1504, 4)
    assert (classifier.op, classifier.in_channels, classifier.out_channels) == ("classifier", 1504, 100)


def test_blocks_follow_the_reference(space):
    arch = space.parse(A)
    blocks = [m for m in space.build(arch).modules() if isinstance(m, InvertedResidual)]
    names = [n for n in A.split("-") if n != "skip"]
    assert len(blocks) == len(names)
    for block, name in zip(blocks, names):
        assert block.expand is not None  # FBNet keeps the expand conv at e=1
        assert block.depthwise.conv.kernel_size[0] == int(name[1])
        assert block.hidden_channels == block.in_channels * int(name.split("_")[1][1:])
        grouped = name.endswith("_g2")
        assert (block.shuffle is not None) == grouped
        assert block.expand.conv.groups == block.project.conv.groups == (2 if grouped else 1)
    first = blocks[0]  # layer 1: 16 -> 16, stride 1: residual
    assert first.use_residual and first.in_channels == first.out_channels == 16


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(6.0).reshape(1, 6, 1, 1)
    assert ChannelShuffle(2)(x).flatten().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def test_costs_match_the_built_network(space):
    for arch in [space.parse(A), space.sample(1)]:
        model = space.build(arch)
        assert space.params(arch) == count_params(model)
        assert space.flops(arch) == count_flops(model, (3, 32, 32))
        assert space.flops(arch, num_classes=10) < space.flops(arch)


def test_network_is_its_units(space):
    """The network is literally the chain of its units' modules (same parameters, same order)."""
    arch = space.parse(A)
    model = space.build(arch, num_classes=10)
    units = space.units(arch, num_classes=10)
    assert list(model.units) == units
    assert sum(count_params(build_unit(u)) for u in units) == count_params(model)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        y = x
        for unit, piece in zip(units, model.eval()):
            assert y.shape[1:] == unit.input_shape
            y = piece(y)
        assert torch.allclose(y, model(x))
    assert y.shape == (2, 10)


def test_build_is_seeded(space):
    arch = space.sample(3)
    torch.manual_seed(0)
    a = space.build(arch).state_dict()
    torch.manual_seed(0)
    b = space.build(arch).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_onnx_matches_torch_with_shuffle(space, tmp_path):
    arch = space.parse("-".join(["k3_e1_g2", "k5_e1_g2"] * 11))
    torch.manual_seed(0)
    model = space.build(arch).eval()
    for m in model.modules():  # non-trivial BN statistics, so folding is exercised
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    path = hwnas.export_onnx(model, (3, 32, 32), tmp_path / "fbnet.onnx")
    out = hwnas.run_ort(hwnas.ort_session(path), x)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-4, rtol=1e-4)


def test_encode_is_vectorised_and_informative(space):
    archs = space.sample_many(50, rng=2)
    enc = space.encode(archs)
    assert enc.shape == (50, len(space.encoding_names)) and enc.dtype == np.float32
    np.testing.assert_array_equal(enc[7], space.encode(archs[7]))
    names = space.encoding_names
    assert enc[:, : 22 * 9].sum(axis=1).tolist() == [22.0] * 50
    kernels = enc[:, names.index("layer1.kernel")]
    assert set(kernels.tolist()) <= {0.0, 3.0, 5.0}
    np.testing.assert_allclose(enc[:, names.index("mmacs")], [space.flops(a) / 1e6 for a in archs], rtol=1e-6)


def test_graph_is_a_chain_with_the_units(space):
    arch = space.parse(A)
    graph = space.to_graph(arch)
    assert graph.adjacency.shape == (26, 26) and graph.features.shape == (26, len(space.graph_feature_names))
    np.testing.assert_array_equal(graph.adjacency, np.eye(26, k=1))
    assert graph.units[0] == () and graph.units[-1] == ()
    assert [u for node in graph.units for u in node] == space.units(arch)
    kinds = graph.features[:, : len(FBNET_BLOCKS) + 4]
    assert kinds.sum(axis=1).tolist() == [1.0] * 26
    assert kinds[2 + 1, 2 + FBNET_BLOCKS.index("skip")] == 1.0  # layer 2 is a skip


def test_all_units_cover_the_space(space):
    every = set(space.all_units())
    uniform = set().union(*(space.units(space.make([g] * 22)) for g in range(len(FBNET_BLOCKS))))
    assert every == uniform  # each layer's unit depends on its own gene only
    assert all(set(space.units(a)) <= every for a in space.sample_many(20, rng=9))
