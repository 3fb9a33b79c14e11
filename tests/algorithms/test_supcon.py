"""SupCon: the frozen stage 2, missing labels, the loss against SupConLoss / SimCLR, and the CE baseline."""

import copy
import glob
import itertools
import json
import math

import pytest
import torch
import torch.nn as nn
from conftest import config_path
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mmssl_ext.models.losses import InfoNCELoss, SupConLoss
from mmssl_ext.registry import MODELS
from mmssl_ext.utils import safe_torch_load
from mmssl_ext.utils.smoke import make_smoke_config

SUPCON = 'supcon/supcon_resnet18_1xb1024-coslr-1000e_cifar10.py'
CE = 'supcon/ce_resnet18_1xb1024-coslr-500e_cifar10.py'
STAGE2 = 'benchmarks/classification/cifar10/resnet18_linear-sgd-lr5-steplr-100e_cifar10.py'
LABELS = torch.tensor([0, 1, 0, 2, 1, 3, 3, 0])  # repeated classes: SupCon has positives beyond the other view
_RUN_IDS = itertools.count()


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


# --------------------------------------------------------------------------------------------------
# stage 2: frozen backbone in eval mode
# --------------------------------------------------------------------------------------------------


def _stage1_checkpoint(path):
    """A SupCon state dict with non-default weights and BN statistics, saved as a train.py checkpoint."""
    model = _supcon_model(seed=3)
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for module in model.backbone.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.running_mean.copy_(0.1 * torch.randn(module.running_mean.shape, generator=g))
                module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=g))
                module.num_batches_tracked.fill_(7)
                module.weight.add_(0.1 * torch.randn(module.weight.shape, generator=g))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save({'state_dict': state}, path)
    return state


def _stage2_cfg(work_dir, checkpoint):
    cfg = make_smoke_config(
        _load(STAGE2), iters=2, batch_size=8, img_size=16, work_dir=str(work_dir), checkpoint=checkpoint
    )
    cfg.custom_hooks = []
    cfg.experiment_name = f'supcon_stage2_{next(_RUN_IDS)}'
    return cfg


def test_stage2_leaves_backbone_weights_and_bn_statistics_unchanged(tmp_path):
    from tools.train import main

    stage1_file = str(tmp_path / 'stage1.pth')
    stage1 = _stage1_checkpoint(stage1_file)
    cfg = _stage2_cfg(tmp_path / 'run', stage1_file)
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint=stage1_file, prefix='backbone.')

    probe = copy.deepcopy(cfg)
    probe.experiment_name = f'{cfg.experiment_name}_probe'
    model = Runner.from_cfg(probe).model
    model.init_weights()
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.train()
    norms = [m for m in model.backbone.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert len(norms) == 1 + 8 * 2 + 3  # stem, 8 basic blocks x 2, 3 downsample shortcuts
    assert all(not m.training for m in norms)
    assert all(not p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())

    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    main([cfg_file])
    ckpt = safe_torch_load(str(tmp_path / 'run' / 'epoch_1.pth'))
    assert ckpt['meta']['iter'] == 2
    state = ckpt['state_dict']

    backbone = sorted(k for k in state if k.startswith('backbone.'))
    assert backbone == sorted(k for k in stage1 if k.startswith('backbone.'))
    assert any(k.endswith('running_var') for k in backbone) and any(k.endswith('num_batches_tracked') for k in backbone)
    for key in backbone:
        assert torch.equal(init[key], stage1[key]), key  # the Pretrained init loaded stage 1
        assert torch.equal(state[key], stage1[key]), key  # and 2 training steps left it as it was
    tracked = [k for k in backbone if k.endswith('num_batches_tracked')]
    assert len(tracked) == len(norms) and all(int(state[k]) == 7 for k in tracked)  # no BN update counted
    for key in ('head.fc.weight', 'head.fc.bias'):
        assert not torch.equal(state[key], init[key]), key  # the linear classifier trained
    rows = [json.loads(line) for line in open(glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'scalars.json'))[0])]
    losses = [r['loss'] for r in rows if 'loss' in r]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)


# --------------------------------------------------------------------------------------------------
# the stage-1 model
# --------------------------------------------------------------------------------------------------


def test_supcon_without_labels_raises():
    model = _supcon_model()
    inputs = _views()
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, [DataSample() for _ in range(8)])
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, _samples(LABELS[:7]) + [DataSample()])  # one unlabelled image is enough
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, None)
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, _samples(LABELS[:7]))  # one sample short
    assert torch.isfinite(model.loss(inputs, _samples(LABELS))['loss'])


def test_supcon_loss_is_supconloss_of_the_embeddings():
    model = _supcon_model()
    assert (model.loss_module.temperature, model.loss_module.base_temperature) == (0.1, 0.07)
    inputs = _views()
    loss = model.loss(inputs, _samples(LABELS))['loss']
    with torch.no_grad():
        features = model.embed(inputs)
    assert features.shape == (8, 2, 128)
    official = SupConLoss(temperature=0.1, base_temperature=0.07)(features, labels=LABELS)
    torch.testing.assert_close(loss.detach(), official, rtol=1e-6, atol=0)
    unscaled = SupConLoss(temperature=0.1, base_temperature=0.1)(features, labels=LABELS)
    torch.testing.assert_close(official, unscaled * (0.1 / 0.07), rtol=1e-6, atol=0)  # the official quirk
    simclr = SupConLoss(temperature=0.1, base_temperature=0.07)(features, labels=torch.arange(8))
    assert not torch.allclose(official, simclr)  # the repeated labels matter


def test_supcon_with_distinct_labels_is_simclr():
    model = _supcon_model()
    cfg = _load(SUPCON).model
    simclr = MODELS.build(
        dict(
            type='ContrastiveSimCLR',
            backbone=cfg.backbone,
            neck=cfg.neck,
            loss=dict(type='InfoNCELoss', temperature=0.1),
        )
    )
    simclr.load_state_dict(model.state_dict(), strict=True)
    assert isinstance(simclr.loss_module, InfoNCELoss)
    inputs = _views()
    supcon_loss = model.loss(inputs, _samples(torch.arange(8)))['loss']
    simclr_loss = simclr.loss(inputs, _samples(torch.arange(8)))['loss']
    torch.testing.assert_close(supcon_loss, simclr_loss * (0.1 / 0.07), rtol=1e-5, atol=0)


# --------------------------------------------------------------------------------------------------
# the cross-entropy baseline
# --------------------------------------------------------------------------------------------------


def test_ce_baseline_matches_supcon_backbone_augmentation_and_batch():
    supcon, ce = _load(SUPCON), _load(CE)
    assert supcon.model.type == 'SupCon' and ce.model.type == 'ImageClassifier'
    assert supcon.model.backbone == ce.model.backbone
    assert (ce.model.backbone.type, ce.model.backbone.depth) == ('ResNet_CIFAR', 18)
    assert ce.model.head.in_channels == 512

    def transforms(pipeline):
        ops = []
        for op in pipeline:
            if op['type'] == 'MultiView':
                assert op['num_views'] == 2 and len(op['transforms']) == 1
                ops.extend(transforms(op['transforms'][0]))
            elif op['type'] not in ('LoadImageFromFile', 'PackInputs'):
                ops.append(op)
        return ops

    view = transforms(supcon.train_dataloader.dataset.pipeline)
    assert [op['type'] for op in view] == ['RandomResizedCrop', 'RandomFlip', 'RandomApply', 'RandomGrayscale']
    assert transforms(ce.train_dataloader.dataset.pipeline) == view
    assert [op['type'] for op in ce.train_dataloader.dataset.pipeline][::3] == ['LoadImageFromFile', 'RandomApply']
    assert supcon.train_dataloader.batch_size == ce.train_dataloader.batch_size == 1024
    assert supcon.train_dataloader.drop_last == ce.train_dataloader.drop_last
    for key in ('mean', 'std', 'to_rgb'):
        assert supcon.data_preprocessor[key] == ce.data_preprocessor[key], key
