"""mmssl_ext.testing.smoke: a shrunk APS config keeps the patch sampler and the ViT on one grid."""

import pytest
import torch

from tests.helpers import smoke_cfg


@pytest.mark.parametrize(
    'config,patch',
    [
        ('aps/aps_vit-tiny-p2_1xb512-amp-coslr-1600e_cifar10.py', 4),
        ('aps/aps_vit-small-p16_32xb128-amp-coslr-300e_in1k.py', 4),
    ],
)
def test_smoke_config_keeps_sampler_and_vit_on_one_grid(config, patch, tmp_path):
    from mmssl_ext.testing.smoke import _find_transforms

    cfg = smoke_cfg(config, tmp_path, iters=2, batch_size=8, img_size=32, knn=False)
    (sampler,) = _find_transforms(cfg.train_dataloader, 'APSPatchSampler')
    assert (sampler.img_size, sampler.patch_size) == (32, patch)
    assert (cfg.model.backbone.img_size, cfg.model.backbone.patch_size) == (32, patch)
    if not torch.cuda.is_available():
        assert cfg.optim_wrapper.type == 'OptimWrapper' and 'loss_scale' not in cfg.optim_wrapper
