"""ContrastiveSimCLR: equality with mmpretrain's SimCLR, one backbone pass over all views."""

import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.models.selfsup import SimCLR

from tests.models.algorithms.simclr_helpers import (
    _MISSING,
    CIFAR_BACKBONE,
    CIFAR_NECK,
    HUB_KEYS,
    B,
    assert_same_grads,
    build,
    images,
    step,
)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(autouse=True)
def clean_message_hub():
    """Run every test without a runner position in the message hub, and restore it after."""
    hub = MessageHub.get_current_instance()
    saved = {key: hub.pop_info(key, _MISSING) for key in HUB_KEYS}
    yield hub
    for key in HUB_KEYS:
        hub.pop_info(key)
        if saved[key] is not _MISSING:
            hub.update_info(key, saved[key])


def test_contrastive_simclr_equals_mmpretrain_simclr():
    ours = build('ContrastiveSimCLR', backbone=CIFAR_BACKBONE, neck=CIFAR_NECK)
    torch.manual_seed(123)
    ref = SimCLR(
        backbone=CIFAR_BACKBONE,
        neck=CIFAR_NECK,
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
    ).train()
    result = ref.load_state_dict(ours.state_dict(), strict=False)
    assert not [k for k in result.missing_keys if not k.startswith('head.')]
    assert not [k for k in result.unexpected_keys if not k.startswith('loss_module.')]
    inputs = images(batch=B, size=16, seed=1)
    losses = step(ours, inputs)
    ref_losses = step(ref, inputs)
    assert set(losses) == {'loss'}
    torch.testing.assert_close(losses['loss'], ref_losses['loss'], rtol=1e-5, atol=0)
    # mmpretrain interleaves the views (image 2i, 2i+1 = sample i), we concatenate them: the same batch-norm
    # statistics summed in another order, so float32 round-off of ~1e-6 of each gradient's scale remains
    assert_same_grads(ours, ref, rtol=1e-4, atol=1e-6, scaled_atol=1e-5)


def test_embed_is_one_backbone_pass_over_all_views():
    model = build('ContrastiveSimCLR')
    seen = []
    handle = model.backbone.register_forward_pre_hook(lambda mod, args: seen.append(args[0].shape[0]))
    inputs = images(seed=2)
    with torch.no_grad():
        z = model.embed(inputs)
        handle.remove()
        flat = model.project(torch.cat(inputs))
    assert seen == [2 * B]
    assert z.shape == (B, 2, 8)
    torch.testing.assert_close(z.norm(dim=-1), torch.ones(B, 2))
    torch.testing.assert_close(z[:, 0], flat[:B], rtol=0, atol=0)
    torch.testing.assert_close(z[:, 1], flat[B:], rtol=0, atol=0)
