# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Utilities: registration, safe checkpoint loading, CPU distributed launch, host-sync counting, training position."""

from .checkpoint import MMENGINE_CHECKPOINT_GLOBALS, UnsafeCheckpointError, register_safe_globals, safe_torch_load
from .dist import setup_cpu_distributed
from .progress import TrainingPosition, training_position
from .rng_state import preserved_rng_state, rng_state, set_rng_state
from .setup_env import register_all_modules
from .sync_counter import SYNC_OPS, HostSyncCounter

__all__ = [
    'preserved_rng_state',
    'rng_state',
    'set_rng_state',
    'register_all_modules',
    'register_safe_globals',
    'safe_torch_load',
    'UnsafeCheckpointError',
    'MMENGINE_CHECKPOINT_GLOBALS',
    'setup_cpu_distributed',
    'HostSyncCounter',
    'SYNC_OPS',
    'TrainingPosition',
    'training_position',
]
