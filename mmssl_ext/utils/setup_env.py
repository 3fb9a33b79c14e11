# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Register every mmssl_ext module and set the default scope."""

import datetime
import warnings

from mmengine import DefaultScope

__all__ = ['register_all_modules']


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import mmpretrain's and mmssl_ext's modules so that every registry is filled.

    Also allow-lists MMEngine's checkpoint globals for safe loading (see
    :func:`mmssl_ext.utils.register_safe_globals`).

    Args:
        init_default_scope (bool): Set the global default scope to ``'mmssl_ext'`` so that builds
            resolve in our registries first, then mmpretrain's and MMEngine's. Defaults to True.
    """
    from mmpretrain.utils import register_all_modules as register_mmpretrain

    register_mmpretrain(init_default_scope=False)
    import mmssl_ext.datasets  # noqa: F401
    import mmssl_ext.engine  # noqa: F401
    import mmssl_ext.evaluation  # noqa: F401
    import mmssl_ext.models  # noqa: F401

    from .checkpoint import register_safe_globals

    register_safe_globals()
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmssl_ext', scope_name='mmssl_ext')
    elif current.scope_name != 'mmssl_ext':
        warnings.warn(
            f'The current default scope "{current.scope_name}" is not "mmssl_ext"; '
            '`register_all_modules` switches it to "mmssl_ext".',
            stacklevel=2,
        )
        DefaultScope.get_instance(f'mmssl_ext-{datetime.datetime.now()}', scope_name='mmssl_ext')
