# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Feature-space augmenters (FEATURE_AUGMENTERS) and the :class:`FeatureAugmentation` chain."""

from .base import BaseFeatureAugmenter, FeatureTriplet, sample_beta
from .feataug_loss import FeatAugLoss
from .feature_augmentation import FeatureAugmentation, build_feature_augmentation
from .feature_dropout import FeatureDropout
from .gaussian_noise import GaussianNoise
from .intra_batch_mix import IntraBatchMix
from .mlp_generator import ResidualMLPGenerator
from .negative_interpolation import NegativeInterpolation
from .positive_extrapolation import PositiveExtrapolation

__all__ = [
    'FeatureTriplet',
    'BaseFeatureAugmenter',
    'sample_beta',
    'GaussianNoise',
    'FeatureDropout',
    'IntraBatchMix',
    'PositiveExtrapolation',
    'NegativeInterpolation',
    'ResidualMLPGenerator',
    'FeatureAugmentation',
    'build_feature_augmentation',
    'FeatAugLoss',
]
