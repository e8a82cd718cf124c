"""Structured channel pruning: real channels leave the torch model and its ONNX graph."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from torch import nn

from hwnas import ConfigError, count_params, export_onnx
from hwnas.pipeline import build_origin_cnn, find_prunable_chains, prune_channels


class Block(nn.Module):
    """An inverted-residual block: 1x1 expand, depthwise, 1x1 project, residual when shapes match."""

    def __init__(self, cin: int, cout: int, expansion: int, stride: int = 1):
        super().__init__()
        hidden = cin * expansion
        self.expand = nn.Sequential(nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU())
        self.depthwise = nn.Sequential(nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
                                       nn.BatchNorm2d(hidden), nn.ReLU())
        self.project = nn.Sequential(nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


def _net() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                        Block(16, 16, 4), Block(16, 24, 6, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(24, 10))
    for m in net.modules():  # a trained-looking network: BN statistics and scales that differ
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.1, 1.0)
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return net.eval()


def test_finds_the_hidden_channels_of_each_block():
    chains = find_prunable_chains(_net())
    producers = {c.producer: c for c in chains}
    assert "3.expand.0" in producers and "4.expand.0" in producers
    assert producers["3.expand.0"].consumer == "3.project.0"
    assert producers["3.expand.0"].channels == 64
    assert "3.depthwise.0" in producers["3.expand.0"].middle


def test_pruning_removes_channels_and_keeps_the_strongest():
    net = _net()
    bn = net[3].expand[1]
    bn.weight.data[:] = 0.01
    strong = torch.tensor([1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61])
    bn.weight.data[strong] = 1.0
    result = prune_channels(net, keep_ratio=0.25)
    pruned = result.model
    assert pruned[3].expand[0].out_channels == 16
    assert pruned[3].depthwise[0].groups == 16 and pruned[3].project[0].in_channels == 16
    assert torch.equal(pruned[3].expand[1].weight.data, torch.ones(16))
    assert result.channels_after < result.channels_before
    assert count_params(pruned) < count_params(net)
    assert net[3].expand[0].out_channels == 64, "the original model is left untouched"
    x = torch.randn(2, 3, 32, 32)
    assert pruned(x).shape == net(x).shape


def test_keeping_everything_changes_nothing():
    net = _net()
    pruned = prune_channels(net, keep_ratio=0.999, multiple=1).model
    x = torch.randn(4, 3, 32, 32)
    torch.testing.assert_close(pruned(x), net(x))


def test_pruned_onnx_graph_is_smaller(tmp_path):
    net = _net()
    pruned = prune_channels(net, keep_ratio=0.5).model
    a = export_onnx(net, (3, 32, 32), tmp_path / "a.onnx")
    b = export_onnx(pruned, (3, 32, 32), tmp_path / "b.onnx")
    assert b.stat().st_size < a.stat().st_size

    def conv_channels(path):
        g = onnx.load(str(path)).graph
        inits = {i.name: i for i in g.initializer}
        return sum(inits[n.input[1]].dims[0] for n in g.node if n.op_type == "Conv")

    assert conv_channels(b) < conv_channels(a)


def test_linear_chains_of_the_baseline_are_pruned():
    net = build_origin_cnn().eval()
    result = prune_channels(net, keep_ratio=0.5)
    assert result.kept == {"4": 128}
    assert net(torch.zeros(1, 3, 32, 32)).shape == result.model(torch.zeros(1, 3, 32, 32)).shape


def test_nothing_to_prune_and_bad_ratio_are_clear_errors():
    with pytest.raises(ConfigError, match="no prunable"):
        prune_channels(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), 0.5)
    with pytest.raises(ConfigError, match="keep_ratio"):
        prune_channels(_net(), 1.5)


def test_pruning_is_deterministic():
    a = prune_channels(_net(), 0.5).model.state_dict()
    b = prune_channels(_net(), 0.5).model.state_dict()
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_calibrated_pruning_removes_what_does_not_vary_and_folds_its_mean_into_the_bias():
    net = build_origin_cnn().eval()
    fc1 = net[4]  # Linear 4096 -> 256, ReLU, Linear 256 -> 10: its 256 hidden units are a chain
    with torch.no_grad():
        fc1.weight[:128] = 0.0  # half the hidden units output a constant the classifier relies on
        fc1.bias[:128] = torch.linspace(0.5, 2.0, 128)
        fc1.weight[128:] *= 10.0  # and the other half vary strongly
    calibration = torch.randn(32, 3, 32, 32).numpy()
    x = torch.randn(4, 3, 32, 32)
    calibrated = prune_channels(net, keep_ratio=0.5, calibration=calibration).model
    torch.testing.assert_close(calibrated(x), net(x), atol=1e-4, rtol=1e-4)
    by_weights = prune_channels(net, keep_ratio=0.5).model  # drops the constant units and their mean
    assert not torch.allclose(by_weights(x), net(x), atol=1e-2)


def test_calibrated_pruning_of_an_inverted_residual_network_runs_and_exports(tmp_path):
    net = _net()
    calibration = torch.randn(16, 3, 32, 32).numpy()
    pruned = prune_channels(net, keep_ratio=0.5, calibration=calibration).model
    assert pruned[3].project[0].bias is not None, "the removed channels' mean is a bias now"
    x = torch.randn(2, 3, 32, 32)
    assert pruned(x).shape == net(x).shape
    path = export_onnx(pruned, (3, 32, 32), tmp_path / "p.onnx")
    assert path.stat().st_size > 0
