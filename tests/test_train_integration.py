"""End-to-end runs on the embedded digits dataset: training, kNN hook, resume, CLI errors."""

import copy
import glob
import json
import math
import os.path as osp

import pytest
import torch
from conftest import config_path, smoke_cfg
from mmengine.config import Config
from mmengine.runner import Runner

MOCO = config_path('mocov2', 'mocov2_resnet18_1xb256-coslr-1000e_cifar10.py')
SIMCLR_DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


def _scalars(runner):
    with open(osp.join(runner.log_dir, 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f]


def test_train_cli_runs_simclr_and_logs_knn(tmp_path):
    from tools.train import main

    cfg = smoke_cfg(SIMCLR_DEMO, tmp_path)
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    probe = copy.deepcopy(cfg)
    probe.experiment_name = 'init_probe'  # its own Visualizer/MessageHub instances
    probe_model = Runner.from_cfg(probe).model
    probe_model.init_weights()
    init = probe_model.backbone.conv1.weight.detach().clone()

    def trained_conv1(run, lr):
        main(
            [
                cfg_file,
                '--work-dir',
                str(tmp_path / run),
                '--cfg-options',
                f'optim_wrapper.optimizer.lr={lr}',
                f'experiment_name={run}',
            ]
        )
        ckpt = torch.load(str(tmp_path / run / 'epoch_1.pth'), weights_only=True)
        return ckpt['state_dict']['backbone.conv1.weight']

    torch.testing.assert_close(trained_conv1('frozen', 0.0), init)  # lr=0: the CLI starts from `init`
    assert not torch.equal(trained_conv1('run', 0.06), init)  # a real step moves the weights
    rows = [json.loads(line) for line in open(glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'scalars.json'))[0])]
    losses = [r['loss'] for r in rows if 'loss' in r]
    knn = [r['knn/top1'] for r in rows if 'knn/top1' in r]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    assert len(knn) == 1 and 0.0 <= knn[0] <= 100.0


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


def test_unknown_cfg_option_is_rejected(tmp_path):
    from tools.train import main

    with pytest.raises(KeyError, match="unknown config key 'trian_cfg.max_epochs'.*train_cfg"):
        main([SIMCLR_DEMO, '--work-dir', str(tmp_path), '--cfg-options', 'trian_cfg.max_epochs=1'])


def test_a_wrongly_typed_config_value_is_named(tmp_path):
    from tools.train import main

    # --cfg-options parses 'abc' as a string: the loss refuses it by name before any step
    with pytest.raises(TypeError, match=r"`temperature` must be a positive number, got 'abc' \(str\)"):
        main([SIMCLR_DEMO, '--work-dir', str(tmp_path), '--cfg-options', 'model.loss.temperature=abc'])


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
