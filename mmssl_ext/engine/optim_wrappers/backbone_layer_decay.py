# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Layer-wise learning-rate decay for any model whose backbone defines ``get_layer_depth`` (detectors included)."""

from typing import Callable, List, Optional

import torch.nn as nn
from mmpretrain.engine.optimizers import LearningRateDecayOptimWrapperConstructor

from mmssl_ext.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['BackboneLayerDecayOptimWrapperConstructor']


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class BackboneLayerDecayOptimWrapperConstructor(LearningRateDecayOptimWrapperConstructor):
    """mmpretrain's layer-decay constructor for models without their own ``get_layer_depth`` (e.g. mmdet detectors).

    ``backbone.*`` parameters get ``lr * layer_decay_rate ** (max_depth - depth - 1)`` from
    ``model.backbone.get_layer_depth`` (mmpretrain's ViTs: patch / position embedding and cls token at depth 0,
    block ``i`` at ``i + 1``); every other parameter (neck, heads) is above the last block and keeps the base lr.
    The weight-decay rules (``custom_keys``, ``norm_decay_mult``, ``bias_decay_mult``, ``flat_decay_mult``) are
    mmpretrain's.
    """

    def add_params(
        self,
        params: List[dict],
        module: nn.Module,
        prefix: str = '',
        get_layer_depth: Optional[Callable] = None,
        **kwargs,
    ) -> None:
        """Add ``module``'s parameters, taking the depths from its backbone when it has no ``get_layer_depth``."""
        if get_layer_depth is None and not hasattr(module, 'get_layer_depth'):
            backbone = getattr(module, 'backbone', None)
            if backbone is None or not hasattr(backbone, 'get_layer_depth'):
                raise ValueError(
                    f'{type(self).__name__} needs `model.backbone.get_layer_depth` (mmpretrain ViTs have it); '
                    f'{type(module).__name__} has no such backbone.'
                )

            def get_layer_depth(name: str) -> tuple:
                return backbone.get_layer_depth(name, 'backbone.')

        super().add_params(params, module, prefix, get_layer_depth, **kwargs)
