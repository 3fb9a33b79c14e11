# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Self-supervised algorithms (MoCo v2 and SimCLR families)."""

from .aps import APS, token_chunks
from .byol_feataug import BYOLFeatAug
from .clsa import CLSA
from .contrastive_simclr import ContrastiveSimCLR
from .curated_simclr import CuratedSimCLR
from .dcl import DCL
from .fnc import FNC
from .mochi import MoCHi, current_epoch
from .mochi_mixer import MoCHiMixer
from .mocov2 import MoCoV2
from .mocov2_feataug import (
    MoCoV2FeatAug,
    build_feature_augmentation,  # noqa: F401  (moved to feature_augs; here one release)
)
from .sce import SCE
from .simsiam_feataug import SimSiamFeatAug
from .supcon import SupCon, labels_from_samples

__all__ = [
    'APS',
    'token_chunks',
    'ContrastiveSimCLR',
    'CuratedSimCLR',
    'DCL',
    'SupCon',
    'labels_from_samples',
    'MoCoV2',
    'CLSA',
    'MoCHi',
    'MoCHiMixer',
    'MoCoV2FeatAug',
    'BYOLFeatAug',
    'SimSiamFeatAug',
    'SCE',
    'FNC',
    'current_epoch',
]
