# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Optimizer wrappers registered in ``mmssl_ext.registry.OPTIM_WRAPPERS``."""

from .backbone_layer_decay import BackboneLayerDecayOptimWrapperConstructor
from .non_finite_skip_optim_wrapper import NonFiniteSkipOptimWrapper
from .skip_step_optim_wrapper import SkipStepOptimWrapper

__all__ = [
    'BackboneLayerDecayOptimWrapperConstructor',
    'NonFiniteSkipOptimWrapper',
    'SkipStepOptimWrapper',
]
