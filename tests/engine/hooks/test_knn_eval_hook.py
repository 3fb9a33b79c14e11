"""KNNEvalHook in iteration mode on real digits: schedule, subsets, logging, random-init evaluation."""

import glob
import json
import os.path as osp

import pytest
from mmengine.runner import Runner

from tests.helpers import smoke_cfg


def test_hook_every_n_iterations_with_subsets(tmp_path):
    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path, iters=4)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint.update(by_epoch=False, interval=4)
    hook = cfg.custom_hooks[0]
    hook.bank_dataloader.dataset.indices = None
    hook.query_dataloader.dataset.indices = None
    hook.update(by_epoch=False, interval=2, evaluate_before_train=True, bank_size=300, query_size=100, k=20)
    runner = Runner.from_cfg(cfg)
    runner.train()
    knn_hook = next(h for h in runner.hooks if type(h).__name__ == 'KNNEvalHook')
    bank, query = knn_hook._loaders
    assert len(bank.dataset) == 300 and len(query.dataset) == 100
    assert sorted(set(bank.dataset.get_gt_labels().tolist())) == list(range(10))
    with open(osp.join(runner.log_dir, 'vis_data', 'scalars.json')) as f:
        rows = [json.loads(line) for line in f if 'knn/top1' in line]
    assert [r['step'] for r in rows] == [0, 2, 4]  # initial weights, then every 2 iterations
    assert all(10.0 < r['knn/top1'] <= 100.0 for r in rows)  # real digits: well above 10% chance
    assert runner.message_hub.get_scalar('knn/top1').current() == rows[-1]['knn/top1']


def test_bank_smaller_than_k_is_refused_before_training(tmp_path):
    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path, iters=2)
    hook = cfg.custom_hooks[0]
    hook.bank_dataloader.dataset.indices = None
    hook.update(bank_size=50, k=200)
    with pytest.raises(ValueError, match=r'the kNN bank has 50 samples, fewer than k=200'):
        Runner.from_cfg(cfg).train()
    assert glob.glob(str(tmp_path / '*.pth')) == []


def test_evaluation_leaves_the_generators_as_they_were(tmp_path):
    """A kNN evaluation draws from torch's generator (each dataloader iterator takes a seed); the hook puts every
    generator back, so the crops after it are those of a run without monitoring."""
    from mmssl_ext.engine.runner import build_runner
    from mmssl_ext.utils import rng_state

    cfg = smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path, iters=2)
    cfg.custom_hooks[0].update(bank_size=32, query_size=16, k=8)
    cfg.custom_hooks[0].bank_dataloader.dataset.indices = None
    cfg.custom_hooks[0].query_dataloader.dataset.indices = None
    runner = build_runner(cfg)
    runner.train()
    hook = next(h for h in runner.hooks if type(h).__name__ == 'KNNEvalHook')
    before = rng_state()
    hook.evaluate(runner)
    after = rng_state()
    assert before['torch'].equal(after['torch']) and before['numpy'][0].equal(after['numpy'][0])
    assert before['python'][1].equal(after['python'][1])
