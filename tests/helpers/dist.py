"""Multi-process helpers: a free rendezvous port, spawned ranks, and runs through ``tools/dist_train.sh``."""

import os
import os.path as osp
import sys
from typing import Any, Callable, Iterable, List

from .paths import ROOT

__all__ = ['free_port', 'run_dist_train', 'spawn_ranks']


def free_port() -> int:
    """A TCP port that is free now (for process-group rendezvous).

    Returns:
        int: The port number.
    """
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def spawn_ranks(
    worker: Callable[[int, int, str], None],
    out_dir: Any,
    world: int = 2,
    suffix: str = '.pt',
    weights_only: bool = True,
) -> List[Any]:
    """Run ``worker(rank, port, out_dir)`` on ``world`` spawned processes; load each rank's ``rank{r}{suffix}``.

    Args:
        worker (Callable[[int, int, str], None]): A module-level function (it is pickled by name).
        out_dir (Any): The folder the ranks write into (a ``str`` or a ``pathlib.Path``).
        world (int): Number of processes. Defaults to 2.
        suffix (str): Suffix of each rank's file. Defaults to '.pt'.
        weights_only (bool): Passed to ``torch.load``. Defaults to True.

    Returns:
        List[Any]: The ranks' records, rank 0 first.
    """
    import torch
    import torch.multiprocessing as mp

    mp.spawn(worker, args=(free_port(), str(out_dir)), nprocs=world, join=True)
    return [torch.load(osp.join(str(out_dir), f'rank{r}{suffix}'), weights_only=weights_only) for r in range(world)]


def run_dist_train(cfg_file: Any, nproc: int, *train_args: str, pythonpath: Iterable[str] = ()) -> str:
    """``bash tools/dist_train.sh cfg_file nproc *train_args`` (CPU, gloo); asserts success, returns the log.

    Args:
        cfg_file (Any): The config file to train.
        nproc (int): Number of processes.
        *train_args (str): More ``tools/train.py`` arguments.
        pythonpath (Iterable[str]): Folders prepended to ``PYTHONPATH``. Defaults to ().

    Returns:
        str: The launch's stdout and stderr.
    """
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
