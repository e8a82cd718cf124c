"""NAS-Bench-201: exact to the official benchmark (order, strings, parameters, FLOPs, units)."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest
import torch

import hwnas
from hwnas import ArchitectureError
from hwnas.cli import main as cli_main

from conftest import shared_file

ALL = {op: "|{0}~0|+|{0}~0|{0}~1|+|{0}~0|{0}~1|{0}~2|".format(op)
       for op in ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")}
# Indices the official generate_meta_info asserts after its seeded shuffle.
OFFICIAL = {
    0: "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    9: "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
    123: "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|",
}


@pytest.fixture(scope="module")
def space() -> hwnas.SearchSpace:
    return hwnas.get_space("nb201")


def test_choices(space):
    assert space.size == 15625 == len(set(space.enumerate()))
    assert len(space.choices) == 6
    assert all(c.options == tuple(ALL) for c in space.choices)


def test_official_indices_without_data(space):
    archs = list(space.enumerate())
    for index, text in OFFICIAL.items():
        assert space.format(archs[index]) == text
        assert space.index(text) == index
        assert space.from_index(index) == archs[index]


def test_official_order_matches_benchmark_table(space):
    path = shared_file("nb201", "accuracy.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    archs = list(space.enumerate())
    assert len(rows) == len(archs) == 15625
    for row in rows:
        assert space.format(archs[int(row["nb201_index"])]) == row["arch"], row["nb201_index"]


def test_string_order_of_edges(space):
    arch = space.make([0, 1, 2, 3, 4, 0])
    assert space.format(arch) == "|none~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|none~2|"


@pytest.mark.parametrize("op", ["none", "skip_connect", "avg_pool_3x3"])
def test_params_and_flops_minimum(space, op):
    arch = space.parse(ALL[op])
    assert space.params(arch) == 73_306
    assert space.flops(arch) == 7_783_050


def test_params_and_flops_maximum(space):
    arch = space.parse(ALL["nor_conv_3x3"])
    assert space.params(arch) == 1_531_546
    assert space.flops(arch) == 220_119_690


def _nb201_counter(model: torch.nn.Module, shape: tuple[int, int, int]) -> int:
    """NB201's get_model_infos: conv and linear multiply-adds, plus one per output for a bias."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        positions = output[0, 0].numel() if output.dim() == 4 else 1
        weights = module.weight.numel() // (module.out_channels if output.dim() == 4 else module.out_features)
        out_features = output.shape[1]
        total += positions * out_features * weights
        if module.bias is not None:
            total += positions * out_features

    layers = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    handles = [m.register_forward_hook(hook) for m in layers]
    with torch.no_grad():
        model.eval()(torch.zeros(1, *shape))
    for h in handles:
        h.remove()
    return total


@pytest.mark.parametrize("shape,classes", [((3, 32, 32), 10), ((3, 16, 16), 120)])
def test_flops_follow_nb201_counter(space, shape, classes):
    for arch in space.sample_many(2, 4):
        model = space.build(arch, classes, shape)
        assert space.flops(arch, classes, shape) == _nb201_counter(model, shape)


def test_network_structure(space):
    model = space.build(space.parse(ALL["avg_pool_3x3"]))
    names = [type(m).__name__ for m in model.cells]
    stage = ["InferCell"] * 5
    assert names == stage + ["ResNetBasicBlock"] + stage + ["ResNetBasicBlock"] + stage
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.bias is None for c in convs)
    pools = [m for m in model.modules() if isinstance(m, torch.nn.AvgPool2d) and m.kernel_size == 3]
    assert all(not p.count_include_pad and p.stride == 1 and p.padding == 1 for p in pools)
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_none_edges_are_zero(space):
    """A cell whose output node only sees ``none`` edges outputs zeros: the logits are constant."""
    model = space.build(space.parse("|nor_conv_1x1~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|none~1|none~2|")).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        logits = model(x)
    assert torch.allclose(logits, logits[:1].expand_as(logits))


@pytest.mark.parametrize("text,message", [
    ("|none~0|+|none~0|none~1|", "expected 3 nodes"),
    ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 must have 2 input edge"),
    ("|none~0|+|none~0|none~1|+|none~0|none~1|", "node 3 must have 3 input edge"),
    ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'conv' at edge 0"),
    ("|none~0|+|none~0|none~1|+|none~0|max_pool_3x3~1|none~2|", "unknown op 'max_pool_3x3' at edge 4"),
    ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "bad input node index '2' at edge 2"),
    ("|none~0|+|none~0|none~1|+|none~0|none~1|none~x|", "bad input node index 'x' at edge 5"),
    ("|none|+|none~0|none~1|+|none~0|none~1|none~2|", "edge 0 .*expected 'op~0'"),
    ("none~0+|none~0|none~1|+|none~0|none~1|none~2|", "node 1 must be written"),
])
def test_parse_errors_name_the_problem(space, text, message):
    with pytest.raises(ArchitectureError, match=message):
        space.parse(text)


def test_index_out_of_range(space):
    with pytest.raises(ArchitectureError, match="index"):
        space.from_index(15625)


def test_bad_input_shape(space):
    with pytest.raises(hwnas.ConfigError, match="input_shape"):
        space.units(space.sample(0), (3, 30, 30))


