"""Shared fixtures: registries, paths, and a tiny-config factory."""

import itertools
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
SHARED_DATA = os.environ.get('MMSSL_SHARED_DATA', osp.join(ROOT, '..', 'shared', 'data'))
if os.environ.get('PYTEST_XDIST_WORKER'):
    # `make test` runs one pytest worker per core (pytest-xdist): one thread each (and in the processes tests
    # start), or the workers' thread pools fight over the cores
    for _var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ.setdefault(_var, '1')

from mmssl_ext.utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=True)


@pytest.fixture
def root() -> str:
    return ROOT


def config_path(*parts: str) -> str:
    return osp.join(ROOT, 'configs', *parts)


_RUN_IDS = itertools.count()


def smoke_cfg(config, work_dir, iters=2, batch_size=8, img_size=16, knn=True):
    """A config shrunk to ``iters`` digits iterations (see ``make_smoke_config``), with a unique
    experiment name so that runners built in one process get their own Visualizer/MessageHub."""
    from mmengine.config import Config

    from mmssl_ext.utils.smoke import make_smoke_config

    path = config if osp.isabs(config) else config_path(*config.split('/'))
    cfg = make_smoke_config(
        Config.fromfile(path), iters=iters, batch_size=batch_size, img_size=img_size, work_dir=str(work_dir)
    )
    if not knn:
        cfg.custom_hooks = []
    cfg.experiment_name = f'{osp.basename(str(work_dir))}_{next(_RUN_IDS)}'
    return cfg


def free_port() -> int:
    """A TCP port that is free now (for process-group rendezvous)."""
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def spawn_ranks(worker, out_dir, world=2, suffix='.pt', weights_only=True):
    """Run ``worker(rank, port, out_dir)`` on ``world`` spawned processes; load each rank's ``rank{r}{suffix}``."""
    import torch
    import torch.multiprocessing as mp

    mp.spawn(worker, args=(free_port(), str(out_dir)), nprocs=world, join=True)
    return [torch.load(osp.join(str(out_dir), f'rank{r}{suffix}'), weights_only=weights_only) for r in range(world)]


def run_dist_train(cfg_file, nproc, *train_args, pythonpath=()):
    """``bash tools/dist_train.sh cfg_file nproc *train_args`` (CPU, gloo); asserts success, returns the log."""
    import subprocess

    env = dict(
        os.environ,
        PORT=str(free_port()),
        PYTHON=sys.executable,
        PYTHONPATH=os.pathsep.join([*pythonpath, os.environ.get('PYTHONPATH', '')]),
    )
    proc = subprocess.run(
        ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), str(cfg_file), str(nproc), *train_args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'Distributed training: True' in log
    return log
