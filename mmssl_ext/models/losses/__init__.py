# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Contrastive losses: pure tensor math on L2-normalised ``[B, V, D]`` features, registered in MODELS."""

from .aps_loss import APSLoss
from .cmc_loss import CMCLoss, cmc_momentum_update
from .contrastive_kernel import contrastive_log_softmax
from .dcl_loss import DCLLoss
from .ddm_loss import DDMLoss, ddm_loss
from .eps_supinfonce_loss import EpsSupInfoNCELoss
from .fairkl_loss import FairKLLoss
from .fnc_loss import FNCLoss, detect_false_negatives
from .infonce_loss import InfoNCELoss
from .mochi import MoCHiMixer
from .paco_loss import PaCoLoss
from .pair_masks import PairMasks
from .per_positive_kernel import per_positive_log_softmax
from .relic_loss import ReLICLoss
from .renyi_loss import RenyiContrastiveLoss
from .sce_loss import SCELoss, sce_loss
from .supcon_loss import SupConLoss
from .unicon_loss import UniConLoss
from .utils import check_features, flatten_views, masked_logsumexp

__all__ = [
    'APSLoss',
    'InfoNCELoss',
    'SupConLoss',
    'DCLLoss',
    'EpsSupInfoNCELoss',
    'FairKLLoss',
    'RenyiContrastiveLoss',
    'SCELoss',
    'DDMLoss',
    'PaCoLoss',
    'UniConLoss',
    'FNCLoss',
    'ReLICLoss',
    'CMCLoss',
    'MoCHiMixer',
    'PairMasks',
    'contrastive_log_softmax',
    'per_positive_log_softmax',
    'check_features',
    'flatten_views',
    'masked_logsumexp',
    'ddm_loss',
    'sce_loss',
    'detect_false_negatives',
    'cmc_momentum_update',
]
