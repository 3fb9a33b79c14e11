"""A run SIGKILLed at a random iteration (or while writing a checkpoint) and resumed is the uninterrupted run.

Compared at the end: every tensor of the model (queue included), the optimizer state, the generators' state
and the logged loss and learning-rate histories, bit for bit. Three cases (issue 17): SimCLR with an
iteration-based loop, SimCLR with an epoch-based loop resumed mid-epoch, MoCo v2 (queue) killed during a
checkpoint write. The resumed launch has ``randomness.seed=None`` (the shipped configs' default: a fresh seed
per launch), so it also checks that the data order follows the checkpoint's seed.
"""

import os.path as osp
import random
import subprocess
import sys

import numpy as np
import torch

from mmssl_ext.utils import safe_torch_load
from tests.helpers import ROOT, smoke_cfg

HARNESS = osp.join(ROOT, 'tests', 'helpers', 'resume_harness.py')


def _train(kill, cfg_file, *args):
    out = subprocess.run(
        [sys.executable, HARNESS, kill, cfg_file, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    return out.returncode, out.stdout + out.stderr


def _config(tmp_path, name, config, iters, epochs=None, ckpt_interval=2):
    cfg = smoke_cfg(config, tmp_path / name, iters=iters, batch_size=8, img_size=16, knn=False)
    if epochs is not None:
        cfg.train_cfg.max_epochs = epochs
    cfg.default_hooks.checkpoint.update(interval=ckpt_interval, by_epoch=False, max_keep_ckpts=-1)
    cfg.default_hooks.logger.interval = 1
    path = str(tmp_path / f'{name}.py')
    cfg.dump(path)
    return path


def _assert_same(a, b, where):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


def _history(checkpoint):
    scalars = checkpoint['message_hub']['log_scalars']
    names = sorted(n for n in scalars if n.startswith('train/') and ('loss' in n or n == 'train/lr'))
    assert 'train/loss' in names
    return {n: scalars[n].data[0] for n in names}


def _check_equal(reference, resumed, steps):
    assert reference['meta']['iter'] == resumed['meta']['iter'] == steps
    _assert_same(reference['state_dict'], resumed['state_dict'], 'state_dict')
    _assert_same(reference['optimizer'], resumed['optimizer'], 'optimizer')
    _assert_same(reference['rng_state'], resumed['rng_state'], 'rng_state')
    ref_hist, res_hist = _history(reference), _history(resumed)
    _assert_same(ref_hist, res_hist, 'logged')
    assert all(len(h) == steps for h in ref_hist.values())


def _kill_resume_compare(tmp_path, config, iters, kill, final, epochs=None):
    ref_cfg = _config(tmp_path, 'reference', config, iters, epochs)
    code, log = _train('none', ref_cfg)
    assert code == 0, log[-3000:]
    steps = iters * (epochs or 1)
    reference = safe_torch_load(osp.join(str(tmp_path / 'reference'), final))

    cfg = _config(tmp_path, 'killed', config, iters, epochs)
    code, log = _train(kill, cfg)
    assert code == -9, f'expected a SIGKILL, got {code}: {log[-2000:]}'
    assert not osp.isfile(osp.join(str(tmp_path / 'killed'), final))
    code, log = _train('none', cfg, '--resume', '--cfg-options', 'randomness.seed=None')
    assert code == 0, log[-3000:]
    assert 'resumed epoch' in log
    resumed = safe_torch_load(osp.join(str(tmp_path / 'killed'), final))
    _check_equal(reference, resumed, steps)
    return log


def test_simclr_iteration_loop_killed_at_a_random_iteration(tmp_path):
    kill_at = random.Random(17).randint(3, 6)  # after the checkpoint at 2 or 4 or 6: replays 2-6 batches
    log = _kill_resume_compare(
        tmp_path, 'simclr/simclr_resnet18_1xb128-lars-coslr-170iter_cifar10.py', 8, f'iter:{kill_at}', 'iter_8.pth'
    )
    assert 'Replaying the' in log


def test_simclr_epoch_loop_resumed_mid_epoch(tmp_path):
    # 3 batches an epoch, checkpoints every 2 iterations: iteration 4 is the middle of epoch 2
    log = _kill_resume_compare(
        tmp_path, 'simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py', 3, 'iter:5', 'iter_9.pth', epochs=3
    )
    assert 'Replaying the 1 batches of epoch 2' in log


def test_mocov2_killed_while_writing_a_checkpoint(tmp_path):
    # killed during the second write (iter_4.pth): the resume starts from iter_2.pth, the partial file ignored
    log = _kill_resume_compare(
        tmp_path, 'mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py', 3, 'save:2', 'iter_9.pth', epochs=3
    )
    assert 'resumed epoch: 0, iter: 2' in log


def test_a_checkpoint_without_rng_state_resumes_with_a_warning(tmp_path):
    cfg = _config(tmp_path, 'old', 'simclr/simclr_resnet18_1xb128-lars-coslr-170iter_cifar10.py', 4)
    code, log = _train('iter:3', cfg)
    assert code == -9
    path = osp.join(str(tmp_path / 'old'), 'iter_2.pth')
    checkpoint = safe_torch_load(path)
    assert 'rng_state' in checkpoint
    del checkpoint['rng_state']  # as MMEngine (or an older mmssl_ext) writes it
    torch.save(checkpoint, path)
    code, log = _train('none', cfg, '--resume')
    assert code == 0, log[-3000:]
    assert 'has no rng_state' in log
