"""Pre-training on an unlabelled image folder: the shipped config trains; an unlabelled kNN (hook or loop) is off."""

import copy
import glob
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

from tests.helpers import config_path

CONFIG = 'simclr/simclr_resnet18_1xb256-lars-coslr-200e_image-folder.py'


def _image_folder(root, count=24):
    """``count`` random RGB images in nested folders, of mixed sizes and formats (no labels anywhere)."""
    rng = np.random.default_rng(0)
    for i in range(count):
        sub = osp.join(root, f'part{i % 3}', 'deeper' if i % 2 else '')
        path = osp.join(sub, f'img{i}.{"png" if i % 2 else "jpg"}')
        size = (40 + 4 * (i % 5), 36 + 4 * (i % 4))
        os.makedirs(sub, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return root


def _shrunk(tmp_path, knn_on_folder):
    root = _image_folder(str(tmp_path / 'images'))
    cfg = Config.fromfile(config_path(*CONFIG.split('/')))
    cfg.train_dataloader.dataset.data_root = root
    cfg.train_dataloader.update(batch_size=8, num_workers=0, persistent_workers=False)
    cfg.model.backbone.update(stem_channels=8, base_channels=8)
    cfg.model.neck.update(in_channels=64, hid_channels=32, out_channels=16)
    cfg.view_pipeline[0]['scale'] = 16
    cfg.train_dataloader.dataset.pipeline[1]['transforms'][0][0]['scale'] = 16
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.work_dir = str(tmp_path / 'run')
    cfg.experiment_name = f'image_folder_{knn_on_folder}'
    if knn_on_folder:
        unlabelled: dict = dict(
            batch_size=8,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            dataset=dict(
                type='mmpretrain.CustomDataset',
                data_root=root,
                with_label=False,
                pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')],
            ),
        )
    if knn_on_folder == 'hook':
        cfg.custom_hooks = [
            dict(type='KNNEvalHook', bank_dataloader=unlabelled, query_dataloader=copy.deepcopy(unlabelled), k=5)
        ]
    elif knn_on_folder == 'loop':
        folder = unlabelled.pop('dataset')
        cfg.val_dataloader = dict(unlabelled, dataset=dict(type='KNNEvalDataset', bank=folder, query=folder))
        cfg.val_evaluator = dict(type='KNNMetric', k=5)
        cfg.val_cfg = dict(type='KNNValLoop')
        cfg.train_cfg.max_epochs = 2
        cfg.train_cfg.val_interval = 1
    return cfg


def test_the_config_reads_every_image_of_the_folder_without_labels(tmp_path):
    cfg = _shrunk(tmp_path, knn_on_folder=False)
    from mmssl_ext.registry import DATASETS

    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 24  # nested folders included
    assert 'gt_label' not in dataset.get_data_info(0)


@pytest.mark.parametrize('knn_on_folder', [False, 'hook', 'loop'], ids=['no-knn', 'unlabelled-hook', 'unlabelled-loop'])
def test_pretraining_on_an_unlabelled_folder_writes_a_checkpoint(tmp_path, knn_on_folder):
    cfg = _shrunk(tmp_path, knn_on_folder)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert osp.isfile(osp.join(cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth'))
    log = open(glob.glob(osp.join(cfg.work_dir, '*', '*.log'))[0]).read()
    hook_off = 'kNN evaluation is off for this run: the bank and query dataset has no labels'
    loop_off = 'KNNValLoop: kNN validation is off for this run: its dataset has no labels'
    assert (hook_off in log) == (knn_on_folder == 'hook')
    assert log.count(loop_off) == (1 if knn_on_folder == 'loop' else 0)  # once, though it validated twice
    assert 'knn/top1' not in log
    assert not glob.glob(osp.join(cfg.work_dir, 'best_*.pth'))  # save_best='auto' has no metric to keep
    if knn_on_folder == 'hook':
        hook = [h for h in runner.hooks if type(h).__name__ == 'KNNEvalHook'][0]
        assert hook.enabled is False and hook.last_metrics == {}
