# Copyright (c) mmssl_ext contributors. All rights reserved.
"""A momentum encoder whose momentum follows BYOL's cosine over the run, counted on the host."""

import math
from typing import Optional

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS
from mmssl_ext.utils.progress import total_iterations

from .host_steps_ema import HostStepsEMA

__all__ = ['CosineHostStepsEMA', 'cosine_momentum']


def cosine_momentum(start: float, end: float, step: int, total: Optional[int]) -> float:
    """The EMA momentum (MMEngine convention, ``1 - tau``) of optimiser step ``step`` of ``total``.

    ``m = end + (start - end) * (cos(pi * step / (total - 1)) + 1) / 2``: ``start`` at step 0, ``end`` at the
    last step (``total - 1``), as eztorch's ``cosine`` momentum rule (``tau = 1 - (1 - tau_0) (cos + 1) / 2``)
    with ``end=0``. Without a known ``total`` (outside a runner) or with ``total <= 1`` it stays ``start``.

    Args:
        start (float): Momentum at the first step.
        end (float): Momentum at the last step.
        step (int): 0-based optimiser step whose weights are averaged in; clamped to ``[0, total - 1]``.
        total (int, optional): Optimiser steps of the run.

    Returns:
        float: The momentum.
    """
    if total is None or total <= 1:
        return start
    step = min(max(step, 0), total - 1)
    return end + (start - end) * (math.cos(math.pi * step / (total - 1)) + 1) / 2


@MODELS.register_module()
class CosineHostStepsEMA(HostStepsEMA):
    """:class:`HostStepsEMA` with the momentum annealed from ``momentum`` to ``end_momentum`` by a cosine.

    mmpretrain's ``CosineEMA`` does the same with ``steps / max_iters`` read from the device counter; this one
    keeps the host count of :class:`HostStepsEMA` (no device read per step) and takes the run's length from
    :func:`~mmssl_ext.utils.total_iterations`. The update made before the forward of step ``i`` averages in the
    weights after optimiser step ``i - 1`` and uses :func:`cosine_momentum` of that step, so the schedule is the
    one of an EMA updated after each step (eztorch). The step count is the ``steps`` buffer, so a resumed run
    continues the schedule where it stopped.

    Args:
        model (nn.Module): The model to average.
        momentum (float): Momentum at the start, MMEngine convention (0.01 is tau 0.99). Defaults to 0.01.
        end_momentum (float): Momentum at the last step (0 is tau 1). Defaults to 0.0.
        interval (int): Update every ``interval`` steps. Defaults to 1.
        device (torch.device, optional): Device of the averaged copy. Defaults to None.
        update_buffers (bool): Average the buffers too instead of copying them. Defaults to False.
    """

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.01,
        end_momentum: float = 0.0,
        interval: int = 1,
        device: Optional[torch.device] = None,
        update_buffers: bool = False,
    ) -> None:
        if not 0.0 <= end_momentum < 1.0:
            raise ValueError(f'`end_momentum` must lie in [0, 1) (0 = tau 1), got {end_momentum}.')
        super().__init__(model, momentum, interval, device, update_buffers)
        self.end_momentum = end_momentum
        self._step_momentum = momentum

    def current_momentum(self) -> float:
        """The momentum of the next update (``momentum`` before the first one).

        Returns:
            float: The momentum.
        """
        steps = self._host_steps if self._host_steps is not None else int(self.steps)
        return cosine_momentum(self.momentum, self.end_momentum, steps - 1, total_iterations())

    def update_parameters(self, model: nn.Module) -> None:
        """Average ``model`` into this copy with the momentum of the current step.

        Args:
            model (nn.Module): The source model.
        """
        self._step_momentum = self.current_momentum()
        super().update_parameters(model)

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: torch.Tensor) -> None:
        """``averaged = (1 - m) averaged + m source`` with this step's cosine momentum ``m``.

        Args:
            averaged_param (torch.Tensor): The averaged parameter (updated in place).
            source_param (torch.Tensor): The source parameter.
            steps (torch.Tensor): Unused (the host count gives the step).
        """
        averaged_param.lerp_(source_param, self._step_momentum)
