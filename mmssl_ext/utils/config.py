# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Checks on user-supplied config overrides."""

import difflib
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config

__all__ = [
    'PRETRAINED_INIT_TYPES',
    'RUNNER_CONFIG_KEYS',
    'check_cfg_options',
    'drop_init_cfg',
    'fp32_without_cuda',
    'load_config',
    'pretrained_init_cfgs',
]

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


#: ``init_cfg`` types that load a checkpoint (``CheckedPretrainedInit`` answers to both; scope prefixes ignored).
PRETRAINED_INIT_TYPES = ('Pretrained', 'CheckedPretrained')


def pretrained_init_cfgs(node: Any, path: str = 'model') -> List[Tuple[str, dict, dict]]:
    """Every checkpoint-loading ``init_cfg`` under a (model) config node.

    Args:
        node (Any): A config dict / list (e.g. ``cfg.model``).
        path (str): Dotted name of ``node`` in the results. Defaults to 'model'.

    Returns:
        list[tuple[str, dict, dict]]: ``(dotted path of the init_cfg, the dict holding it, the init_cfg)``.
    """
    found = []
    if isinstance(node, dict):
        init = node.get('init_cfg')
        for item in init if isinstance(init, list) else [init]:
            if isinstance(item, dict) and str(item.get('type', '')).split('.')[-1] in PRETRAINED_INIT_TYPES:
                found.append((f'{path}.init_cfg', node, item))
        for key, value in node.items():
            if key != 'init_cfg' and isinstance(value, (dict, list)):
                found += pretrained_init_cfgs(value, f'{path}.{key}')
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += pretrained_init_cfgs(value, f'{path}.{i}')
    return found


def drop_init_cfg(parent: dict, init: dict) -> None:
    """Remove ``init`` from ``parent['init_cfg']`` (a dict or a list of dicts; None when nothing is left).

    Args:
        parent (dict): The config dict holding ``init_cfg`` (as returned by :func:`pretrained_init_cfgs`).
        init (dict): The init config to remove.
    """
    inits = parent['init_cfg']
    parent['init_cfg'] = ([i for i in inits if i is not init] or None) if isinstance(inits, list) else None


def fp32_without_cuda(cfg: Config) -> bool:
    """Swap ``AmpOptimWrapper`` for ``OptimWrapper`` when CUDA is missing (MMEngine's AMP wrapper asserts a GPU).

    Args:
        cfg (Config): The config (changed in place).

    Returns:
        bool: True when the wrapper was swapped.
    """
    import torch

    wrapper = cfg.get('optim_wrapper')
    if torch.cuda.is_available() or not isinstance(wrapper, dict) or wrapper.get('type') != 'AmpOptimWrapper':
        return False
    wrapper['type'] = 'OptimWrapper'
    for key in ('loss_scale', 'dtype', 'use_fsdp'):
        wrapper.pop(key, None)
    return True
