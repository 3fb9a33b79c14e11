"""SupCon CIFAR-10 configs: the linear stage 2 freezes the backbone and its BN statistics; the CE baseline matches."""

import copy
import glob
import itertools
import json
import math

import torch
import torch.nn as nn
from mmengine.runner import Runner

from mmssl_ext.testing.smoke import make_smoke_config
from mmssl_ext.utils import safe_torch_load
from tests.models.algorithms.supcon_helpers import CE, STAGE2, SUPCON, _load, _supcon_model

_RUN_IDS = itertools.count()


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
