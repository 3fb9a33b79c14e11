"""preserve_bn_stats: the running statistics of every batch-norm layer are restored on exit."""

import pytest
import torch
import torch.nn as nn

from mmssl_ext.models.utils import preserve_bn_stats
from tests.models.algorithms.simclr_helpers import bn_buffers


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_preserve_bn_stats_restores_running_statistics():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3))
    net.append(nn.BatchNorm1d(3)).train()
    x = torch.randn(5, 3, 8, 8)
    net(x)  # materialise the lazy layer; one tracked batch
    before = bn_buffers(net)
    assert len(before) == 6
    with preserve_bn_stats(net):
        out = net(x + 1.0)
        changed_inside = not torch.equal(net[1].running_mean, before['1.running_mean'])
    assert changed_inside and out.requires_grad
    for name, value in bn_buffers(net).items():
        assert torch.equal(value, before[name]), name
    net(x + 1.0)
    after = bn_buffers(net)
    for name in before:
        assert not torch.equal(after[name], before[name]), name
