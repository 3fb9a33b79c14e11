"""Checkpoints are written atomically (AtomicLocalBackend, selected by the default runtime's CheckpointHook)."""

import glob
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import get_file_backend
from mmengine.runner import Runner

from mmssl_ext.engine import ATOMIC_BACKEND, AtomicLocalBackend
from tests.helpers import config_path, smoke_cfg


def test_backend_is_selected_by_name_and_writes_the_bytes(tmp_path):
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend=ATOMIC_BACKEND))
    assert isinstance(backend, AtomicLocalBackend)
    target = tmp_path / 'sub' / 'iter_1.pth'
    backend.put(b'new checkpoint', target)
    backend.put_text('iter_1.pth', tmp_path / 'last_checkpoint')
    assert target.read_bytes() == b'new checkpoint' and (tmp_path / 'last_checkpoint').read_text() == 'iter_1.pth'
    assert os.listdir(tmp_path / 'sub') == ['iter_1.pth']  # no temporary file left


def test_a_write_interrupted_before_the_rename_leaves_the_old_file(tmp_path, monkeypatch):
    backend = AtomicLocalBackend()
    target = tmp_path / 'epoch_1.pth'
    backend.put(b'old, complete', target)

    def killed(src, dst):  # the process dies between writing the temporary file and renaming it
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'replace', killed)
    with pytest.raises(KeyboardInterrupt):
        backend.put(b'new, never completed', target)
    assert target.read_bytes() == b'old, complete'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # the temporary file is cleaned up


def test_every_shipped_config_saves_through_it(tmp_path):
    cfg = Config.fromfile(config_path('simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py'))
    assert cfg.default_hooks.checkpoint.backend_args == dict(backend=ATOMIC_BACKEND)
    runner = Runner.from_cfg(smoke_cfg('simclr/simclr_resnet18_1xb64-coslr-20e_digits.py', tmp_path, knn=False))
    runner.train()
    hook = next(h for h in runner.hooks if type(h).__name__ == 'CheckpointHook')
    assert isinstance(hook.file_backend, AtomicLocalBackend)
    files = sorted(osp.basename(p) for p in glob.glob(str(tmp_path / '*')))
    assert 'epoch_1.pth' in files and not [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]
    assert torch.load(str(tmp_path / 'epoch_1.pth'), weights_only=False)['meta']['epoch'] == 1
