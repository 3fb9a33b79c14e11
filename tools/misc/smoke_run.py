# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Dry-run any config for a few CPU iterations on the embedded digits dataset.

``python tools/misc/smoke_run.py CONFIG [--iters N] [--batch-size B] [--img-size S]``

Every dataloader is swapped to the digits dataset at a small size and batch (transforms, model,
optimizer, schedulers and hooks are the config's own); the run trains ``--iters`` iterations,
validates if the config does, and exits non-zero on any failure or a non-finite loss. Without ``--work-dir`` the
logs and checkpoint go to a temporary directory that is removed afterwards (a ViT-B checkpoint is ~1 GB).
"""

import argparse
import math
import os.path as osp
import shutil
import sys
import tempfile
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmssl_ext.engine import build_runner  # noqa: E402
from mmssl_ext.testing.smoke import make_smoke_config  # noqa: E402
from mmssl_ext.utils import register_all_modules  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Dry-run a config on the embedded digits dataset (CPU)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--iters', type=int, default=2, help='training iterations (default 2)')
    parser.add_argument('--batch-size', type=int, default=8, help='batch size (default 8)')
    parser.add_argument('--img-size', type=int, default=32, help='input side (default 32)')
    parser.add_argument('--work-dir', help='log dir, kept afterwards (default: a temporary dir, removed at the end)')
    parser.add_argument('--checkpoint', help='checkpoint for Pretrained init configs (default: none)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='extra overrides, key=value')
    return parser.parse_args(argv)


def run(
    config: str,
    iters: int = 2,
    batch_size: int = 8,
    img_size: int = 32,
    work_dir: Optional[str] = None,
    checkpoint: Optional[str] = None,
    cfg_options: Optional[dict] = None,
) -> Runner:
    """Shrink ``config`` with :func:`make_smoke_config`, train, and check the loss is finite.

    Args:
        config (str): Config file path.
        iters (int): Training iterations. Defaults to 2.
        batch_size (int): Samples per batch. Defaults to 8.
        img_size (int): Square input side. Defaults to 32.
        work_dir (str, optional): Log / checkpoint dir; when None a new temporary dir that the caller owns
            (:func:`main` removes it). Defaults to None.
        checkpoint (str, optional): Checkpoint for ``Pretrained`` init configs. Defaults to None.
        cfg_options (dict, optional): Overrides merged into the config first. Defaults to None.

    Returns:
        Runner: The runner after training.
    """
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    work_dir = work_dir or tempfile.mkdtemp(prefix='smoke_')
    cfg = make_smoke_config(
        cfg, iters=iters, batch_size=batch_size, img_size=img_size, work_dir=work_dir, checkpoint=checkpoint
    )
    runner = build_runner(cfg)  # what tools/train.py builds
    runner.train()
    if runner.iter != iters:
        raise RuntimeError(f'smoke run of {config}: trained {runner.iter} iterations, expected {iters}')
    loss = runner.message_hub.get_scalar('train/loss').current()
    if not math.isfinite(loss):
        raise FloatingPointError(f'smoke run of {config}: non-finite loss {loss}')
    print(f'smoke run OK: {config}: {runner.iter} iters, last loss {loss:.4f}, work_dir {work_dir}')
    return runner


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status."""
    args = parse_args(argv)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='smoke_')
    try:
        run(args.config, args.iters, args.batch_size, args.img_size, work_dir, args.checkpoint, args.cfg_options)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
