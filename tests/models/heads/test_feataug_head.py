"""FeatAugHead around BYOL's / SimSiam's head: zero weight is the base model, identity augmenter, detach_input."""

import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.models.selfsup import BYOL, SimSiam

from mmssl_ext.models.heads import FeatAugHead
from mmssl_ext.registry import MODELS
from tests.models.algorithms.moco_helpers import (
    base_keys,
    build_pair,
    byol_cfg,
    images,
    simsiam_cfg,
    step,
    with_feat_aug,
)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def hub_max_iters():
    """BYOL's CosineEMA reads 'max_iters' from the message hub; the old info is restored afterwards."""
    hub = MessageHub.get_current_instance()
    old = hub.get_info('max_iters')
    hub.update_info('max_iters', 100)
    yield hub
    hub.update_info('max_iters', old)


@pytest.mark.parametrize(
    'cfg_fn, ref_type, ref_cls',
    [(byol_cfg, 'mmpretrain.BYOL', BYOL), (simsiam_cfg, 'mmpretrain.SimSiam', SimSiam)],
    ids=['byol', 'simsiam'],
)
def test_similarity_feataug_zero_weight_is_base(cfg_fn, ref_type, ref_cls, hub_max_iters):
    ours, ref = build_pair(cfg_fn, ref_type, dict(augmenters=dict(type='GaussianNoise', std=0.5), loss_weight=0))
    assert type(ours) is ref_cls and type(ref) is ref_cls and isinstance(ours.head, FeatAugHead)
    for it in range(2):
        inputs = images(16, 16, seed=it)
        losses, total = step(ours, inputs, seed=90 + it)
        _, ref_total = step(ref, inputs, seed=90 + it)
        assert set(losses) == {'loss'}
        assert torch.equal(total, ref_total)
        grads_ref = {n: p.grad for n, p in ref.named_parameters()}
        for name, param in ours.named_parameters():
            ref_grad = grads_ref[name.replace('head.head.', 'head.', 1)]
            assert (param.grad is None) == (ref_grad is None), name
            assert param.grad is None or torch.equal(param.grad, ref_grad), name
    ref_state = ref.state_dict()
    for name, value in base_keys(ours.state_dict()).items():
        assert torch.equal(value, ref_state[name]), name


@pytest.mark.parametrize(
    'cfg_fn, ref_type',
    [(byol_cfg, 'mmpretrain.BYOL'), (simsiam_cfg, 'mmpretrain.SimSiam')],
    ids=['byol', 'simsiam'],
)
def test_similarity_feataug_identity_augmenter(cfg_fn, ref_type, hub_max_iters):
    # an identity augmenter makes the augmented term equal the base term: the loss doubles
    feat_aug = dict(augmenters=dict(type='GaussianNoise', std=0.0, on=('anchor', 'target')), loss_weight=1.0)
    ours, ref = build_pair(cfg_fn, ref_type, feat_aug)
    # the augmented term alone (keep_base_loss=False), from the same weights
    alone = MODELS.build(with_feat_aug(cfg_fn(ref_type), feat_aug, keep_base_loss=False)).train()
    alone.load_state_dict(ours.state_dict())
    losses, _ = step(ours, images(16, 16))
    ref_losses, _ = step(ref, images(16, 16))
    assert set(losses) == {'loss'}
    torch.testing.assert_close(losses['loss'], 2 * ref_losses['loss'], rtol=1e-6, atol=1e-7)
    alone_losses, _ = step(alone, images(16, 16))
    torch.testing.assert_close(alone_losses['loss'], ref_losses['loss'], rtol=1e-6, atol=1e-7)


def byol_aug_grads(on):
    torch.manual_seed(0)
    feat_aug = dict(augmenters=dict(type='GaussianNoise', std=0.1, on=on), loss_weight=1.0, detach_input=True)
    # the augmented term alone: its gradients are the ones the detach switches act on
    model = MODELS.build(with_feat_aug(byol_cfg('BYOL'), feat_aug, keep_base_loss=False)).train()
    model.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    losses = model.loss(images(16, 16), None)
    assert set(losses) == {'loss'}
    losses['loss'].backward()

    def has_grad(prefix):
        return any(p.grad is not None and p.grad.any() for n, p in model.named_parameters() if n.startswith(prefix))

    return has_grad


def test_byol_feataug_detach_input_on_anchor_blocks_backbone(hub_max_iters):
    has_grad = byol_aug_grads(('anchor',))
    assert not has_grad('backbone.')
    assert not has_grad('neck.')
    assert has_grad('head.head.predictor.')


def test_byol_feataug_detach_input_on_target_keeps_backbone_gradient(hub_max_iters):
    has_grad = byol_aug_grads(('target',))
    assert has_grad('backbone.')
    assert has_grad('head.head.predictor.')
