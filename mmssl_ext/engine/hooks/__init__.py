# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Hooks registered in ``mmssl_ext.registry.HOOKS``."""

from .knn_eval_hook import KNNEvalHook

__all__ = ['KNNEvalHook']
