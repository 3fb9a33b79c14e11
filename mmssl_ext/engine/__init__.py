# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Engine components (hooks, optimizer wrappers) registered in ``mmssl_ext.registry``."""

from .hooks import KNNEvalHook
from .optim_wrappers import SkipStepOptimWrapper, request_skip_step

__all__ = ['KNNEvalHook', 'SkipStepOptimWrapper', 'request_skip_step']
