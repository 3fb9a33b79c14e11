"""SCE end to end: a 2-iteration tools/train.py run on digits; a resume restores the queue and the momentum schedule."""

import copy
import glob
import json
import math

import torch
from mmengine.runner import Runner

from mmssl_ext.models.utils import cosine_momentum
from mmssl_ext.utils import safe_torch_load
from tests.helpers import smoke_cfg

CONFIG = 'sce/sce_resnet18_1xb256-coslr-1000e_cifar10.py'


def test_two_iterations_through_tools_train(tmp_path):
    from tools.train import main

    cfg = smoke_cfg(CONFIG, tmp_path / 'run', iters=2, knn=False)
    probe = copy.deepcopy(cfg)
    probe.experiment_name = 'probe'
    init_model = Runner.from_cfg(probe).model
    init_model.init_weights()
    init = {k: v.detach().clone() for k, v in init_model.state_dict().items()}
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    main([cfg_file])

    ckpt = safe_torch_load(str(tmp_path / 'run' / 'epoch_1.pth'))
    state = ckpt['state_dict']
    assert ckpt['meta']['iter'] == 2
    for name in ('backbone.conv1.weight', 'predictor.fc0.weight'):
        assert not torch.equal(state[name], init[name]), name  # the optimizer moved the online branch
    rows = [json.loads(line) for line in open(glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'scalars.json'))[0])]
    losses = [r['loss'] for r in rows if 'loss' in r]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    batch = cfg.train_dataloader.batch_size
    assert cfg.model.queue_len == 4 * batch
    assert int(state['queue_ptr']) == 0  # symmetric: 2 steps x 2 keys per sample fill the queue exactly once
    assert bool((state['queue'] != init['queue']).any(0).all())  # every column holds an enqueued key
    assert int(state['encoder_k.steps']) == 2
    assert not any(k.startswith('encoder_k.module.predictor') for k in state)  # the target has no predictor


def test_resume_restores_queue_and_momentum_schedule(tmp_path):
    first = smoke_cfg(CONFIG, tmp_path, iters=3, knn=False)
    runner = Runner.from_cfg(first)
    runner.train()
    saved_queue, saved_ptr = runner.model.queue.clone(), int(runner.model.queue_ptr)
    assert saved_ptr == (3 * 2 * first.train_dataloader.batch_size) % first.model.queue_len != 0
    momentum = runner.model.encoder_k.current_momentum()
    assert momentum == cosine_momentum(0.01, 0.0, 2, 3)  # the run's length came from the runner

    resumed_cfg = copy.deepcopy(first)
    resumed_cfg.train_cfg.max_epochs = 2
    resumed_cfg.resume = True
    resumed_cfg.experiment_name = f'{first.experiment_name}_resumed'
    resumed = Runner.from_cfg(resumed_cfg)
    assert not torch.equal(resumed.model.queue, saved_queue)
    resumed.load_or_resume()
    assert resumed.iter == 3
    assert int(resumed.model.queue_ptr) == saved_ptr
    assert torch.equal(resumed.model.queue, saved_queue)
    assert int(resumed.model.encoder_k.steps) == 3
    resumed.train()
    batch = first.train_dataloader.batch_size
    assert int(resumed.model.queue_ptr) == (6 * 2 * batch) % first.model.queue_len
    assert int(resumed.model.encoder_k.steps) == 6
    assert resumed.model.encoder_k.current_momentum() == cosine_momentum(0.01, 0.0, 5, 6)
