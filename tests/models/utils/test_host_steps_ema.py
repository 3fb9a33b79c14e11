"""HostStepsEMA: MMEngine's EMA, bit for bit, reading its step counter from the device once (after a resume)."""

import copy

import torch
import torch.nn as nn
from mmengine.model import ExponentialMovingAverage

from mmssl_ext.models.utils import HostStepsEMA
from mmssl_ext.testing import HostSyncCounter


def _ema_pair(momentum=0.1):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    return net, ExponentialMovingAverage(net, momentum), HostStepsEMA(net, momentum)


def _perturb(net, step):
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.1 * (step + 1))
        net[1].running_mean.add_(0.5)


def test_host_steps_ema_equals_mmengine_ema():
    net, ref, ours = _ema_pair()
    for step in range(4):
        _perturb(net, step)
        ref.update_parameters(net)
        ours.update_parameters(net)
    for (k, a), (_, b) in zip(ref.state_dict().items(), ours.state_dict().items()):
        assert torch.equal(a, b), k
    assert int(ours.steps) == 4


def test_host_steps_ema_resumes_from_state_dict_and_reads_steps_once():
    net, ref, ours = _ema_pair()
    for step in range(3):
        _perturb(net, step)
        ref.update_parameters(net)
        ours.update_parameters(net)
    restored = HostStepsEMA(copy.deepcopy(net), 0.1)
    restored.load_state_dict(ours.state_dict())
    total = 0
    for step in range(3, 6):
        _perturb(net, step)
        ref.update_parameters(net)
        with HostSyncCounter() as counter:
            restored.update_parameters(net)
        total += counter.total
    assert total == 1  # the restored steps buffer, read once
    for (k, a), (_, b) in zip(ref.state_dict().items(), restored.state_dict().items()):
        assert torch.equal(a, b), k
