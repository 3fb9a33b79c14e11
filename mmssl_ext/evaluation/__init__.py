# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Evaluation: kNN metric and the functions behind it."""

from .functional import extract_backbone_features, pool_backbone_output, weighted_knn_predict
from .metrics import KNNAccuracy

__all__ = ['KNNAccuracy', 'weighted_knn_predict', 'extract_backbone_features', 'pool_backbone_output']
