# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Utilities: registration, safe checkpoint loading, CPU distributed launch, training position.

``HostSyncCounter`` and ``SYNC_OPS`` moved to :mod:`mmssl_ext.testing`; importing them from here still works for
one release (through the deprecated alias :mod:`mmssl_ext.utils.sync_counter`, loaded on first use).
"""

from typing import Any

from .checkpoint import MMENGINE_CHECKPOINT_GLOBALS, UnsafeCheckpointError, register_safe_globals, safe_torch_load
from .dist import setup_cpu_distributed
from .progress import TrainingPosition, total_iterations, training_position
from .rng_state import preserved_rng_state, rng_state, set_rng_state
from .setup_env import register_all_modules

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
    'TrainingPosition',
    'training_position',
    'total_iterations',
]

_MOVED_TO_TESTING = ('HostSyncCounter', 'SYNC_OPS')


def __getattr__(name: str) -> Any:
    """Resolve the names that moved to :mod:`mmssl_ext.testing` (deprecated, kept for one release).

    Args:
        name (str): The attribute looked up on ``mmssl_ext.utils``.

    Returns:
        Any: ``mmssl_ext.testing``'s object of that name, through the deprecated alias module.
    """
    if name in _MOVED_TO_TESTING:
        from . import sync_counter  # the deprecated alias: warns once, on first use

        return getattr(sync_counter, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
