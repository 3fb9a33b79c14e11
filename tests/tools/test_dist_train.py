"""tools/dist_train.sh with 2 CPU processes (gloo): MoCo v2 keys all-gathered before enqueue."""

import glob

import pytest
import torch

from tests.helpers import run_dist_train, smoke_cfg

pytestmark = pytest.mark.dist


def test_dist_train_two_cpu_processes(tmp_path):
    cfg = smoke_cfg('mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py', tmp_path / 'run', iters=6, knn=False)
    cfg_file = str(tmp_path / 'moco_digits.py')
    cfg.dump(cfg_file)
    run_dist_train(cfg_file, 2, '--cfg-options', 'env_cfg.dist_cfg.backend=gloo')
    ckpt = torch.load(glob.glob(str(tmp_path / 'run' / 'epoch_1.pth'))[0], weights_only=False)
    # 48 samples over 2 ranks x batch 8 = 3 iterations; each enqueues 16 gathered keys into a 32-slot queue.
    assert ckpt['meta']['iter'] == 3
    assert int(ckpt['state_dict']['queue_ptr']) == (3 * 16) % 32
