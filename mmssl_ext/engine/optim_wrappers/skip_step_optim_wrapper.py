# Copyright (c) mmssl_ext contributors. All rights reserved.
"""An optimizer wrapper that leaves out the steps a model flags as skipped (batch curation's gate)."""

from typing import Dict, Optional

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from mmssl_ext.registry import OPTIM_WRAPPERS

__all__ = ['SkipStepOptimWrapper', 'SKIP_STEP_KEY', 'SKIP_STEP_SUPPORTED_KEY', 'request_skip_step']

#: Message-hub runtime-info key a model sets to ``True`` during its forward to drop this step's update.
SKIP_STEP_KEY = 'skip_step'
#: Message-hub runtime-info key set by :class:`SkipStepOptimWrapper` so that models can check for it.
SKIP_STEP_SUPPORTED_KEY = 'skip_step_supported'


def request_skip_step(skip: bool) -> bool:
    """Ask the optimizer wrapper to skip (or not) the update of the current step.

    Args:
        skip (bool): Skip this step's parameter update.

    Returns:
        bool: Whether a :class:`SkipStepOptimWrapper` is there to honour it.
    """
    hub = MessageHub.get_current_instance()
    hub.update_info(SKIP_STEP_KEY, bool(skip))
    return bool(hub.get_info(SKIP_STEP_SUPPORTED_KEY, False))


@OPTIM_WRAPPERS.register_module()
class SkipStepOptimWrapper(OptimWrapper):
    """:class:`mmengine.optim.OptimWrapper` that does not step on batches the model rejected.

    A model rejects a batch by returning a loss that is zero through the graph (so every rank still
    runs the same backward and DDP's all-reduce) and calling :func:`request_skip_step` with ``True``
    in its forward. A rejected batch then adds nothing to the gradients; when every batch of an update
    window (``accumulative_counts``) was rejected, the optimizer does not step at all, so momentum
    and weight decay leave the weights untouched (a plain ``OptimWrapper`` would still apply them).
    ``skipped_steps`` counts the updates left out.

    Args:
        *args: :class:`OptimWrapper` arguments (``optimizer``, ``accumulative_counts``, ``clip_grad``).
        **kwargs: :class:`OptimWrapper` keyword arguments.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skipped_steps = 0
        self._accepted_in_window = 0
        MessageHub.get_current_instance().update_info(SKIP_STEP_SUPPORTED_KEY, True)

    def update_params(
        self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None, zero_kwargs: Optional[Dict] = None
    ) -> None:
        """Backward, then step unless every batch of the update window was rejected.

        Args:
            loss (torch.Tensor): The loss to back-propagate.
            step_kwargs (dict, optional): Arguments of ``optimizer.step``. Defaults to None.
            zero_kwargs (dict, optional): Arguments of ``optimizer.zero_grad``. Defaults to None.
        """
        hub = MessageHub.get_current_instance()
        rejected = bool(hub.get_info(SKIP_STEP_KEY, False))
        hub.update_info(SKIP_STEP_KEY, False)
        self.backward(self.scale_loss(loss))
        if not rejected:
            self._accepted_in_window += 1
        if self.should_update():
            if self._accepted_in_window > 0:
                self.step(**(step_kwargs or {}))
            else:
                self.skipped_steps += 1
            self.zero_grad(**(zero_kwargs or {}))
            self._accepted_in_window = 0
