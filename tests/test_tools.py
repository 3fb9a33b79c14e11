"""Converters and evaluation tools on real (embedded) data."""

import os
import os.path as osp
import tarfile

import numpy as np
import pytest
import torch
from conftest import config_path, smoke_cfg
from mmengine.runner import Runner

DEMO = config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')


@pytest.fixture(scope='module')
def trained_checkpoint(tmp_path_factory):
    work = tmp_path_factory.mktemp('pretrain')
    cfg = smoke_cfg(DEMO, work, img_size=32, knn=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return osp.join(str(work), 'epoch_1.pth'), runner.model.backbone.state_dict()


def test_extract_backbone_weights_round_trip(trained_checkpoint, tmp_path):
    from mmpretrain.models import ResNet

    from tools.model_converters.extract_backbone_weights import main

    ckpt, backbone_state = trained_checkpoint
    out = str(tmp_path / 'backbone.pth')
    main([ckpt, out])
    weights = torch.load(out, weights_only=True)['state_dict']
    assert set(weights) == set(backbone_state)
    model = ResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=out))
    model.init_weights()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, backbone_state[key])


def test_extract_backbone_without_backbone_keys_fails(tmp_path):
    from tools.model_converters.extract_backbone_weights import extract_backbone

    with pytest.raises(KeyError, match="no key starts with 'backbone.'"):
        extract_backbone({'state_dict': {'head.fc.weight': torch.zeros(1)}})


def test_knn_eval_tool_loads_full_and_backbone_checkpoints(trained_checkpoint, tmp_path):
    from tools.analysis_tools.knn_eval import knn_eval
    from tools.model_converters.extract_backbone_weights import main as extract

    ckpt, _ = trained_checkpoint
    full = knn_eval(DEMO, ckpt, k=20, bank_size=200, query_size=100)
    out = str(tmp_path / 'backbone.pth')
    extract([ckpt, out])
    stripped = knn_eval(DEMO, out, k=20, bank_size=200, query_size=100)
    assert full == stripped  # the same weights give the same votes
    assert 10.0 < full['knn/top1'] <= 100.0  # real digits: far above chance


def test_knn_eval_rejects_mismatched_checkpoint(tmp_path):
    from tools.analysis_tools.knn_eval import knn_eval

    bad = str(tmp_path / 'bad.pth')
    torch.save({'state_dict': {'backbone.layer9.weight': torch.zeros(1)}}, bad)
    with pytest.raises(KeyError, match='does not match the config'):
        knn_eval(DEMO, bad, bank_size=10, query_size=10)


def test_prepare_cifar10_extracts_and_verifies(tmp_path):
    import cv2

    from tools.dataset_converters.prepare_cifar10 import CLASSES, prepare

    src = tmp_path / 'src'
    src.mkdir()
    for split in ('train', 'test'):
        staging = tmp_path / 'stage' / split
        for i, name in enumerate(CLASSES):
            os.makedirs(staging / name)
            cv2.imwrite(str(staging / name / '0000.jpg'), np.full((32, 32, 3), i * 20, np.uint8))
        with tarfile.open(src / f'cifar10-jpg-{split}.tar.gz', 'w:gz') as tar:
            tar.add(str(staging), arcname=split)
    out = tmp_path / 'out'
    prepare(str(src), str(out))
    assert sorted(os.listdir(out / 'train')) == sorted(CLASSES)
    prepare(str(src), str(out))  # idempotent
    (src / 'SHA256SUMS').write_text('0' * 64 + '  cifar10-jpg-train.tar.gz\n')
    import shutil

    shutil.rmtree(out / 'train')
    with pytest.raises(ValueError, match='SHA-256 does not match'):
        prepare(str(src), str(out))
