# Copyright (c) mmssl_ext contributors. All rights reserved.
"""SupCon ImageNet config: the official TF settings it reproduces (configs/supcon/README.md lists the rest)."""

import os.path as osp

import torch
from mmengine.config import Config

from mmssl_ext.registry import MODELS
from mmssl_ext.utils import register_all_modules
from tests.helpers import ROOT

CFG = osp.join(ROOT, 'configs/supcon/supcon_resnet50_32xb192-lars-coslr-350e_in1k.py')


def test_tf_warmup_bias_decay_and_loss_scale():
    cfg = Config.fromfile(CFG)
    warm, cos = cfg.param_scheduler
    assert (warm.end, cos.begin, cos.T_max, cos.end) == (12, 12, 338, 350)  # 12 warm-up epochs of 350
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert 'bias' not in keys and keys['bn']['decay_mult'] == 0  # biases decay, BN does not
    register_all_modules()
    loss = MODELS.build(cfg.model.loss)
    feats = torch.nn.functional.normalize(torch.randn(8, 16), dim=1)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    pytorch_scaled = MODELS.build({**cfg.model.loss, 'base_temperature': 0.1})  # scale 1: the unscaled loss
    views = torch.stack([feats, feats.roll(1, 0)], dim=1)
    assert torch.allclose(loss(views, labels), 0.1 * pytorch_scaled(views, labels), rtol=1e-5)
