# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Evaluation: kNN metric and the functions behind it."""

from .functional import (
    build_eval_dataloader,
    extract_backbone_features,
    pool_backbone_output,
    spread_indices,
    weighted_knn_predict,
)
from .metrics import KNNAccuracy

__all__ = [
    'KNNAccuracy',
    'weighted_knn_predict',
    'extract_backbone_features',
    'pool_backbone_output',
    'spread_indices',
    'build_eval_dataloader',
]
