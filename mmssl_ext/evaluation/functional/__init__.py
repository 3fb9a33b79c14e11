# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Pure evaluation functions (no registry, no config)."""

from .features import dataset_has_labels, embed_batch, extract_backbone_features, pool_backbone_output
from .knn import weighted_knn_predict
from .linear_probe import linear_probe
from .local_features import extract_local_features
from .sharded_knn import knn_vote, merge_topk, shard_topk, sharded_knn_predict, sharded_topk_accuracy
from .subset import build_eval_dataloader, spread_indices

__all__ = [
    'weighted_knn_predict',
    'sharded_knn_predict',
    'sharded_topk_accuracy',
    'shard_topk',
    'merge_topk',
    'knn_vote',
    'extract_local_features',
    'linear_probe',
    'extract_backbone_features',
    'embed_batch',
    'dataset_has_labels',
    'pool_backbone_output',
    'spread_indices',
    'build_eval_dataloader',
]
