# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Parameter schedulers registered in ``mmssl_ext.registry.PARAM_SCHEDULERS``."""

from .warmup_cosine_lr import WarmupCosineLambdaLR, warmup_cosine_factor

__all__ = ['WarmupCosineLambdaLR', 'warmup_cosine_factor']
