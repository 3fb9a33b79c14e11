"""Host-device sync budget of the hot paths (counted on CPU by HostSyncCounter): the training step of SimCLR,
MoCo v2 and SupCon, MoCo v2's enqueue, and the structured-kernel hints that remove syncs without changing a value."""

import sys

import pytest
import torch
import torch.nn as nn

from mmssl_ext.models.losses.kernels import PairMasks, build_contrast_set, contrastive_log_softmax
from mmssl_ext.testing import HostSyncCounter
from tests.helpers import ROOT

sys.path.insert(0, ROOT)  # bench/ is imported from the checkout


def _train_step_syncs(case: str, impl: str) -> int:
    from bench.train_step import THEIRS, _Batches, _build, _load
    from mmssl_ext.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg, pipeline = _load(case)
    batch = _Batches(pipeline, 8, 16)()
    model, wrapper = _build(cfg if impl == 'ours' else THEIRS[case](cfg))
    model.train_step(batch, wrapper)  # first step: EMA copy, lazy state
    with HostSyncCounter() as counter:
        model.train_step(batch, wrapper)
    return counter.total


@pytest.mark.parametrize('case, budget', [('simclr', 1), ('mocov2', 1), ('supcon', 2)])
def test_training_step_sync_budget(case, budget):
    """SimCLR / MoCo v2: the unit-norm check is the only host read; SupCon adds unique() over labels."""
    ours = _train_step_syncs(case, 'ours')
    assert ours <= budget
    if case != 'supcon':
        assert ours < _train_step_syncs(case, 'mmpretrain')  # 2 and 3 with this counter


def test_mocov2_enqueue_makes_no_host_read():
    from mmssl_ext.models.algorithms.mocov2 import MoCoV2

    model = MoCoV2(
        backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=18),
        neck=dict(type='mmpretrain.MoCoV2Neck', in_channels=512, hid_channels=16, out_channels=8),
        queue_len=12,
        feat_dim=8,
    )
    keys = nn.functional.normalize(torch.randn(8, 8), dim=1)
    model.enqueue(keys)
    with HostSyncCounter() as counter:
        model.enqueue(keys)  # wraps around: slots 8..11 then 0..3
    assert counter.total == 0
    assert int(model.queue_ptr) == 4
    assert torch.equal(model.queue[:, 8:].T, keys[:4]) and torch.equal(model.queue[:, :4].T, keys[4:])


@pytest.mark.parametrize('labels', [None, torch.tensor([0, 1, 0, 2, 1, 1])])
def test_structured_kernel_hints_change_no_value(labels):
    """Masks with the host-side hints (num_keys, same_keys) give the losses and gradients of masks without."""
    torch.manual_seed(1)
    feats = nn.functional.normalize(torch.randn(6, 2, 5, dtype=torch.float64), dim=-1).requires_grad_()
    cs = build_contrast_set(feats, labels)
    hinted = cs.masks()
    assert hinted.same_keys and (hinted.num_keys == 6) == (labels is None)
    plain = PairMasks(anchor_keys=hinted.anchor_keys, contrast_keys=hinted.contrast_keys, self_index=hinted.self_index)
    out = []
    for masks in (hinted, plain):
        rows = contrastive_log_softmax(cs.anchors, cs.contrast, masks, 0.2)
        (grad,) = torch.autograd.grad(rows.sum(), feats)
        out.append((rows.detach(), grad))
    assert torch.allclose(out[0][0], out[1][0], rtol=0, atol=1e-12)
    assert torch.allclose(out[0][1], out[1][1], rtol=0, atol=1e-12)
    with HostSyncCounter() as counter:
        contrastive_log_softmax(cs.anchors, cs.contrast, hinted, 0.2, max_norm=1.001).sum().backward()
    assert counter.total == (0 if labels is None else 1)  # labels: unique()
