"""SupCon CIFAR-10 configs, a model built from them and labelled views for the SupCon tests (helper, not collected)."""

import copy

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmssl_ext.registry import MODELS
from tests.helpers import config_path

SUPCON = 'supcon/supcon_resnet18_1xb1024-coslr-1000e_cifar10.py'


CE = 'supcon/ce_resnet18_1xb1024-coslr-500e_cifar10.py'


STAGE2 = 'benchmarks/classification/cifar10/resnet18_linear-sgd-lr5-steplr-100e_cifar10.py'


LABELS = torch.tensor([0, 1, 0, 2, 1, 3, 3, 0])  # repeated classes: SupCon has positives beyond the other view


def _load(config):
    return Config.fromfile(config_path(*config.split('/')))


def _supcon_model(seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(_load(SUPCON).model))
    model.init_weights()
    return model


def _views(batch=8, size=16, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, size, size, generator=g) for _ in range(2)]


def _samples(labels):
    return [DataSample().set_gt_label(int(label)) for label in labels]
