"""--resume loads only a checkpoint that can resume the run: complete, finite, shaped like the model."""

import copy
import os.path as osp

import pytest
import torch

from mmssl_ext.engine import build_runner
from tests.helpers import config_path, smoke_cfg

MOCO = config_path('mocov2', 'mocov2_resnet18_1xb256-coslr-1000e_cifar10.py')


@pytest.fixture(scope='module')
def two_epochs(tmp_path_factory):
    """A MoCo v2 digits run of 2 epochs x 3 iterations with a checkpoint after each epoch."""
    work = tmp_path_factory.mktemp('moco')
    cfg = smoke_cfg(MOCO, work, iters=3, knn=False)
    cfg.train_cfg.max_epochs = 2
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=3)
    build_runner(cfg).train()
    assert osp.isfile(work / 'epoch_1.pth') and osp.isfile(work / 'epoch_2.pth')
    return cfg, work


def _resumer(cfg, work, name, load_from=None, **model):
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = str(work)
    cfg.train_cfg.max_epochs = 3
    cfg.resume = True
    cfg.load_from = load_from
    cfg.experiment_name = f'resume_{name}'
    cfg.model.update(model)
    return build_runner(cfg)


def _copy_run(src, dst):
    dst.mkdir()
    for name in ('epoch_1.pth', 'epoch_2.pth', 'last_checkpoint'):
        data = (src / name).read_bytes()
        if name == 'last_checkpoint':
            data = data.replace(str(src).encode(), str(dst).encode())
        (dst / name).write_bytes(data)
    return dst


def test_auto_resume_takes_the_latest_good_checkpoint(two_epochs, tmp_path):
    cfg, work = two_epochs
    runner = _resumer(cfg, _copy_run(work, tmp_path / 'ok'), 'ok')
    runner.load_or_resume()
    assert runner.epoch == 2


@pytest.mark.parametrize('damage', ['truncated', 'nan'])
def test_auto_resume_falls_back_past_a_bad_latest_checkpoint(two_epochs, tmp_path, damage, capsys):
    cfg, work = two_epochs
    run = _copy_run(work, tmp_path / damage)
    latest = run / 'epoch_2.pth'
    if damage == 'truncated':  # killed while writing (without the atomic backend)
        latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])
    else:
        ckpt = torch.load(str(latest), weights_only=False)
        ckpt['state_dict']['queue'][0, 0] = float('nan')
        torch.save(ckpt, str(latest))
    runner = _resumer(cfg, run, damage)
    runner.load_or_resume()
    assert runner.epoch == 1  # the previous, good checkpoint
    reason = 'does not load' if damage == 'truncated' else 'non-finite (first: queue)'
    logged = capsys.readouterr().out
    assert 'skipped newer checkpoints' in logged and reason in logged


def test_no_good_checkpoint_is_an_error(two_epochs, tmp_path):
    cfg, work = two_epochs
    run = _copy_run(work, tmp_path / 'bad')
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        (run / name).write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='No checkpoint in the work dir can resume this run'):
        _resumer(cfg, run, 'bad').load_or_resume()


def test_resume_of_another_config_names_the_mismatch(two_epochs, tmp_path):
    cfg, work = two_epochs
    path = str(work / 'epoch_2.pth')
    with pytest.raises(ValueError, match=r'written by another config: queue \(256, 32\) vs the model.s \(256, 128\)'):
        _resumer(cfg, tmp_path, 'other', load_from=path, queue_len=128).load_or_resume()


def test_resume_of_another_method_names_the_parameters(two_epochs, tmp_path):
    """A SimCLR checkpoint passed to ``--resume`` of MoCo v2 is refused (MMEngine would load the shared backbone,
    leave the key encoder and the queue at their initialisation and train on)."""
    from mmengine.config import Config

    from mmssl_ext.registry import MODELS

    cfg, _ = two_epochs
    simclr = Config.fromfile(config_path('simclr', 'simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py'))
    model = MODELS.build(simclr.model)
    path = str(tmp_path / 'simclr.pth')
    torch.save({'meta': {'epoch': 1, 'iter': 3}, 'state_dict': model.state_dict()}, path)
    with pytest.raises(ValueError, match=r'written by another method or model: \d+ of the model.s parameters are not'):
        _resumer(cfg, tmp_path / 'work', 'simclr', load_from=path).load_or_resume()
