# Copyright (c) mmssl_ext contributors. All rights reserved.
"""DDP wrapper that hands the whole training step to models that own it (several optimiser steps, or a rejected one)."""

from typing import Dict, Union

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

from mmssl_ext.registry import MODEL_WRAPPERS

__all__ = ['MultiStepDistributedDataParallel']


@MODEL_WRAPPERS.register_module()
class MultiStepDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` whose ``train_step`` defers to ``module.multi_step_train(self, ...)``.

    mmengine's DDP wrapper runs its own ``train_step`` (one forward, one ``update_params``) and never calls the
    module's, so a model that needs several optimiser steps per loaded batch (APS: one per token chunk) would
    silently get one, and one that hands a rejected batch to its optimizer wrapper (``CuratedSimCLR``'s gate)
    would silently update. This wrapper calls ``module.multi_step_train(wrapper, data, optim_wrapper)``, which runs each
    forward through the wrapper (so DDP synchronises the gradients of every step). Modules without
    ``multi_step_train`` train as with ``MMDistributedDataParallel``. Select it with
    ``model_wrapper_cfg = dict(type='MultiStepDistributedDataParallel')``.
    """

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """Run the module's multi-step training step through this wrapper.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The optimiser wrapper.

        Returns:
            dict: Log variables.
        """
        step = getattr(self.module, 'multi_step_train', None)
        if step is None:
            return super().train_step(data, optim_wrapper)
        return step(self, data, optim_wrapper)
