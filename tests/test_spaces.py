"""Contract tests run on every registered search space."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hwnas
from hwnas import ArchitectureError, HwnasError

SPACES = hwnas.list_spaces()


@pytest.fixture(params=SPACES)
def space(request) -> hwnas.SearchSpace:
    return hwnas.get_space(request.param)


def _randomise_batchnorm(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Non-trivial BN statistics and affine terms, so that BN folding is really checked."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            if m.affine:
                m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
    return model.eval()


def test_registry(space):
    assert space.name in hwnas.list_spaces()
    assert hwnas.get_space(space.name) is space
    assert space.size >= 1
    assert len(space.choices) == len(space.cardinalities) > 0


def test_unknown_space_rejected():
    with pytest.raises(hwnas.ConfigError, match="unknown space"):
        hwnas.create_space("no-such-space")


def test_parse_format_round_trip(space):
    for arch in space.sample_many(30, rng=1):
        text = space.format(arch)
        assert str(arch) == text
        assert space.parse(text) == arch
        assert space.as_arch(text) == arch
        assert space.make(arch.genes) == arch


def test_sample_mutate_crossover_valid_and_deterministic(space):
    a, b = space.sample(3), space.sample(4)
    assert a == space.sample(3) and space.make(a.genes) == a
    assert space.sample_many(10, 5) == space.sample_many(10, 5)
    child = space.mutate(a, rng=7)
    assert child == space.mutate(a, rng=7)
    assert child != a and space.make(child.genes) == child
    mix = space.crossover(a, b, rng=8)
    assert mix == space.crossover(a, b, rng=8)
    assert space.make(mix.genes) == mix


def test_foreign_architecture_rejected(space):
    other = hwnas.Architecture("not-" + space.name, space.sample(0).genes)
    with pytest.raises(ArchitectureError, match="space"):
        space.mutate(other, rng=0)


@pytest.mark.parametrize("text", ["", "garbage", "|||", "+-+-+"])
def test_malformed_strings_rejected(space, text):
    with pytest.raises(ArchitectureError) as err:
        space.parse(text)
    message = str(err.value)
    assert message and "\n" not in message
    assert isinstance(err.value, HwnasError)


def test_truncated_string_rejected(space):
    text = space.format(space.sample(0))
    with pytest.raises(ArchitectureError):
        space.parse(text[: len(text) // 2])


def test_encode_shapes(space):
    archs = space.sample_many(7, 2)
    batch = space.encode(archs)
    single = space.encode(archs[0])
    width = len(space.encoding_names)
    assert batch.shape == (7, width) and batch.dtype == np.float32
    assert single.shape == (width,)
    np.testing.assert_array_equal(batch[0], single)
    assert np.isfinite(batch).all()
    np.testing.assert_array_equal(space.encode_genes(space.genes_array(archs)), batch)


def test_build_onnx_runtime_agree(space, tmp_path):
    """A few sampled networks: torch and ONNX Runtime outputs agree to 1e-4."""
    x = np.random.default_rng(0).standard_normal((1, *space.default_input_shape)).astype(np.float32)
    for i, arch in enumerate(space.sample_many(2, 11)):
        model = _randomise_batchnorm(space.build(arch), seed=i)
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        assert expected.shape == (1, space.default_num_classes)
        path = hwnas.export_onnx(model, space.default_input_shape, tmp_path / f"{i}.onnx")
        got = hwnas.run_ort(hwnas.ort_session(path), x)
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def _run_counting_macs(model: torch.nn.Module, shape: tuple[int, ...]) -> tuple[torch.Tensor, int]:
    """The output on a batch of 2 zeros, and the conv and linear multiply-adds per sample
    (forward hooks: much faster than FlopCounterMode)."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        total += output[0].numel() * (module.weight.numel() // output.shape[1])

    layers = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    handles = [m.register_forward_hook(hook) for m in layers]
    with torch.no_grad():
        out = model.eval()(torch.zeros(2, *shape))
    for h in handles:
        h.remove()
    return out, total


