"""FNC end to end: a 2-iteration tools/train.py run on digits with 10 views; a resume restores the memory bank."""

import copy
import glob
import json
import math

import torch
from mmengine.runner import Runner

from mmssl_ext.utils import safe_torch_load
from tests.helpers import smoke_cfg

CONFIG = 'fnc/fnc_resnet18_1xb256-lars-coslr-1000e_cifar10.py'


def test_two_iterations_through_tools_train(tmp_path):
    from tools.train import main

    cfg = smoke_cfg(CONFIG, tmp_path / 'run', iters=2, knn=False)
    cfg.model.memory_multiplier = 40  # 320 columns: room for the 2 x 10 x 8 features of the run and empty columns
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    main([cfg_file])

    state = safe_torch_load(str(tmp_path / 'run' / 'epoch_1.pth'))['state_dict']
    rows = [json.loads(line) for line in open(glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'scalars.json'))[0])]
    losses = [r['loss'] for r in rows if 'loss' in r]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    batch, views = cfg.train_dataloader.batch_size, cfg.model.num_views
    memory = state['memory']
    assert memory.shape == (cfg.model.memory_multiplier * batch, cfg.model.feat_dim)
    written = memory.abs().sum(1) > 0
    assert int(written.sum()) == 2 * views * batch  # two steps of 10 views entered the bank, the rest is zeros
    torch.testing.assert_close(memory[written].norm(dim=1), torch.ones(int(written.sum())))  # unit EMA features
    assert int(state['encoder_ema.steps']) == 2
    assert not torch.equal(state['encoder_ema.module.0.conv1.weight'], state['backbone.conv1.weight'])


def test_resume_restores_the_memory_bank(tmp_path):
    first = smoke_cfg(CONFIG, tmp_path, iters=2, knn=False)
    first.model.memory_multiplier = 40  # 320 columns = the 4 steps x 10 views x 8 samples of both runs
    runner = Runner.from_cfg(first)
    runner.train()
    saved = runner.model.memory.clone()

    resumed_cfg = copy.deepcopy(first)
    resumed_cfg.train_cfg.max_epochs = 2
    resumed_cfg.resume = True
    resumed_cfg.experiment_name = f'{first.experiment_name}_resumed'
    resumed = Runner.from_cfg(resumed_cfg)
    assert resumed.model.memory.shape[0] == 0  # sized by the first step, or by a checkpoint
    resumed.load_or_resume()
    assert resumed.iter == 2
    assert torch.equal(resumed.model.memory, saved)
    resumed.train()
    step = first.model.num_views * first.train_dataloader.batch_size
    # FIFO: after two more steps the first run's entries moved back by two batches of views
    torch.testing.assert_close(resumed.model.memory[2 * step : 4 * step], saved[: 2 * step], rtol=0, atol=0)
