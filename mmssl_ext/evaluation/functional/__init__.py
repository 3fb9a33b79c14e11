# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Pure evaluation functions (no registry, no config)."""

from .features import extract_backbone_features, pool_backbone_output
from .knn import weighted_knn_predict

__all__ = ['weighted_knn_predict', 'extract_backbone_features', 'pool_backbone_output']
