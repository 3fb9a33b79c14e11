# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Data transforms registered in ``mmssl_ext.registry.TRANSFORMS``."""

from .clsa_randaugment import CLSARandAugment
from .loading import CorruptImageError, LoadImageFromFile

__all__ = ['LoadImageFromFile', 'CorruptImageError', 'CLSARandAugment']
