# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Checks on user-supplied config overrides."""

import difflib
from typing import Dict, Optional

from mmengine.config import Config

__all__ = ['RUNNER_CONFIG_KEYS', 'check_cfg_options', 'load_config']

#: Top-level keys that MMEngine's ``Runner.from_cfg`` and our tools read even when a config omits them.
RUNNER_CONFIG_KEYS = frozenset(
    {
        'model',
        'work_dir',
        'train_dataloader',
        'val_dataloader',
        'test_dataloader',
        'train_cfg',
        'val_cfg',
        'test_cfg',
        'auto_scale_lr',
        'optim_wrapper',
        'param_scheduler',
        'val_evaluator',
        'test_evaluator',
        'default_hooks',
        'custom_hooks',
        'data_preprocessor',
        'load_from',
        'resume',
        'launcher',
        'env_cfg',
        'log_processor',
        'log_level',
        'visualizer',
        'default_scope',
        'randomness',
        'experiment_name',
        'cfg',
        'model_wrapper_cfg',
        'sync_bn',
        'find_unused_parameters',
        'compile',
        'runner_type',
        'custom_imports',
        'vis_backends',
        'strategy',
        'knn_bank_dataloader',
        'knn_query_dataloader',
    }
)


def check_cfg_options(cfg: Config, options: Dict) -> None:
    """Reject ``--cfg-options`` whose top-level key neither exists in the config nor is read by the runner.

    A typo such as ``trian_cfg.max_epochs=1`` would otherwise be merged silently and ignored.

    Args:
        cfg (Config): The loaded config.
        options (dict): The parsed ``--cfg-options`` (dotted keys).

    Raises:
        KeyError: Naming the unknown key and the closest known ones.
    """
    known = set(cfg.keys()) | RUNNER_CONFIG_KEYS
    for key in options:
        top = key.split('.')[0]
        if top not in known:
            close = difflib.get_close_matches(top, sorted(known), n=3)
            hint = f' Did you mean: {", ".join(close)}?' if close else ''
            raise KeyError(
                f"--cfg-options: unknown config key '{key}': '{top}' is not in the config "
                f'{cfg.filename} and is not read by the runner.{hint}'
            )


def load_config(path: str, cfg_options: Optional[Dict] = None) -> Config:
    """Load a config and apply checked ``--cfg-options`` overrides.

    Args:
        path (str): Config file.
        cfg_options (dict, optional): Dotted-key overrides (checked by :func:`check_cfg_options`).
            Defaults to None.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg
