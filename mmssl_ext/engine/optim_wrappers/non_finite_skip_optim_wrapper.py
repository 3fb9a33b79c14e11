# Copyright (c) mmssl_ext contributors. All rights reserved.
"""An optimizer wrapper that skips, on purpose and counted, the steps whose loss or gradients are not finite."""

from typing import Dict, Optional

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from mmssl_ext.registry import OPTIM_WRAPPERS

from ..hooks.non_finite_guard_hook import NonFiniteError

__all__ = ['NonFiniteSkipOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class NonFiniteSkipOptimWrapper(OptimWrapper):
    """:class:`mmengine.optim.OptimWrapper` that leaves out an update whose loss or gradients hold a NaN/Inf.

    The skip is the one AMP's loss scaler makes, without the scaling: before stepping, one fused norm over the
    gradients and the loss decides (one host read per update); a non-finite update is dropped (gradients
    zeroed, no step, so momentum and weight decay do not move the weights), counted in ``skipped_steps`` and
    logged. After ``max_consecutive`` skipped updates in a row the run stops with :class:`NonFiniteError`:
    a run that cannot take a finite step is diverged, not unlucky. :class:`NonFiniteGuardHook` lets the
    non-finite loss of a skipped step pass (``last_skipped``) and still checks the weights.

    Args:
        *args: :class:`OptimWrapper` arguments (``optimizer``, ``accumulative_counts``, ``clip_grad``).
        max_consecutive (int): Skipped updates in a row before the run stops. Defaults to 10.
        **kwargs: :class:`OptimWrapper` keyword arguments.
    """

    def __init__(self, *args, max_consecutive: int = 10, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(max_consecutive, int) or max_consecutive < 1:
            raise ValueError(f'`max_consecutive` must be an int >= 1, got {max_consecutive!r}.')
        self.max_consecutive = max_consecutive
        self.skipped_steps = 0
        self.consecutive = 0
        self.last_skipped = False
        self._window_finite = True

    def _finite(self, loss: torch.Tensor) -> bool:
        grads = [p.grad for group in self.optimizer.param_groups for p in group['params'] if p.grad is not None]
        norms = torch._foreach_norm(grads) if grads else []
        values = [loss.detach().float().reshape(())] + [n.float().to(loss.device) for n in norms]
        return bool(torch.isfinite(torch.stack(values)).all())

    def update_params(
        self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None, zero_kwargs: Optional[Dict] = None
    ) -> None:
        """Backward, then step unless the loss or the accumulated gradients are non-finite.

        Args:
            loss (torch.Tensor): The loss to back-propagate.
            step_kwargs (dict, optional): Arguments of ``optimizer.step``. Defaults to None.
            zero_kwargs (dict, optional): Arguments of ``optimizer.zero_grad``. Defaults to None.
        """
        self.backward(self.scale_loss(loss))
        self._window_finite = self._window_finite and bool(torch.isfinite(loss.detach()).all())
        self.last_skipped = False
        if not self.should_update():
            return
        if self._window_finite and self._finite(loss):
            self.step(**(step_kwargs or {}))
            self.consecutive = 0
        else:
            self.skipped_steps += 1
            self.consecutive += 1
            self.last_skipped = True
            print_log(
                f'Skipped a non-finite update ({self.consecutive} in a row, {self.skipped_steps} in all).',
                logger='current',
            )
            if self.consecutive >= self.max_consecutive:
                raise NonFiniteError(
                    f'{self.consecutive} updates in a row had a non-finite loss or gradient '
                    f'(max_consecutive={self.max_consecutive}); the run has diverged. Lower the learning rate or '
                    'enable gradient clipping (optim_wrapper.clip_grad).'
                )
        self.zero_grad(**(zero_kwargs or {}))
        self._window_finite = True
