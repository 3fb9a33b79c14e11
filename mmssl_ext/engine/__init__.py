# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Engine components (hooks) registered in ``mmssl_ext.registry``."""

from .hooks import KNNEvalHook

__all__ = ['KNNEvalHook']
