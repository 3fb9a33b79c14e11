# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Datasets and transforms registered in ``mmssl_ext.registry``."""

from .bad_sample_policy import BadSamplePolicyDataset, TooManyBadSamplesError
from .cifar10_any_layout import LAYOUTS, CIFAR10AnyLayout
from .cifar10_folder import CIFAR10_CLASSES, CIFAR10Folder
from .digits import DigitsDataset
from .knn_eval_dataset import KNNEvalDataset
from .transforms import CLSARandAugment, CorruptImageError, LoadImageFromFile

__all__ = [
    'BadSamplePolicyDataset',
    'TooManyBadSamplesError',
    'DigitsDataset',
    'KNNEvalDataset',
    'CIFAR10AnyLayout',
    'LAYOUTS',
    'CIFAR10Folder',
    'CIFAR10_CLASSES',
    'LoadImageFromFile',
    'CorruptImageError',
    'CLSARandAugment',
]
