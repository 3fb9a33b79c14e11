# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Datasets and transforms registered in ``mmssl_ext.registry``."""

from mmssl_ext.utils.compat import patch_mmcv_adjust_hue

from .bad_sample_policy import BadSamplePolicyDataset, TooManyBadSamplesError
from .cifar10_folder import CIFAR10_CLASSES, CIFAR10Folder
from .digits import DigitsDataset
from .transforms import CLSARandAugment, CorruptImageError, LoadImageFromFile

__all__ = [
    'BadSamplePolicyDataset',
    'TooManyBadSamplesError',
    'DigitsDataset',
    'CIFAR10Folder',
    'CIFAR10_CLASSES',
    'LoadImageFromFile',
    'CorruptImageError',
    'CLSARandAugment',
]

patch_mmcv_adjust_hue()  # mmcv 2.1.0 + numpy 2: ColorJitter(hue) crashes otherwise
