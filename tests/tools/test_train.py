"""tools/train.py on the embedded digits dataset: training with the kNN hook, and CLI errors."""

import copy
import glob
import json
import math

import pytest
import torch
from mmengine.runner import Runner

from tests.helpers import config_path, smoke_cfg

SIMCLR_DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


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


def test_unknown_cfg_option_is_rejected(tmp_path):
    from tools.train import main

    with pytest.raises(KeyError, match="unknown config key 'trian_cfg.max_epochs'.*train_cfg"):
        main([SIMCLR_DEMO, '--work-dir', str(tmp_path), '--cfg-options', 'trian_cfg.max_epochs=1'])


def test_a_wrongly_typed_config_value_is_named(tmp_path):
    from tools.train import main

    # --cfg-options parses 'abc' as a string: the loss refuses it by name before any step
    with pytest.raises(TypeError, match=r"`temperature` must be a positive number, got 'abc' \(str\)"):
        main([SIMCLR_DEMO, '--work-dir', str(tmp_path), '--cfg-options', 'model.loss.temperature=abc'])
