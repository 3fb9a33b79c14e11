# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Data preprocessors."""

from .batch_aug_data_preprocessor import BatchAugDataPreprocessor

__all__ = ['BatchAugDataPreprocessor']
