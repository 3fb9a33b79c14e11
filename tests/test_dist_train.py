"""tools/dist_train.sh with 2 CPU processes (gloo): MoCo v2 keys all-gathered before enqueue."""

import glob
import os
import os.path as osp
import subprocess
import sys

import torch
from conftest import ROOT, config_path
from mmengine.config import Config

from mmssl_ext.utils.smoke import make_smoke_config


def test_dist_train_two_cpu_processes(tmp_path):
    cfg = make_smoke_config(
        Config.fromfile(config_path('mocov2', 'mocov2_resnet18_1xb256-coslr-1000e_cifar10.py')),
        iters=6,
        batch_size=8,
        img_size=16,
        work_dir=str(tmp_path / 'run'),
    )
    cfg.custom_hooks = []
    cfg_file = str(tmp_path / 'moco_digits.py')
    cfg.dump(cfg_file)
    env = dict(os.environ, PORT=str(29500 + os.getpid() % 1000), PYTHON=sys.executable)
    proc = subprocess.run(
        [
            'bash',
            osp.join(ROOT, 'tools', 'dist_train.sh'),
            cfg_file,
            '2',
            '--cfg-options',
            'env_cfg.dist_cfg.backend=gloo',
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'Distributed training: True' in log
    ckpt = torch.load(glob.glob(str(tmp_path / 'run' / 'epoch_1.pth'))[0], weights_only=False)
    # 48 samples over 2 ranks x batch 8 = 3 iterations; each enqueues 16 gathered keys into a 32-slot queue.
    assert ckpt['meta']['iter'] == 3
    assert int(ckpt['state_dict']['queue_ptr']) == (3 * 16) % 32
