# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Shared numerics of the SupCon-style losses, behind two calls: ``contrastive_loss`` and ``per_positive_loss``.

``contrastive.py`` says what each step of a call does and which file does it. The lower-level pieces are
exported for tests and for losses that assemble their own contrast set.
"""

from .contrast_set import ContrastSet, build_contrast_set
from .contrastive import FalseNegativeFn, PosWeightFn, contrastive_loss, per_positive_loss
from .log_softmax import contrastive_log_softmax
from .pair_masks import PairMasks
from .per_positive import per_positive_log_softmax
from .selection import dense_to_index, kept_mean, selection_masks

__all__ = [
    'contrastive_loss',
    'per_positive_loss',
    'PosWeightFn',
    'FalseNegativeFn',
    'ContrastSet',
    'build_contrast_set',
    'PairMasks',
    'contrastive_log_softmax',
    'per_positive_log_softmax',
    'selection_masks',
    'dense_to_index',
    'kept_mean',
]
