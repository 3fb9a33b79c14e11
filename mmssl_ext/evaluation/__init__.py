# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Evaluation: kNN metric, linear probe and the functions behind them."""

from .functional import (
    build_eval_dataloader,
    dataset_has_labels,
    embed_batch,
    extract_backbone_features,
    extract_local_features,
    knn_vote,
    linear_probe,
    merge_topk,
    pool_backbone_output,
    shard_topk,
    sharded_knn_predict,
    sharded_topk_accuracy,
    spread_indices,
    weighted_knn_predict,
)
from .metrics import KNNAccuracy, KNNMetric

__all__ = [
    'KNNAccuracy',
    'KNNMetric',
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
