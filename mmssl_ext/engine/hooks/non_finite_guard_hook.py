# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Stop a run whose loss or weights stop being finite, and never write a checkpoint with NaN/Inf tensors."""

from typing import Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmssl_ext.registry import HOOKS

__all__ = ['NonFiniteGuardHook', 'NonFiniteError', 'non_finite_tensors']


class NonFiniteError(RuntimeError):
    """A training run produced a NaN or Inf loss, parameter or checkpoint tensor."""


def non_finite_tensors(tensors: Dict[str, torch.Tensor]) -> List[str]:
    """Names of the floating-point tensors of ``tensors`` that hold a NaN or an Inf.

    Args:
        tensors (dict[str, torch.Tensor]): Named tensors (e.g. a state dict); other values are ignored.

    Returns:
        list[str]: The names, in the dict's order.
    """
    names = [k for k, v in tensors.items() if isinstance(v, torch.Tensor) and v.is_floating_point() and v.numel()]
    if not names:
        return []
    # one fused reduction and one host read for the whole dict: a norm is NaN/Inf iff a value is (or overflows)
    norms = torch._foreach_norm([tensors[k].detach().float() for k in names])
    finite = torch.isfinite(torch.stack([n.to(norms[0].device) for n in norms])).tolist()
    return [k for k, ok in zip(names, finite) if not ok]


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Raise :class:`NonFiniteError` when a loss term or a parameter becomes NaN/Inf.

    * After every iteration, the loss terms (log keys containing ``'loss'``) are read from the message hub,
      where ``RuntimeInfoHook`` has already converted them to Python floats: no extra host sync.
    * Every ``param_interval`` iterations the model's parameters are checked with one fused norm (one host
      sync). This catches a network that diverged while its loss still reads finite.
    * Before any checkpoint is written, every floating-point tensor of its ``state_dict`` is checked; a
      checkpoint with NaN/Inf is refused, so the last checkpoint on disk is always finite.

    The error names the iteration, the non-finite terms or tensors and the last checkpoint written. With
    :class:`~mmssl_ext.engine.NonFiniteSkipOptimWrapper` a non-finite loss whose update was skipped passes
    (the wrapper counts the skips and stops after ``max_consecutive`` in a row).
    It is in every config through ``configs/_base_/default_runtime.py`` (``default_hooks.non_finite``); set
    that key to ``None`` to turn it off.

    Args:
        param_interval (int): Check the parameters every this many iterations (0: never, the checkpoint
            check stays). Defaults to 1.
    """

    priority = 'NORMAL'  # after RuntimeInfoHook (VERY_HIGH) logs the losses, before CheckpointHook (VERY_LOW)

    def __init__(self, param_interval: int = 1) -> None:
        if not isinstance(param_interval, int) or param_interval < 0:
            raise ValueError(f'`param_interval` must be an int >= 0, got {param_interval!r}.')
        self.param_interval = param_interval

    @staticmethod
    def _last_checkpoint(runner: Runner) -> str:
        last: Optional[str] = runner.message_hub.get_info('last_ckpt')
        return f'the last checkpoint written is {last}' if last else 'no checkpoint has been written yet'

    def after_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None, outputs: Optional[dict] = None
    ) -> None:
        """Check the logged loss terms, and the parameters every ``param_interval`` iterations."""
        iteration = runner.iter + 1
        bad = []
        for key in outputs or {}:
            if 'loss' not in key:
                continue
            assert outputs is not None  # the loop runs over its keys
            buffer = runner.message_hub.log_scalars.get(f'train/{key}')
            value = buffer.current() if buffer is not None else outputs[key]
            value = float(value) if not isinstance(value, torch.Tensor) else float(value.detach())
            if value != value or value in (float('inf'), float('-inf')):
                bad.append(f'{key}={value}')
        if bad and getattr(getattr(runner, 'optim_wrapper', None), 'last_skipped', False):
            bad = []  # NonFiniteSkipOptimWrapper dropped this update on purpose (counted, bounded)
        if bad:
            raise NonFiniteError(
                f'Non-finite loss at iteration {iteration}: {", ".join(bad)}; {self._last_checkpoint(runner)}. '
                'Lower the learning rate or enable gradient clipping (optim_wrapper.clip_grad).'
            )
        if self.param_interval and iteration % self.param_interval == 0:
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            names = non_finite_tensors(dict(model.named_parameters()))
            if names:
                raise NonFiniteError(
                    f'{len(names)} parameter tensors became non-finite at iteration {iteration} '
                    f'(first: {", ".join(names[:5])}); {self._last_checkpoint(runner)}. '
                    'Lower the learning rate or enable gradient clipping (optim_wrapper.clip_grad).'
                )

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Refuse to write a checkpoint with non-finite weights or buffers."""
        names = non_finite_tensors(checkpoint.get('state_dict', {}))
        if names:
            raise NonFiniteError(
                f'Refusing to save a checkpoint at iteration {runner.iter}: {len(names)} tensors are non-finite '
                f'(first: {", ".join(names[:5])}); {self._last_checkpoint(runner)}.'
            )
