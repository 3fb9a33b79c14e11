# Copyright (c) mmssl_ext contributors. All rights reserved.
"""MMEngine's ExponentialMovingAverage without a device read of its step counter per update."""

from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import ExponentialMovingAverage

from mmssl_ext.registry import MODELS

__all__ = ['HostStepsEMA']


@MODELS.register_module()
class HostStepsEMA(ExponentialMovingAverage):
    """``ExponentialMovingAverage`` whose ``update_parameters`` keeps a host copy of the ``steps`` buffer.

    MMEngine's version evaluates ``self.steps == 0`` and ``self.steps % interval`` on the buffer, two device
    syncs per update (per training step of every momentum-encoder method). This one reads the buffer once, on the
    first update after construction or ``load_state_dict``, then counts on the host; the buffer is still
    incremented on the device, so checkpoints and the EMA maths are unchanged.

    Args:
        model (nn.Module): The model to average.
        momentum (float): EMA momentum, MMEngine convention (``new = (1 - m) avg + m src``). Defaults to 0.0002.
        interval (int): Update every ``interval`` steps. Defaults to 1.
        device (torch.device, optional): Device of the averaged copy. Defaults to None.
        update_buffers (bool): Average the buffers too instead of copying them. Defaults to False.
    """

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        interval: int = 1,
        device: Optional[torch.device] = None,
        update_buffers: bool = False,
    ) -> None:
        super().__init__(model, momentum, interval, device, update_buffers)
        self._host_steps: Optional[int] = None

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._host_steps = None  # re-read the restored buffer on the next update

    def update_parameters(self, model: nn.Module) -> None:
        """Average ``model`` into this copy (MMEngine's rule), counting the steps on the host.

        Args:
            model (nn.Module): The source model.
        """
        if self._host_steps is None:
            self._host_steps = int(self.steps)
        src = model.state_dict() if self.update_buffers else dict(model.named_parameters())
        if self._host_steps == 0:
            for k, p_avg in self.avg_parameters.items():
                p_avg.data.copy_(src[k].data)
        elif self._host_steps % self.interval == 0:
            for k, p_avg in self.avg_parameters.items():
                if p_avg.dtype.is_floating_point:
                    self.avg_func(p_avg.data, src[k].data.to(p_avg.device), self.steps)
        if not self.update_buffers:
            for b_avg, b_src in zip(self.module.buffers(), model.buffers()):
                b_avg.data.copy_(b_src.data.to(b_avg.device))
        self.steps += 1
        self._host_steps += 1
