"""MoCoV2FeatAug: the deprecated alias builds MoCoV2 with a FeatAugLoss and gives its losses."""

import pytest
import torch

from mmssl_ext.models.algorithms import MoCoV2
from mmssl_ext.models.feature_augs import FeatAugLoss
from tests.models.algorithms.moco_helpers import FT, assert_same_queue, build, clone_into, feataug, images, step


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_deprecated_mocov2_feataug_alias_builds_the_composed_model():
    feat_aug = dict(augmenters=FT, loss_weight=1.0, detach_input=False)
    old = build('MoCoV2FeatAug', feat_aug=feat_aug, keep_base_loss=False)
    new = clone_into(old, 'MoCoV2', loss=feataug(feat_aug, keep_base_loss=False))
    assert isinstance(old, MoCoV2) and isinstance(old.loss_module, FeatAugLoss)
    inputs = images(16, 16)
    old_losses, _ = step(old, inputs, seed=81)
    new_losses, _ = step(new, inputs, seed=81)
    assert set(old_losses) == {'loss_aug'} and torch.equal(old_losses['loss_aug'], new_losses['loss_aug'])
    assert_same_queue(old, new)
