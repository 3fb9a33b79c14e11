"""FeatAugLoss around MoCo v2's QueueInfoNCELoss: zero weight is MoCo v2, identity augmenters, detach, the queue."""

import pytest
import torch

from mmssl_ext.models.algorithms import MoCoV2
from mmssl_ext.models.feature_augs import FeatAugLoss
from tests.models.algorithms.moco_helpers import (
    FT,
    IDENTITY_FT,
    assert_same_grads,
    assert_same_queue,
    build,
    clone_into,
    feataug,
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


def test_mocov2_feataug_zero_weight_is_mocov2():
    model = build('MoCoV2', loss=feataug(dict(augmenters=FT, loss_weight=0.0, detach_input=False)))
    moco = clone_into(model, 'MoCoV2')
    assert type(model) is MoCoV2 and isinstance(model.loss_module, FeatAugLoss)
    for it in range(2):
        inputs = images(16, 16, seed=it)
        losses, total = step(model, inputs, seed=60 + it)
        _, ref_total = step(moco, inputs, seed=60 + it)
        assert set(losses) == {'loss_base'}
        assert torch.equal(total, ref_total)
        assert_same_grads(model, moco, exact=True)
        assert_same_queue(model, moco)


def test_mocov2_feataug_identity_augmenters():
    model = build('MoCoV2', loss=feataug(dict(augmenters=IDENTITY_FT, loss_weight=1.0, detach_input=False)))
    losses, _ = step(model, images(16, 16))
    assert set(losses) == {'loss_base', 'loss_aug'}
    torch.testing.assert_close(losses['loss_aug'], losses['loss_base'], rtol=1e-6, atol=0)


def test_mocov2_feataug_detached_query_is_refused():
    # A detached query leaves loss_aug without gradient (keys and queue are stop-gradient in MoCo).
    with pytest.raises(ValueError, match='detach_input'):
        build('MoCoV2', loss=feataug(dict(augmenters=FT, loss_weight=1.0, detach_input=True)))
    # Only the negatives augmented: the query keeps its gradient, so detach_input=True is allowed.
    feat_aug = dict(augmenters=dict(type='NegativeInterpolation', mu=0.5), loss_weight=1.0, detach_input=True)
    model = build('MoCoV2', loss=feataug(feat_aug))
    model.train()
    torch.manual_seed(7)
    losses = model.loss(images(16, 16), None)
    grads = torch.autograd.grad(losses['loss_aug'], list(model.backbone.parameters()), allow_unused=True)
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    # Weight 0 skips the branch, so the combination is harmless there.
    build('MoCoV2', loss=feataug(dict(augmenters=FT, loss_weight=0.0, detach_input=True)))


def test_mocov2_feataug_uses_augmented_negatives():
    feat_aug = dict(augmenters=dict(type='NegativeInterpolation', mu=0.5), loss_weight=1.0)
    model = build('MoCoV2', loss=feataug(feat_aug))
    moco = clone_into(model, 'MoCoV2')
    inputs = images(16, 16)
    losses, _ = step(model, inputs, seed=75)
    ref_losses, _ = step(moco, inputs, seed=75)
    torch.testing.assert_close(losses['loss_base'], ref_losses['loss'], rtol=1e-6, atol=0)
    assert not torch.allclose(losses['loss_aug'], losses['loss_base'])  # only the negatives differ
    assert_same_queue(model, moco)


def test_mocov2_feataug_queue_untouched_by_augmenters():
    model = build('MoCoV2', loss=feataug(dict(augmenters=FT, loss_weight=1.0, detach_input=False)))
    moco = clone_into(model, 'MoCoV2')
    for it in range(2):
        inputs = images(16, 16, seed=it)
        losses, _ = step(model, inputs, seed=70 + it)
        ref_losses, _ = step(moco, inputs, seed=70 + it)
        torch.testing.assert_close(losses['loss_base'], ref_losses['loss'], rtol=1e-6, atol=0)
        assert not torch.allclose(losses['loss_aug'], losses['loss_base'])  # the augmenters did act
        assert_same_queue(model, moco)


def test_mocov2_feataug_without_base_loss():
    feat_aug = dict(augmenters=IDENTITY_FT, loss_weight=0.5, detach_input=False)  # FT recipe: gradient kept
    model = build('MoCoV2', loss=feataug(feat_aug, keep_base_loss=False))
    moco = clone_into(model, 'MoCoV2')
    inputs = images(16, 16)
    losses, _ = step(model, inputs, seed=80)
    ref_losses, _ = step(moco, inputs, seed=80)
    assert set(losses) == {'loss_aug'}
    torch.testing.assert_close(losses['loss_aug'], 0.5 * ref_losses['loss'], rtol=1e-6, atol=0)
    assert_same_queue(model, moco)
