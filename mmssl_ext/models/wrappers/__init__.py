# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Model wrappers registered in ``mmssl_ext.registry.MODEL_WRAPPERS``."""

from .multi_step_ddp import MultiStepDistributedDataParallel

__all__ = ['MultiStepDistributedDataParallel']
