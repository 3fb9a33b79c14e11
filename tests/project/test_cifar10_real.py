"""Real CIFAR-10 (../shared/data/cifar10, present on developer machines and CI): prepare, train, kNN validation."""

import json
import os.path as osp

import pytest

from tests.helpers import ROOT, SHARED_DATA, config_path

CIFAR_SRC = osp.join(SHARED_DATA, 'cifar10')
pytestmark = pytest.mark.skipif(
    not osp.isfile(osp.join(CIFAR_SRC, 'cifar10-jpg-test.tar.gz')), reason='../shared/data/cifar10 not available'
)


@pytest.fixture(scope='module')
def cifar_root(tmp_path_factory):
    local = osp.join(ROOT, 'data', 'cifar10')
    if osp.isdir(osp.join(local, 'test')) and osp.isdir(osp.join(local, 'train')):
        return local
    from tools.dataset_converters.prepare_cifar10 import prepare

    out = str(tmp_path_factory.mktemp('cifar10'))
    prepare(CIFAR_SRC, out)
    return out


@pytest.mark.parametrize(
    'config',
    [
        'simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py',
        'mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py',
    ],
)
def test_train_on_real_cifar10_logs_loss_and_knn(config, cifar_root, tmp_path):
    from tools.train import main

    work = str(tmp_path / 'run')
    main([
        config_path(*config.split('/')),
        '--work-dir', work,
        '--cfg-options',
        f'train_dataloader.dataset.data_root={cifar_root}',
        f'val_dataloader.dataset.bank.data_root={cifar_root}',
        f'val_dataloader.dataset.query.data_root={cifar_root}',
        'train_dataloader.batch_size=16', 'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'train_dataloader.dataset.indices=32', 'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
        'train_cfg.val_interval=1', 'val_dataloader.dataset.bank_size=500', 'val_dataloader.dataset.query_size=200',
        'val_dataloader.num_workers=0',
        f'experiment_name=real_{osp.basename(config)[:6]}',
    ])  # fmt: skip
    import glob

    with open(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))[0]) as f:
        rows = [json.loads(line) for line in f]
    losses = [r['loss'] for r in rows if 'loss' in r]
    knn = [r['knn/top1'] for r in rows if 'knn/top1' in r]
    assert len(losses) == 2 and all(0.0 < v < 20.0 for v in losses)
    assert len(knn) == 1 and 10.0 < knn[0] < 100.0  # 10 balanced classes: above chance, not degenerate
    assert glob.glob(osp.join(work, 'best_knn_top1_epoch_1.pth'))  # the kNN validation's best checkpoint
