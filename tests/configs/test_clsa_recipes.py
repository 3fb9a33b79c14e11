"""CLSA configs: the paper-citing ImageNet multi-crop config runs crops alone; view count, order and sizes."""

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose

from tests.helpers import ROOT, config_path


def test_clsa_config_citing_the_paper_uses_per_crop_passes():
    """The ImageNet CLSA-Multi config cites the official 73.3: it runs each crop alone, as the official code."""
    cfg = Config.fromfile(f'{ROOT}/configs/clsa/clsa_resnet50_8xb32-multi-coslr-200e_in1k.py')
    assert cfg.model.group_views is False and (cfg.model.num_weak, cfg.model.num_strong) == (5, 5)


def _views(config, img):
    cfg = Config.fromfile(config_path(*config.split('/')))
    pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    np.random.seed(0)
    return cfg, pipeline(dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2]))['inputs']


@pytest.mark.parametrize(
    'config,sizes',
    [
        ('clsa/clsa_resnet18_1xb256-single-coslr-1000e_cifar10.py', [32, 32, 16]),
        ('clsa/clsa_resnet18_1xb256-multi-coslr-1000e_cifar10.py', [32] + [32, 28, 24, 20, 16] * 2),
        ('clsa/clsa_resnet50_8xb32-single-coslr-200e_in1k.py', [224, 224, 96]),
        ('clsa/clsa_resnet50_8xb32-multi-coslr-200e_in1k.py', [224] + [224, 192, 160, 128, 96] * 2),
    ],
)
def test_clsa_views_count_order_and_sizes(config, sizes):
    side = 256 if 'in1k' in config else 32
    img = np.random.RandomState(1).randint(0, 256, (side, side, 3), dtype=np.uint8)
    cfg, views = _views(config, img)
    assert [tuple(v.shape) for v in views] == [(3, s, s) for s in sizes]
    assert len(views) == 1 + cfg.model.num_weak + cfg.model.num_strong  # the model consumes every view
    groups = cfg.train_dataloader.dataset.pipeline[1]['transforms']
    strong = [any(op['type'] == 'CLSARandAugment' for op in group) for group in groups]
    # order: key, weak_1..Lw (no RandAugment), strong_1..Ls (RandAugment after the flip)
    assert strong == [False] * (1 + cfg.model.num_weak) + [True] * cfg.model.num_strong
    for group in groups:
        kinds = [op['type'] for op in group]
        if 'CLSARandAugment' in kinds:
            assert kinds.index('CLSARandAugment') == kinds.index('RandomFlip') + 1
