# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Engine components: hooks, optimizer wrappers, schedulers, the runner, file backends.

All are registered in ``mmssl_ext.registry``, the file backends with MMEngine's ``register_backend``.
"""

from .fileio import ATOMIC_BACKEND, AtomicLocalBackend
from .hooks import KNNEvalHook, NonFiniteGuardHook, RNGStateHook, TrainLoopGuardHook
from .optim_wrappers import (
    BackboneLayerDecayOptimWrapperConstructor,
    NonFiniteSkipOptimWrapper,
    SkipStepOptimWrapper,
)
from .runner import ResumableEpochBasedTrainLoop, ResumableIterBasedTrainLoop, SSLRunner, build_runner
from .schedulers import WarmupCosineLambdaLR, warmup_cosine_factor

__all__ = [
    'ATOMIC_BACKEND',
    'AtomicLocalBackend',
    'NonFiniteGuardHook',
    'NonFiniteSkipOptimWrapper',
    'TrainLoopGuardHook',
    'RNGStateHook',
    'ResumableEpochBasedTrainLoop',
    'ResumableIterBasedTrainLoop',
    'BackboneLayerDecayOptimWrapperConstructor',
    'KNNEvalHook',
    'SkipStepOptimWrapper',
    'SSLRunner',
    'build_runner',
    'WarmupCosineLambdaLR',
    'warmup_cosine_factor',
]
