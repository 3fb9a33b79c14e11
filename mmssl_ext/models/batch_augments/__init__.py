# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched view augmentations on uint8-valued float tensors, run by ``BatchAugDataPreprocessor`` on the device."""

from .base import BaseBatchAugment, apply_to_subset
from .clsa_randaugment import BATCH_CLSA_OPS, BatchCLSARandAugment
from .color_jitter import BatchColorJitter
from .flip import BatchRandomFlip
from .gaussian_blur import BatchGaussianBlur
from .grayscale import BatchRandomGrayscale
from .random_resized_crop import BatchRandomResizedCrop, sample_crop_boxes
from .solarize import BatchSolarize

__all__ = [
    'BaseBatchAugment',
    'apply_to_subset',
    'BATCH_CLSA_OPS',
    'BatchCLSARandAugment',
    'BatchColorJitter',
    'BatchRandomFlip',
    'BatchGaussianBlur',
    'BatchRandomGrayscale',
    'BatchRandomResizedCrop',
    'sample_crop_boxes',
    'BatchSolarize',
]