def test_units_of_the_extremes(space):
    """Cells as ONNX Runtime runs them: merged and fused ops leave fewer units than edges."""
    def cell_units(op: str) -> Counter:
        fixed = ("nb201_stem", "nb201_resblock", "nb201_head")
        units = space.units(space.parse(ALL[op]))
        assert Counter(u.op for u in units if u.op in fixed) == {"nb201_stem": 1, "nb201_resblock": 2, "nb201_head": 1}
        return Counter((u.op, u.extra) for u in units if u.op not in fixed)

    # every ReLU is fused into the convolution (or sum) before it
    assert cell_units("nor_conv_3x3") == {("nb201_nor_conv", "no_relu"): 90}
    # node 2 adds two copies of the input; node 3's first add is node 2 again (merged)
    assert cell_units("skip_connect") == {("nb201_node", "adds=1,zeros=0"): 30}
    # one pooling per source node
    assert cell_units("avg_pool_3x3") == {("nb201_avg_pool", ""): 45, ("nb201_node", "adds=1,zeros=0"): 30}
    # one x * 0 per source node; the network's first one folds into the stem's convolution
    assert cell_units("none") == {("nb201_node", "adds=0,zeros=1"): 14, ("nb201_node", "adds=1,zeros=1"): 30}
    heavy = space.units(space.parse(ALL["nor_conv_3x3"]))
    assert {(u.in_channels, u.resolution) for u in heavy if u.op == "nb201_nor_conv"} == {(16, 32), (32, 16), (64, 8)}


def test_units_are_the_networks_pieces(space):
    """Unit params add up to the network's exactly, and few distinct units cover the space."""
    for arch in space.sample_many(3, 3):
        units = space.units(arch)
        assert sum(hwnas.count_params(hwnas.build_unit(u)) for u in units) == space.params(arch)
    distinct = {u for arch in space.sample_many(1500, 0) for u in space.units(arch)}
    assert 10 <= len(distinct) <= 60


def test_no_relu_unit_is_conv_and_bn(space):
    unit = hwnas.Unit("nb201_nor_conv", 32, 32, 16, kernel=3, extra="no_relu")
    module = hwnas.build_unit(unit)
    assert [type(m).__name__ for m in module] == ["Conv2d", "BatchNorm2d"]
    assert hwnas.count_params(module) == 32 * 32 * 9 + 2 * 32


def test_node_unit_matches_cell_node(space):
    """An ``nb201_node`` unit computes the same as the cell's adds of zeroed and skipped terms."""
    unit = hwnas.Unit("nb201_node", 16, 16, 32, extra="adds=2,zeros=1")
    x = torch.randn(1, 16, 32, 32)
    with torch.no_grad():
        assert torch.allclose(hwnas.build_unit(unit)(x), 2 * x)
    for bad in ("adds=0,zeros=2", "adds=0,zeros=0", "inputs=2", "adds=x,zeros=1"):
        with pytest.raises(hwnas.ConfigError, match="adds=a,zeros=z"):
            hwnas.build_unit(hwnas.Unit("nb201_node", 16, 16, 32, extra=bad))


def test_graph_holds_the_cell_units(space):
    for arch in space.sample_many(5, 9):
        graph = space.to_graph(arch)
        assert graph.adjacency.shape == (8, 8) and graph.features.shape == (8, 7)
        np.testing.assert_array_equal(graph.features[1:7, 1:6].argmax(1), arch.genes)
        assert graph.adjacency[0, [1, 2, 4]].all() and graph.adjacency[[4, 5, 6], 7].all()
        assert graph.adjacency[1, [3, 5]].all() and graph.adjacency[3, 6] == 1
        fixed = Counter(u for u in space.units(arch) if u.op in ("nb201_stem", "nb201_resblock", "nb201_head"))
        from_graph = Counter(u for node in graph.units for u in node)
        assert from_graph + fixed == Counter(space.units(arch))


def test_cli_arch(space, capsys):
    assert cli_main(["arch", "--space", "nb201", ALL["nor_conv_3x3"]]) == 0
    out = capsys.readouterr().out
    assert "1,531,546" in out and "220,119,690" in out
    assert cli_main(["arch", "--space", "nb201", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hwnas: error:") and "unknown op 'conv'" in err and "\n" not in err


@pytest.mark.parametrize("text", [
    "|nor_conv_1x1~0|+|avg_pool_3x3~0|none~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|",
    "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|nor_conv_3x3~1|skip_connect~2|",
    "|none~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|",
    "|skip_connect~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|",
])
def test_units_count_what_onnx_runtime_runs(space, tmp_path, text):
    """The units hold exactly the convolutions, ReLUs, poolings, Muls and Adds left in ONNX
    Runtime's fully optimised graph (BN folded, identical ops merged, adds and ReLUs fused)."""
    import onnx
    import onnxruntime as ort

    arch = space.parse(text)
    path = hwnas.export_onnx(space.build(arch), space.default_input_shape, tmp_path / "net.onnx")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # the optimised model is machine-specific: ORT warns about it
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    ran = Counter(node.op_type for node in onnx.load(opts.optimized_model_filepath).graph.node)

    units = space.units(arch)
    convs = [u for u in units if u.op == "nb201_nor_conv"]
    nodes = [dict(kv.split("=") for kv in u.extra.split(",")) for u in units if u.op == "nb201_node"]
    # fixed parts: stem 1 conv; 2 reduction blocks of 3 convs, 1 ReLU and 1 pooling each; the
    # head's BN (which becomes a convolution with its ReLU fused when its input is blocked)
    head_bn = ran["BatchNormalization"]
    assert ran["Conv"] + head_bn == len(convs) + 1 + 2 * 3 + 1
    assert ran["Relu"] == sum(u.extra == "" for u in convs) + 2 + head_bn
    assert ran["AveragePool"] == sum(u.op == "nb201_avg_pool" for u in units) + 2
    assert ran["Mul"] == sum(int(n["zeros"]) for n in nodes)
    assert ran["Add"] == sum(int(n["adds"]) for n in nodes)
