# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Epoch-wise ``min(linear warm-up, cosine)`` learning-rate factor (the APS / MAE-style LambdaLR)."""

import math
from typing import List, Optional

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from mmssl_ext.registry import PARAM_SCHEDULERS

__all__ = ['WarmupCosineLambdaLR', 'warmup_cosine_factor']


def warmup_cosine_factor(step: int, warmup: int, total: int) -> float:
    """``min((step + 1) / warmup, 0.5 * (1 + cos(pi * step / total)))`` (warm-up skipped when ``warmup`` is 0).

    Args:
        step (int): Current epoch (or iteration), from 0.
        warmup (int): Warm-up length.
        total (int): Cosine period (the run length).

    Returns:
        float: The learning-rate factor.
    """
    cosine = 0.5 * (1.0 + math.cos(math.pi * step / total))
    return cosine if warmup <= 0 else min((step + 1) / warmup, cosine)


@PARAM_SCHEDULERS.register_module()
class WarmupCosineLambdaLR(LRSchedulerMixin, _ParamScheduler):
    """``lr = base_lr * min((e + 1) / warmup, 0.5 (1 + cos(pi e / total)))`` at step ``e`` (from ``begin``).

    The official APS pre-training schedule (``torch.optim.lr_scheduler.LambdaLR`` stepped once per epoch): the
    cosine runs over the whole schedule from step 0 and the linear warm-up caps it, so it is not the same as
    mmengine's ``LinearLR`` followed by a ``CosineAnnealingLR`` that starts after the warm-up. The value is set in
    closed form from the base learning rate: do not chain it with other learning-rate schedulers.

    Args:
        optimizer (Optimizer | OptimWrapper): The wrapped optimiser.
        warmup (int): Warm-up steps (epochs with ``by_epoch=True``). Defaults to 20.
        total (int, optional): Cosine period in steps. Defaults to None (``end - begin``).
        begin (int): First step. Defaults to 0.
        end (int): Last step (exclusive). Defaults to INF.
        last_step (int): For resuming. Defaults to -1.
        by_epoch (bool): Step per epoch. Defaults to True.
        verbose (bool): Print every update. Defaults to False.
    """

    def __init__(
        self,
        optimizer,
        warmup: int = 20,
        total: Optional[int] = None,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        total = end - begin if total is None else total
        if total is None or total <= 0 or total >= INF:
            raise ValueError(f'`total` (or a finite `end` > `begin`) must give the cosine period, got {total}.')
        if warmup < 0:
            raise ValueError(f'`warmup` must be >= 0, got {warmup}.')
        self.warmup, self.total = int(warmup), int(total)
        super().__init__(optimizer, begin=begin, end=end, last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self) -> List[float]:
        factor = warmup_cosine_factor(self.last_step, self.warmup, self.total)
        return [base * factor for base in self.base_values]
