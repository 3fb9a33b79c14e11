"""KNNValLoop / KNNTestLoop: kNN as MMEngine validation. The CIFAR-10 SimCLR config on digits validates with
``knn/top1`` equal to the offline kNN of the same backbone, keeps the best checkpoint (``save_best='auto'``), and
``tools/test.py CONFIG CHECKPOINT`` reports the same figures."""

import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

from mmssl_ext.engine.runner import KNNTestLoop, KNNValLoop
from mmssl_ext.evaluation import KNNMetric, extract_backbone_features
from tests.helpers import smoke_cfg

CONFIG = 'simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py'


def _offline_knn(runner, k):
    """The kNN of the runner's backbone over its val set's bank and queries, through the offline functions."""
    dataset = runner.val_loop.dataloader.dataset
    loaders = [
        torch.utils.data.DataLoader(split, batch_size=8, collate_fn=runner.val_loop.dataloader.collate_fn)
        for split in (torch.utils.data.Subset(dataset.bank, dataset.bank_indices),
                      torch.utils.data.Subset(dataset.query, dataset.query_indices))
    ]  # fmt: skip
    runner.model.eval()
    (bank, bank_labels), (query, query_labels) = (extract_backbone_features(runner.model, d) for d in loaders)
    return KNNMetric(k=k, temperature=0.1).score(bank, bank_labels, query, query_labels)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('knn_val')
    cfg = smoke_cfg(CONFIG, work_dir, iters=3, img_size=16)
    cfg.default_hooks.checkpoint.save_best = 'auto'  # the shipped default_runtime's, dropped by the smoke shrink
    runner = Runner.from_cfg(cfg)
    runner.train()
    return cfg, runner


def test_validation_is_the_offline_knn_and_keeps_the_best_checkpoint(trained):
    cfg, runner = trained
    assert isinstance(runner.val_loop, KNNValLoop) and isinstance(runner.test_loop, KNNTestLoop)
    k = cfg.val_evaluator.k
    assert k == 16  # the smoke shrink caps k=200 at the digits bank of 16 images
    scalars = [json.loads(line) for line in open(glob.glob(osp.join(cfg.work_dir, '*', 'vis_data', 'scalars.json'))[0])]
    logged = [s for s in scalars if 'knn/top1' in s]
    assert len(logged) == 1 and logged[0]['step'] == 1  # validated once, after epoch 1 (val_interval=1)
    offline = _offline_knn(runner, k)
    assert logged[0]['knn/top1'] == pytest.approx(offline['knn/top1'])
    assert logged[0]['knn/top5'] == pytest.approx(offline['knn/top5'])
    assert osp.isfile(osp.join(cfg.work_dir, 'best_knn_top1_epoch_1.pth'))
    assert runner.message_hub.get_info('best_score') == pytest.approx(offline['knn/top1'])


def test_test_tool_reports_the_knn_of_a_checkpoint(trained, tmp_path):
    from tools.test import main

    cfg, runner = trained
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    metrics = main([cfg_file, osp.join(cfg.work_dir, 'epoch_1.pth'), '--work-dir', str(tmp_path / 'test'),
                    '--cfg-options', 'experiment_name=knn_test_tool'])  # fmt: skip
    assert set(metrics) == {'knn/top1', 'knn/top5'}
    offline = _offline_knn(runner, cfg.test_evaluator.k)
    assert metrics == pytest.approx(offline)


def test_validation_of_a_model_without_a_backbone_is_named(trained):
    cfg, runner = trained
    backbone = runner.model.backbone
    try:
        del runner.model.backbone
        with pytest.raises(AttributeError, match='backbone'):
            runner.val_loop.run()
    finally:
        runner.model.backbone = backbone


def test_validation_leaves_the_generators_as_they_were(trained):
    import random

    import numpy as np

    from mmssl_ext.utils.rng_state import rng_state, set_rng_state

    def draws():
        return torch.rand(3).tolist(), random.random(), float(np.random.rand())

    _, runner = trained
    before = rng_state()
    runner.val_loop.run()
    after_validation = draws()
    set_rng_state(before)
    assert draws() == after_validation
    # the guard matters: a dataloader iterator draws its base seed from the torch generator
    set_rng_state(before)
    iter(torch.utils.data.DataLoader(range(4)))
    assert draws() != after_validation


def test_a_bank_smaller_than_k_is_refused_when_the_loop_is_built(tmp_path):
    cfg = smoke_cfg(CONFIG, tmp_path, iters=1, img_size=16)
    cfg.val_evaluator.k = 17  # the digits bank has 16 images
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'KNNValLoop: the kNN bank has 16 samples, fewer than k=17 neighbours'):
        runner.train()
    assert not glob.glob(osp.join(cfg.work_dir, '*.pth'))  # refused before the first step: no checkpoint
