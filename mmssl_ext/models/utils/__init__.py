# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Model utilities shared by losses and algorithms."""

from .bn_state import preserve_bn_stats
from .checked_pretrained import CheckedPretrainedInit, PretrainedKeysError, select_state_dict
from .cmc_memory import cmc_momentum_update
from .cosine_ema import CosineHostStepsEMA, cosine_momentum
from .cpu_sync_bn import CPUSyncBatchNorm, convert_cpu_sync_batchnorm
from .frechet import frechet_distance
from .gather import all_gather_no_grad, all_gather_with_grad, rank_offset
from .host_steps_ema import HostStepsEMA

__all__ = [
    'all_gather_with_grad',
    'all_gather_no_grad',
    'rank_offset',
    'frechet_distance',
    'preserve_bn_stats',
    'CPUSyncBatchNorm',
    'convert_cpu_sync_batchnorm',
    'CheckedPretrainedInit',
    'PretrainedKeysError',
    'select_state_dict',
    'HostStepsEMA',
    'CosineHostStepsEMA',
    'cosine_momentum',
    'cmc_momentum_update',
]
