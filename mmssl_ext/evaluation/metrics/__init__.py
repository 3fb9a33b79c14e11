# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Metrics registered in ``mmssl_ext.registry.METRICS``."""

from .knn_accuracy import KNNAccuracy, KNNMetric

__all__ = ['KNNAccuracy', 'KNNMetric']
