# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Deprecated alias of mmssl_ext.testing.sync_counter, kept for one release.

Import :mod:`mmssl_ext.testing.sync_counter` instead.
"""

import warnings

from mmssl_ext.testing.sync_counter import SYNC_OPS, HostSyncCounter

__all__ = ['SYNC_OPS', 'HostSyncCounter']

warnings.warn(
    'mmssl_ext.utils.sync_counter is deprecated and will be removed in the next release: '
    'import mmssl_ext.testing.sync_counter',
    DeprecationWarning,
    stacklevel=2,
)
