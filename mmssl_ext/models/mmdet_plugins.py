# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Deprecated alias of :mod:`mmssl_ext.integrations.mmdet` (kept for one release).

The module moved; it no longer replaces mmdet's ``'Pretrained'`` initializer: name
``init_cfg=dict(type='CheckedPretrained', ...)`` for the checked loader.
"""

import warnings

from mmssl_ext.integrations.mmdet import *  # noqa: F401,F403
from mmssl_ext.integrations.mmdet import __all__  # noqa: F401

warnings.warn(
    "mmssl_ext.models.mmdet_plugins moved to mmssl_ext.integrations.mmdet and no longer replaces mmdet's "
    "'Pretrained'; import the new module and name type='CheckedPretrained'.",
    DeprecationWarning,
    stacklevel=2,
)
