# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Self-supervised algorithms (MoCo v2 family)."""

from .byol_feataug import BYOLFeatAug
from .clsa import CLSA
from .mochi import MoCHi, current_epoch
from .mocov2 import MoCoV2
from .mocov2_feataug import MoCoV2FeatAug, build_feature_augmentation
from .simsiam_feataug import SimSiamFeatAug

__all__ = [
    'MoCoV2',
    'CLSA',
    'MoCHi',
    'MoCoV2FeatAug',
    'BYOLFeatAug',
    'SimSiamFeatAug',
    'build_feature_augmentation',
    'current_epoch',
]
