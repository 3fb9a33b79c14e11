# Copyright (c) mmssl_ext contributors. All rights reserved.
"""An optimizer wrapper that leaves out the updates of batches the model rejected (batch curation's gate)."""

from typing import Dict, Optional

import torch
from mmengine.optim import OptimWrapper

from mmssl_ext.registry import OPTIM_WRAPPERS

__all__ = ['SkipStepOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class SkipStepOptimWrapper(OptimWrapper):
    """:class:`mmengine.optim.OptimWrapper` that does not step on batches the model rejected.

    A model that owns its training step (``train_step``, e.g. :class:`~mmssl_ext.models.CuratedSimCLR`) passes
    ``rejected=True`` to :meth:`update_params` for a batch it rejected, with a loss that is zero through the graph
    (so every rank still runs the same backward and DDP's all-reduce). A rejected batch adds nothing to the
    gradients; when every batch of an update window (``accumulative_counts``) was rejected, the optimizer does not
    step at all, so momentum and weight decay leave the weights untouched (a plain ``OptimWrapper`` would still
    apply them). ``skipped_steps`` counts the updates left out. Models check for the class attribute
    ``takes_rejected_batches`` rather than the type.

    Args:
        *args: :class:`OptimWrapper` arguments (``optimizer``, ``accumulative_counts``, ``clip_grad``).
        **kwargs: :class:`OptimWrapper` keyword arguments.
    """

    #: Whether :meth:`update_params` takes ``rejected``.
    takes_rejected_batches = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skipped_steps = 0
        self._accepted_in_window = 0

    def update_params(
        self,
        loss: torch.Tensor,
        step_kwargs: Optional[Dict] = None,
        zero_kwargs: Optional[Dict] = None,
        rejected: bool = False,
    ) -> None:
        """Backward, then step unless every batch of the update window was rejected.

        Args:
            loss (torch.Tensor): The loss to back-propagate.
            step_kwargs (dict, optional): Arguments of ``optimizer.step``. Defaults to None.
            zero_kwargs (dict, optional): Arguments of ``optimizer.zero_grad``. Defaults to None.
            rejected (bool): The model rejected this batch (its loss is zero through the graph). Defaults to False.
        """
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
