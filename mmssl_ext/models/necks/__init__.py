# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Necks registered in ``mmssl_ext.registry.MODELS``."""

from .simple_feature_pyramid import LayerNorm2d, SimpleFeaturePyramid

__all__ = ['SimpleFeaturePyramid', 'LayerNorm2d']
