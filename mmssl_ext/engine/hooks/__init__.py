# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Hooks registered in ``mmssl_ext.registry.HOOKS``."""

from .knn_eval_hook import KNNEvalHook
from .non_finite_guard_hook import NonFiniteError, NonFiniteGuardHook, non_finite_tensors
from .rng_state_hook import RNGStateHook
from .train_loop_guard_hook import TrainLoopGuardHook

__all__ = [
    'KNNEvalHook',
    'NonFiniteGuardHook',
    'NonFiniteError',
    'non_finite_tensors',
    'RNGStateHook',
    'TrainLoopGuardHook',
]
