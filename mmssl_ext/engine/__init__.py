# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Engine components (hooks, optimizer wrappers, schedulers, the runner) registered in ``mmssl_ext.registry``."""

from .hooks import KNNEvalHook
from .optim_wrappers import BackboneLayerDecayOptimWrapperConstructor, SkipStepOptimWrapper, request_skip_step
from .runner import SSLRunner, build_runner
from .schedulers import WarmupCosineLambdaLR, warmup_cosine_factor

__all__ = [
    'BackboneLayerDecayOptimWrapperConstructor',
    'KNNEvalHook',
    'SkipStepOptimWrapper',
    'request_skip_step',
    'SSLRunner',
    'build_runner',
    'WarmupCosineLambdaLR',
    'warmup_cosine_factor',
]
