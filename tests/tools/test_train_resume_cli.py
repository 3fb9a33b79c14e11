"""A real interruption: kill tools/train.py mid-run, `--resume`, and the MoCo queue continues."""

import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import torch

from mmssl_ext.utils import safe_torch_load
from tests.helpers import ROOT, smoke_cfg

TRAIN = osp.join(ROOT, 'tools', 'train.py')


def test_kill_and_resume_moco_from_the_cli(tmp_path):
    work = str(tmp_path / 'run')
    cfg = smoke_cfg('mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py', work, iters=3, knn=False)
    cfg.train_cfg.max_epochs = 200  # far more than can finish before the kill
    cfg_file = str(tmp_path / 'moco_digits.py')
    cfg.dump(cfg_file)

    proc = subprocess.Popen(
        [sys.executable, TRAIN, cfg_file],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while not osp.isfile(osp.join(work, 'last_checkpoint')) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # interrupted mid-run, no clean shutdown
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with open(osp.join(work, 'last_checkpoint')) as f:
        last = f.read().strip()
    saved = safe_torch_load(last)
    saved_epoch, saved_iter = saved['meta']['epoch'], saved['meta']['iter']
    saved_queue, saved_ptr = saved['state_dict']['queue'], int(saved['state_dict']['queue_ptr'])
    assert saved_iter == 3 * saved_epoch and saved_ptr == (saved_iter * 8) % 32

    out = subprocess.run(
        [sys.executable, TRAIN, cfg_file, '--resume', '--cfg-options', f'train_cfg.max_epochs={saved_epoch + 1}'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert 'weights_only' not in log.lower().replace('weights_only=true', '')
    assert re.search(rf'resumed epoch: {saved_epoch}, iter: {saved_iter}', log)
    final = safe_torch_load(osp.join(work, f'epoch_{saved_epoch + 1}.pth'))
    assert final['meta']['iter'] == saved_iter + 3
    ptr = int(final['state_dict']['queue_ptr'])
    assert ptr == (saved_ptr + 24) % 32
    # 24 of the 32 slots were overwritten after the resume; the other 8 must be the checkpoint's queue.
    untouched = [(ptr + i) % 32 for i in range(8)]
    torch.testing.assert_close(final['state_dict']['queue'][:, untouched], saved_queue[:, untouched], rtol=0, atol=0)
