# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Deprecated alias of mmssl_ext.testing.smoke, kept for one release.

Import :mod:`mmssl_ext.testing.smoke` instead.
"""

import warnings

from mmssl_ext.testing.smoke import DATALOADER_KEYS, digits_loader, make_smoke_config
from mmssl_ext.testing.smoke import _find_transforms as _find_transforms  # used by older tests

__all__ = ['DATALOADER_KEYS', 'digits_loader', 'make_smoke_config']

warnings.warn(
    'mmssl_ext.utils.smoke is deprecated and will be removed in the next release: import mmssl_ext.testing.smoke',
    DeprecationWarning,
    stacklevel=2,
)
