# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Deprecated alias of :mod:`mmssl_ext.integrations.mmdet` (kept for one release).

The module moved; import the new one in ``custom_imports``.
"""

import warnings

from mmssl_ext.integrations.mmdet import *  # noqa: F401,F403
from mmssl_ext.integrations.mmdet import __all__  # noqa: F401

warnings.warn(
    'mmssl_ext.models.mmdet_plugins moved to mmssl_ext.integrations.mmdet; import the new module in custom_imports.',
    DeprecationWarning,
    stacklevel=2,
)
