"""Tiny runnable configs for tests: a shipped config shrunk to a few iterations on digits images."""

import itertools
import os.path as osp
from typing import Any

from .paths import config_path

__all__ = ['smoke_cfg']

_RUN_IDS = itertools.count()


def smoke_cfg(
    config: str, work_dir: Any, iters: int = 2, batch_size: int = 8, img_size: int = 16, knn: bool = True
) -> Any:
    """A config shrunk to ``iters`` digits iterations (see ``make_smoke_config``).

    The config gets a unique experiment name, so that runners built in one process get their own
    Visualizer/MessageHub.

    Args:
        config (str): An absolute path, or a path relative to ``configs/`` (``'simclr/....py'``).
        work_dir (Any): The run's work dir (a ``str`` or a ``pathlib.Path``).
        iters (int): Training iterations. Defaults to 2.
        batch_size (int): Per-process batch size. Defaults to 8.
        img_size (int): Image side. Defaults to 16.
        knn (bool): Keep the config's kNN evaluation; ``False`` drops the custom hooks and a ``KNNValLoop``
            validation (a classifier's own validation stays). Defaults to True.

    Returns:
        mmengine.config.Config: The shrunk config.
    """
    from mmengine.config import Config

    from mmssl_ext.testing.smoke import make_smoke_config

    path = config if osp.isabs(config) else config_path(*config.split('/'))
    cfg = make_smoke_config(
        Config.fromfile(path), iters=iters, batch_size=batch_size, img_size=img_size, work_dir=str(work_dir)
    )
    if not knn:
        cfg.custom_hooks = []
        if (cfg.get('val_cfg') or {}).get('type') == 'KNNValLoop':
            cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.experiment_name = f'{osp.basename(str(work_dir))}_{next(_RUN_IDS)}'
    return cfg
