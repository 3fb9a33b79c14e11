# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Contrastive losses: pure tensor math on L2-normalised ``[B, V, D]`` features, registered in MODELS.

Each loss states its formula in its own file and calls the shared numerics of :mod:`.kernels` once.
"""

import warnings
from typing import Any

from .aps_loss import APSLoss
from .cmc_loss import CMCLoss
from .dcl_loss import DCLLoss
from .ddm_loss import DDMLoss, ddm_loss
from .eps_supinfonce_loss import EpsSupInfoNCELoss
from .fairkl_loss import FairKLLoss
from .fnc_loss import FNCLoss, detect_false_negatives
from .infonce_loss import InfoNCELoss
from .kernels import PairMasks, contrastive_log_softmax, contrastive_loss, per_positive_log_softmax, per_positive_loss
from .nt_xent_loss import NTXentLoss
from .paco_loss import PaCoLoss
from .queue_infonce_loss import QueueInfoNCELoss
from .relic_loss import ReLICLoss
from .renyi_loss import RenyiContrastiveLoss
from .sce_loss import SCELoss, sce_loss
from .supcon_loss import SupConLoss
from .unicon_loss import UniConLoss
from .utils import check_features, flatten_views, masked_logsumexp

__all__ = [
    'NTXentLoss',
    'QueueInfoNCELoss',
    'InfoNCELoss',
    'APSLoss',
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
    'PairMasks',
    'contrastive_loss',
    'per_positive_loss',
    'contrastive_log_softmax',
    'per_positive_log_softmax',
    'check_features',
    'flatten_views',
    'masked_logsumexp',
    'ddm_loss',
    'sce_loss',
    'detect_false_negatives',
]

# names that moved out of the losses (they are not losses), importable from here for one release
_MOVED = {
    'MoCHiMixer': ('mmssl_ext.models.algorithms.mochi_mixer', 'MoCHiMixer'),
    'cmc_momentum_update': ('mmssl_ext.models.utils.cmc_memory', 'cmc_momentum_update'),
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        module, attr = _MOVED[name]
        warnings.warn(
            f'mmssl_ext.models.losses.{name} moved to {module}.{attr}; the old name goes in the next release.',
            DeprecationWarning,
            stacklevel=2,
        )
        import importlib

        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