def test_units_build_run_and_add_up(space):
    """Every unit builds and runs; the units' params and multiply-adds add up to the network's."""
    shape = space.default_input_shape
    arch = space.sample(5)
    units = space.units(arch, shape)
    assert units and all(isinstance(u, hwnas.Unit) for u in units)
    assert {u.op for u in units} <= set(hwnas.list_unit_ops())
    unit_params = unit_flops = 0
    for unit in set(units):
        module = hwnas.build_unit(unit)
        assert not module.training
        out, macs = _run_counting_macs(module, unit.input_shape)
        assert out.shape[0] == 2 and torch.isfinite(out).all()
        count = units.count(unit)
        unit_params += count * hwnas.count_params(module)
        unit_flops += count * macs
    network = space.build(arch)
    assert unit_params == pytest.approx(hwnas.count_params(network), rel=0.05)
    assert unit_flops == pytest.approx(_run_counting_macs(network, shape)[1], rel=0.05)


def test_unit_slots_when_given_are_each_networks_units(space):
    """A space's ``unit_slots`` (None: not offered) pick, from the genes each slot names, exactly
    ``units(arch)``: latency features of unseen networks are summed from them."""
    cards = np.asarray(space.cardinalities)
    for shape in (space.default_input_shape, (3, 64, 64)):
        slots = space.unit_slots(shape)
        if slots is None:
            continue
        assert [len(units) for _, genes, units in slots] == [int(np.prod(cards[list(genes)])) for _, genes, _ in slots]
        for arch in space.sample_many(30, 7):
            chosen = [units[np.ravel_multi_index(tuple(arch.genes[g] for g in genes), tuple(cards[list(genes)]))]
                      for _, genes, units in slots]
            assert [u for u in chosen if u is not None] == space.units(arch, shape)


def test_to_graph_shapes(space):
    for arch in space.sample_many(3, 6):
        graph = space.to_graph(arch)
        n = graph.adjacency.shape[0]
        assert graph.adjacency.shape == (n, n) and graph.features.shape[0] == n
        assert len(graph.units) == n
        assert set(np.unique(graph.adjacency)) <= {0.0, 1.0}
        assert not np.tril(graph.adjacency).any(), "nodes must be in topological order"
        assert all(isinstance(u, hwnas.Unit) for node in graph.units for u in node)
        assert np.isfinite(graph.features).all()
        assert graph.features.shape == space.to_graph(space.sample(0)).features.shape


def test_enumerate_small_spaces(space):
    if not space.is_finite_enumerable or space.size > 100_000:
        pytest.skip("too large to enumerate in a test")
    archs = list(space.enumerate())
    assert len(archs) == len(set(archs)) == space.size


def test_degenerate_networks_ignore_their_input(space):
    """``degenerate_mask`` is a row mask, and a network it flags gives the same output whatever
    the input (so it can only classify at chance); one it does not flag depends on its input."""
    archs = space.sample_many(30, 5)
    mask = space.degenerate_mask(space.genes_array(archs))
    assert mask.dtype == bool and mask.shape == (len(archs),)
    if space.name == "nb201":
        archs = [space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"),
                 space.parse("|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|")]
        mask = space.degenerate_mask(space.genes_array(archs))
        assert mask.tolist() == [True, False]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, *space.default_input_shape, generator=gen)
    for arch, degenerate in list(zip(archs, mask))[:2]:
        model = _randomise_batchnorm(space.build(arch), seed=1)
        with torch.no_grad():
            out = model(x)
        assert torch.equal(out[0], out[1]) == bool(degenerate)  # deep nets at init barely vary: exact


def test_nb201_degenerate_networks_are_the_chance_level_ones():
    """On the NB201 table, the flagged cells are exactly those at chance (10%) accuracy."""
    import pandas as pd

    from conftest import shared_file

    table = pd.read_csv(shared_file("nb201", "accuracy.csv"), usecols=["arch", "cifar10_test_acc"])
    space = hwnas.get_space("nb201")
    mask = space.degenerate_mask(space.genes_array([space.parse(a) for a in table["arch"]]))
    np.testing.assert_array_equal(mask, table["cifar10_test_acc"].to_numpy() < 15)
