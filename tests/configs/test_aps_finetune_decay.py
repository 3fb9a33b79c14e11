"""The APS ViT fine-tune configs exempt the position embedding and the cls token from weight decay (as timm does)."""

import glob
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from tests.helpers import ROOT

CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'benchmarks', 'classification', 'cifar*', 'vit-*_ft-*.py')))


class TinyViT(nn.Module):
    """Parameter names and shapes of a ViT: 3-d pos_embed / cls_token, 2-d weights, 1-d norms and biases."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.pos_embed = nn.Parameter(torch.zeros(1, 5, 4))
        self.backbone.cls_token = nn.Parameter(torch.zeros(1, 1, 4))
        self.backbone.proj = nn.Linear(4, 4)
        self.backbone.ln1 = nn.LayerNorm(4)


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_no_decay_on_pos_embed_and_cls_token(path):
    cfg = Config.fromfile(path)
    model = TinyViT()
    wrapper_cfg = cfg.optim_wrapper.copy()
    wrapper_cfg.type = 'OptimWrapper'
    wrapper_cfg.pop('loss_scale', None)
    wrapper = build_optim_wrapper(model, wrapper_cfg)
    decay = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            decay[names[id(p)]] = group['weight_decay']
    base = cfg.optim_wrapper.optimizer.weight_decay
    assert base > 0
    assert decay['backbone.pos_embed'] == 0 and decay['backbone.cls_token'] == 0
    assert decay['backbone.proj.bias'] == 0 and decay['backbone.ln1.weight'] == 0
    assert decay['backbone.proj.weight'] == pytest.approx(base)
