"""End-to-end runs on the embedded digits dataset through MMEngine's Runner: the loss falls, a resume restores
the MoCo queue, config errors are named."""

import copy
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests.helpers import config_path, smoke_cfg

MOCO = config_path('mocov2', 'mocov2_resnet18_1xb256-coslr-1000e_cifar10.py')

SIMCLR_DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


def _scalars(runner):
    with open(osp.join(runner.log_dir, 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f]


def test_simclr_loss_falls_on_real_digits(tmp_path):
    """Five epochs of the demo recipe on the 1,437 real training digits: epoch-5 loss < epoch-1 loss."""
    cfg = Config.fromfile(SIMCLR_DEMO)
    cfg.work_dir = str(tmp_path)
    cfg.custom_hooks = []
    cfg.train_cfg.max_epochs = 5
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=5, by_epoch=True, begin=0, end=5)]
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.experiment_name = 'loss_falls'
    runner = Runner.from_cfg(cfg)
    runner.train()
    rows = [r for r in _scalars(runner) if 'loss' in r]
    per_epoch = {e: [r['loss'] for r in rows if r['epoch'] == e] for e in (1, 5)}
    assert len(per_epoch[1]) == len(per_epoch[5]) == 4  # logged every 5 of 22 iterations
    first, last = (sum(v) / len(v) for v in per_epoch.values())
    assert last < first - 0.1, (first, last)


def test_moco_resume_restores_queue_pointer_and_iteration(tmp_path):
    """Interrupt after epoch 1, resume: same queue, same pointer, same iteration, then it goes on."""
    first = smoke_cfg(MOCO, tmp_path, iters=3, knn=False)
    runner = Runner.from_cfg(first)
    runner.train()  # "interrupted" after its first (and only) epoch
    saved_queue = runner.model.queue.clone()
    saved_ptr = int(runner.model.queue_ptr)
    assert saved_ptr == (3 * 8) % 32  # the pointer advanced by every enqueued key
    ckpt = osp.join(str(tmp_path), 'epoch_1.pth')
    assert osp.isfile(ckpt)

    resumed_cfg = copy.deepcopy(first)
    resumed_cfg.train_cfg.max_epochs = 2
    resumed_cfg.resume = True
    resumed_cfg.experiment_name = 'resumed'
    resumed = Runner.from_cfg(resumed_cfg)
    assert int(resumed.model.queue_ptr) == 0  # fresh model before loading
    resumed.load_or_resume()  # torch 2.14 loads weights_only=True: must not raise
    assert resumed.iter == 3 and resumed.epoch == 1
    assert int(resumed.model.queue_ptr) == saved_ptr
    torch.testing.assert_close(resumed.model.queue, saved_queue, rtol=0, atol=0)
    resumed.train()
    assert resumed.iter == 6
    assert int(resumed.model.queue_ptr) == (6 * 8) % 32


def test_unknown_constructor_argument_is_named(tmp_path):
    cfg = smoke_cfg(SIMCLR_DEMO, tmp_path)
    cfg.model.backbone.depht = 18
    with pytest.raises(TypeError, match='depht'):
        Runner.from_cfg(cfg).train()


def test_unregistered_type_in_config(tmp_path):
    cfg = smoke_cfg(SIMCLR_DEMO, tmp_path)
    cfg.model.type = 'SimCLRR'
    with pytest.raises(KeyError, match='SimCLRR is not in the mmssl_ext::model registry'):
        Runner.from_cfg(cfg).train()
