"""SimSiamFeatAug: the deprecated alias builds SimSiam with a FeatAugHead and gives its loss."""

import pytest
import torch
from mmengine.logging import MessageHub

from mmssl_ext.models.heads import FeatAugHead
from mmssl_ext.registry import MODELS
from tests.models.algorithms.moco_helpers import images, simsiam_cfg, step, with_feat_aug


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


@pytest.mark.parametrize('alias, cfg_fn, ref_type', [('SimSiamFeatAug', simsiam_cfg, 'SimSiam')])
def test_deprecated_similarity_feataug_aliases_build_the_composed_model(alias, cfg_fn, ref_type, hub_max_iters):
    feat_aug = dict(augmenters=dict(type='GaussianNoise', std=0.1), loss_weight=0.5)
    torch.manual_seed(0)
    old = MODELS.build(cfg_fn(alias, feat_aug=feat_aug)).train()
    torch.manual_seed(1)
    new = MODELS.build(with_feat_aug(cfg_fn(ref_type), feat_aug)).train()
    new.load_state_dict(old.state_dict())
    assert isinstance(old, type(new)) and isinstance(old.head, FeatAugHead)
    old_losses, _ = step(old, images(16, 16), seed=3)
    new_losses, _ = step(new, images(16, 16), seed=3)
    assert torch.equal(old_losses['loss'], new_losses['loss'])
