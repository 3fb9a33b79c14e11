"""TrainLoopGuardHook: an empty run (no batch per epoch, no iterations, a queue shorter than one step of keys) is
refused before training and leaves no checkpoint."""

import glob
import os.path as osp

import pytest

from tests.helpers import config_path

DIGITS = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


def _train(tmp_path, name, *options):
    from tools.train import main

    main([DIGITS, '--work-dir', str(tmp_path / name), '--cfg-options', f'experiment_name=guard_{name}', *options])


def _checkpoints(tmp_path, name):
    return sorted(glob.glob(osp.join(str(tmp_path / name), '*.pth')))


def test_run_without_a_batch_per_epoch_is_refused_before_training(tmp_path):
    # about 1,400 training digits, batch 4096, drop_last=True: zero iterations (it used to save epoch_3.pth)
    with pytest.raises(ValueError, match=r'No training batch per epoch: \d+ samples, .*batch_size=4096 x 1'):
        _train(tmp_path, 'empty', 'train_dataloader.batch_size=4096', 'train_cfg.max_epochs=3')
    assert _checkpoints(tmp_path, 'empty') == []


def test_zero_length_loop_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r'no iterations \(max_epochs=0'):
        _train(tmp_path, 'zero', 'train_cfg.max_epochs=0')
    assert _checkpoints(tmp_path, 'zero') == []


def test_a_queue_shorter_than_one_step_of_keys_is_refused_before_training(tmp_path):
    from mmssl_ext.engine import build_runner
    from tests.helpers import smoke_cfg

    moco = config_path('mocov2', 'mocov2_resnet18_1xb256-coslr-1000e_cifar10.py')
    cfg = smoke_cfg(moco, tmp_path / 'queue', iters=2, batch_size=8, knn=False)
    cfg.model.queue_len = 6
    runner = build_runner(cfg)
    with pytest.raises(ValueError, match=r'writes 8 keys \(global batch 8 = .*model.queue_len=6; raise model'):
        runner.train()
    assert _checkpoints(tmp_path, 'queue') == []
    model = runner.model
    model.check_global_batch(4)  # 6 is not a multiple of 4: accepted, writes wrap around
    model.symmetric = True
    with pytest.raises(ValueError, match=r'writes 8 keys \(two keys per sample with symmetric=True\)'):
        model.check_global_batch(4)
