# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Data transforms registered in ``mmssl_ext.registry.TRANSFORMS``."""

from .aps_patch_sampler import APSPatchSampler, view2_probabilities
from .clsa_randaugment import CLSARandAugment
from .crop_with_box import MultiViewWithKeys, RandomResizedCropWithBox
from .loading import CorruptImageError, LoadImageFromFile

__all__ = [
    'LoadImageFromFile',
    'CorruptImageError',
    'CLSARandAugment',
    'RandomResizedCropWithBox',
    'MultiViewWithKeys',
    'APSPatchSampler',
    'view2_probabilities',
]
