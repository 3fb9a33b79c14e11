# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Distributed launch on machines without CUDA (gloo backend)."""

import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log

__all__ = ['setup_cpu_distributed']


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Prepare a CPU-only distributed run that MMEngine would otherwise start for CUDA.

    MMEngine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and its DDP wrapper passes
    ``device_ids=[LOCAL_RANK]``; both fail without a GPU. When ``launcher`` is not ``'none'`` and
    CUDA is unavailable, this initialises the process group itself with gloo (nccl needs GPUs; a
    configured nccl backend is switched with a warning) and sets ``model_wrapper_cfg.device_ids``
    to None, so ``tools/train.py`` and ``tools/test.py`` work unchanged on CPU machines.

    Args:
        cfg (Config): The run's config; ``env_cfg.dist_cfg`` and ``model_wrapper_cfg`` may be updated.
        launcher (str): The ``--launcher`` value.

    Returns:
        bool: True when this function set up the process group.
    """
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    if launcher != 'pytorch':
        raise ValueError(f"CPU distributed runs support --launcher pytorch (torchrun), got '{launcher}'")
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    backend = dist_cfg.get('backend', 'gloo')
    if backend != 'gloo':
        print_log(f"no CUDA device: using the gloo backend instead of '{backend}'", logger='current', level=30)
        dist_cfg['backend'] = 'gloo'
    torch_dist.init_process_group(
        backend='gloo', rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE'])
    )
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True
