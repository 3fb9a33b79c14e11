"""Fixtures shared by the tests of the tools: a trained checkpoint of the digits demo."""

import os.path as osp

import pytest
from mmengine.runner import Runner

from tests.helpers import config_path, smoke_cfg

DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


@pytest.fixture(scope='module')
def trained_checkpoint(tmp_path_factory):
    work = tmp_path_factory.mktemp('pretrain')
    cfg = smoke_cfg(DEMO, work, img_size=32, knn=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return osp.join(str(work), 'epoch_1.pth'), runner.model.backbone.state_dict()
