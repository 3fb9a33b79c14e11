"""Budget benchmark presets: what a preset may change (the budget), and what it may not (the method)."""

import os.path as osp

import pytest
from mmengine.config import Config

from tests.helpers import ROOT
from tools.benchmarks.budget.methods import METHODS
from tools.benchmarks.budget.presets import PRESETS, apply_preset, find_type


def _cfg(name: str) -> Config:
    return Config.fromfile(osp.join(ROOT, METHODS[name].config))


def test_cpu_small_changes_the_budget_not_the_method(tmp_path):
    cfg = _cfg('simclr')
    out = apply_preset(cfg, PRESETS['cpu-small'], seed=3, work_dir=str(tmp_path))
    # budget: width 16 ResNet-18, its 128-d output feeds the projector, 390 iterations at batch 256
    assert out.model.backbone.base_channels == 16 and out.model.backbone.stem_channels == 16
    assert out.model.neck.in_channels == 128
    assert out.train_cfg == dict(type='ResumableIterBasedTrainLoop', max_iters=390, val_interval=390)
    assert out.train_dataloader.batch_size == 256 and out.randomness.seed == 3
    # warm-up (10 of 1000 epochs) and cosine keep their share of the run, now counted in iterations
    warm, cos = out.param_scheduler
    assert (warm.begin, warm.end, warm.by_epoch) == (0, 4, False)
    assert (cos.begin, cos.end, cos.T_max, cos.by_epoch) == (4, 390, 386, False)
    # the method's own hyper-parameters are untouched
    assert out.model.loss == cfg.model.loss and out.optim_wrapper.optimizer == cfg.optim_wrapper.optimizer
    assert out.model.neck.hid_channels == cfg.model.neck.hid_channels
    assert out.auto_scale_lr == dict(base_batch_size=256, enable=True)
    # the source config is not modified
    assert cfg.model.backbone.get('base_channels', 64) == 64 and cfg.train_cfg.type == 'ResumableEpochBasedTrainLoop'


@pytest.mark.parametrize(
    'name, path, epochs, iters',
    [
        ('mochi', ('mixer',), ('start_epoch', 15), ('start_iter', 6)),
        ('curated-simclr', ('curator',), ('warmup_epochs', 10), ('warmup_iters', 4)),
    ],
)
def test_epoch_delays_become_iteration_delays(tmp_path, name, path, epochs, iters):
    # an IterBasedTrainLoop stays in epoch 0: a delay of 15 of 1000 epochs becomes 6 of 390 iterations
    cfg = _cfg(name)
    part = apply_preset(cfg, PRESETS['cpu-small'], seed=0, work_dir=str(tmp_path)).model
    source = cfg.model
    for key in path:
        part, source = part[key], source[key]
    assert source[epochs[0]] == epochs[1]
    assert part[epochs[0]] == 0 and part[iters[0]] == iters[1]


def test_preset_scales_lr_from_the_config_batch(tmp_path):
    out = apply_preset(_cfg('supcon'), PRESETS['cpu-small'], seed=0, work_dir=str(tmp_path))
    assert out.budget['base_batch_size'] == 1024 and out.budget['batch_size'] == 256
    hooks = [h for h in out.custom_hooks if h['type'] == 'KNNEvalHook']
    assert len(hooks) == 1 and hooks[0]['interval'] == 97 and hooks[0]['by_epoch'] is False


def test_vit_preset_shrinks_the_vit_and_its_patch_sampler(tmp_path):
    out = apply_preset(_cfg('aps'), PRESETS['cpu-small'], seed=0, work_dir=str(tmp_path))
    assert out.model.backbone.arch['embed_dims'] == 128 and out.model.backbone.patch_size == 4
    samplers = find_type(out.train_dataloader, 'APSPatchSampler')
    assert samplers and all(s['patch_size'] == 4 for s in samplers)


def test_gpu_preset_needs_epochs(tmp_path):
    with pytest.raises(ValueError, match='--epochs'):
        apply_preset(_cfg('simclr'), PRESETS['gpu'], seed=0, work_dir=str(tmp_path))
