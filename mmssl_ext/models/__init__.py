# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Models: contrastive losses and shared model utilities."""

from .losses import *  # noqa: F401,F403
from .losses import __all__ as _losses_all
from .utils import *  # noqa: F401,F403
from .utils import __all__ as _utils_all

__all__ = list(_losses_all) + list(_utils_all)
