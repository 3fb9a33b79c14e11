"""MoCo v2 family end to end: 2-iteration tools/train.py runs on digits and queue resume."""

import copy
import glob
import json
import math

import pytest
import torch
from mmengine.runner import Runner

from mmssl_ext.utils import safe_torch_load
from tests.helpers import smoke_cfg

METHODS = {
    'clsa-single': ('clsa', 'clsa_resnet18_1xb256-single-coslr-1000e_cifar10.py'),
    'clsa-multi': ('clsa', 'clsa_resnet18_1xb256-multi-coslr-1000e_cifar10.py'),
    'mochi': ('mochi', 'mochi_resnet18_1xb256-coslr-1000e_cifar10.py'),
    'feataug-mocov2': ('feataug', 'feataug-mocov2_resnet18_1xb256-coslr-1000e_cifar10.py'),
    'feataug-byol': ('feataug', 'feataug-byol_resnet18_1xb256-lars-coslr-1000e_cifar10.py'),
    'feataug-simsiam': ('feataug', 'feataug-simsiam_resnet18_1xb256-coslr-1000e_cifar10.py'),
}
QUEUE_METHODS = {'clsa-single', 'clsa-multi', 'mochi', 'feataug-mocov2'}


def _shrunk(name, work_dir, iters=2):
    cfg = smoke_cfg('/'.join(METHODS[name]), work_dir, iters=iters, knn=False)
    if name == 'mochi':
        cfg.model.mixer.update(num_hard=16, num_mix=8, num_query_mix=4, start_epoch=0)  # mix from step 1
    return cfg


def _initial_state(cfg):
    probe = copy.deepcopy(cfg)
    probe.experiment_name = f'{cfg.experiment_name}_probe'
    model = Runner.from_cfg(probe).model
    model.init_weights()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize('name', sorted(METHODS))
def test_two_iterations_through_tools_train(name, tmp_path):
    from tools.train import main

    cfg = _shrunk(name, tmp_path / 'run')
    init = _initial_state(cfg)
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    main([cfg_file])

    ckpt = safe_torch_load(str(tmp_path / 'run' / 'epoch_1.pth'))
    state = ckpt['state_dict']
    assert ckpt['meta']['iter'] == 2
    conv = 'backbone.conv1.weight'
    assert torch.equal(init[conv], _initial_state(cfg)[conv])  # the probe's init is deterministic
    assert not torch.equal(state[conv], init[conv])  # the optimizer moved the weights
    rows = [json.loads(line) for line in open(glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'scalars.json'))[0])]
    losses = [r['loss'] for r in rows if 'loss' in r]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    if name.startswith('clsa'):
        assert all('loss_contrast' in r and 'loss_ddm' in r for r in rows if 'loss' in r)
    if name == 'feataug-mocov2':  # FeatAugLoss names its terms (BYOL / SimSiam log their head's sum as `loss`)
        assert all('loss_aug' in r and 'loss_base' in r for r in rows if 'loss' in r)
        # the logged `loss` is the total that was back-propagated
        assert all(r['loss'] == pytest.approx(r['loss_base'] + r['loss_aug'], rel=1e-4) for r in rows if 'loss' in r)
    if name in QUEUE_METHODS:
        queue_len = cfg.model.queue_len
        assert int(state['queue_ptr']) == (2 * 8) % queue_len  # 2 steps x 8 keys enqueued
        assert not torch.equal(state['queue'][:, :16], init['queue'][:, :16])  # the enqueued keys
        # columns never written still hold train.py's initial random queue: the probe built the same model,
        # so `init` is the state train.py started from and "the weights moved" above is a real comparison
        assert torch.equal(state['queue'][:, 16:], init['queue'][:, 16:])


@pytest.mark.parametrize('name', ['clsa-single', 'mochi', 'feataug-mocov2'])
def test_resume_restores_the_queue(name, tmp_path):
    first = _shrunk(name, tmp_path, iters=3)
    runner = Runner.from_cfg(first)
    runner.train()
    saved_queue, saved_ptr = runner.model.queue.clone(), int(runner.model.queue_ptr)
    assert saved_ptr == (3 * 8) % first.model.queue_len

    resumed_cfg = copy.deepcopy(first)
    resumed_cfg.train_cfg.max_epochs = 2
    resumed_cfg.resume = True
    resumed_cfg.experiment_name = f'{first.experiment_name}_resumed'
    resumed = Runner.from_cfg(resumed_cfg)
    assert not torch.equal(resumed.model.queue, saved_queue)  # a fresh random queue before loading
    resumed.load_or_resume()
    assert resumed.iter == 3
    assert int(resumed.model.queue_ptr) == saved_ptr
    assert torch.equal(resumed.model.queue, saved_queue)
    resumed.train()
    assert int(resumed.model.queue_ptr) == (6 * 8) % first.model.queue_len
