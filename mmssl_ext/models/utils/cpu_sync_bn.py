# Copyright (c) mmssl_ext contributors. All rights reserved.
"""SyncBN for CPU process groups (gloo).

``torch.nn.SyncBatchNorm`` raises ``SyncBatchNorm expected input tensor to be on GPU`` as soon as a CPU tensor meets
an initialised process group, and DDP refuses it on CPU modules; so a config with ``norm_cfg=dict(type='SyncBN')``
(mmpretrain's ``NonLinearNeck`` default, mmdet's transfer configs) or ``sync_bn='torch'`` cannot train on CPU
ranks. :class:`CPUSyncBatchNorm` normalises CPU inputs with the statistics of every rank's batch through two
differentiable ``all_reduce`` calls (sum, then centred sum of squares: exact in float32 where ``E[x^2] - E[x]^2`` is
not). Its backward all-reduces the gradients of the statistics, as torch's SyncBN does, so DDP's averaged gradients
equal those of one process on the concatenated batch. :class:`~mmssl_ext.engine.runner.SSLRunner` swaps it in on
CPU ranks.
"""

from typing import TYPE_CHECKING, Optional

import torch
import torch.distributed as torch_dist
import torch.nn as nn
from torch.distributed.nn.functional import all_reduce as all_reduce_with_grad

if TYPE_CHECKING:
    from torch.distributed import ProcessGroup

__all__ = ['CPUSyncBatchNorm', 'convert_cpu_sync_batchnorm']


class CPUSyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch normalisation synchronised over a CPU process group (gloo), for inputs of any rank >= 2.

    Same arguments, parameters, buffers and state-dict keys as ``torch.nn.SyncBatchNorm``. Outside training, without
    a process group or with one rank it is plain BatchNorm. It is deliberately not a ``torch.nn.SyncBatchNorm``
    subclass: DDP refuses those on CPU modules. It works on any device; on GPUs torch's fused SyncBN is faster.

    Args:
        num_features (int): Channels ``C`` of the ``[N, C, ...]`` input.
        eps (float): Added to the variance. Defaults to 1e-5.
        momentum (float, optional): Running-average factor; None for a cumulative average. Defaults to 0.1.
        affine (bool): Learnable weight and bias. Defaults to True.
        track_running_stats (bool): Keep running statistics. Defaults to True.
        process_group (ProcessGroup, optional): Group to synchronise over. Defaults to None (the world).
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: Optional[float] = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Optional['ProcessGroup'] = None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats)
        self.process_group = process_group

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f'expected at least 2D input (got {x.dim()}D input)')

    def _needs_sync(self) -> bool:
        """True for a batch in training mode under an initialised process group of several ranks."""
        if not (self.training and torch_dist.is_available() and torch_dist.is_initialized()):
            return False
        group = self.process_group or torch_dist.group.WORLD
        return torch_dist.get_world_size(group) > 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` (``[N, C, ...]``) with the statistics of every rank's batch.

        Args:
            x (torch.Tensor): The local batch.

        Returns:
            torch.Tensor: The normalised batch.
        """
        if not self._needs_sync():
            return super().forward(x)
        self._check_input_dim(x)
        group = self.process_group or torch_dist.group.WORLD
        dims = [0] + list(range(2, x.dim()))
        shape = [1, -1] + [1] * (x.dim() - 2)
        count = torch.tensor([x.numel() // x.shape[1]], dtype=torch.float64)
        torch_dist.all_reduce(count, group=group)
        total = float(count.item())
        if total <= 1:
            raise ValueError(f'CPUSyncBatchNorm needs more than 1 value per channel over all ranks, got {total:g}.')
        mean = all_reduce_with_grad(x.sum(dims), group=group) / total
        centred = x - mean.view(shape)
        var = all_reduce_with_grad((centred * centred).sum(dims), group=group) / total
        out = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        if self.track_running_stats and self.running_mean is not None:
            self._update_running_stats(mean.detach(), var.detach() * total / (total - 1))
        return out

    @torch.no_grad()
    def _update_running_stats(self, mean: torch.Tensor, unbiased_var: torch.Tensor) -> None:
        """Torch's update rule: exponential average with ``momentum``, cumulative average when it is None."""
        # Called only with track_running_stats, under which _BatchNorm registers the three buffers.
        assert self.num_batches_tracked is not None and self.running_mean is not None and self.running_var is not None
        self.num_batches_tracked.add_(1)
        factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        self.running_mean.mul_(1 - factor).add_(mean.to(self.running_mean.dtype), alpha=factor)
        self.running_var.mul_(1 - factor).add_(unbiased_var.to(self.running_var.dtype), alpha=factor)


def convert_cpu_sync_batchnorm(
    module: nn.Module, convert_batchnorm: bool = False, process_group: Optional['ProcessGroup'] = None
) -> nn.Module:
    """Swap SyncBN (and, with ``convert_batchnorm``, every BatchNorm) for :class:`CPUSyncBatchNorm`.

    The new layers share the parameters and buffers of the original ones.

    Args:
        module (nn.Module): The model (or a layer).
        convert_batchnorm (bool): Also convert plain ``BatchNorm*d`` layers (what ``sync_bn='torch'`` asks).
            Defaults to False.
        process_group (ProcessGroup, optional): The group to synchronise over. Defaults to None (the world).

    Returns:
        nn.Module: ``module`` with the layers swapped (a new object when ``module`` itself is converted).
    """
    is_bn = isinstance(module, nn.modules.batchnorm._BatchNorm)
    if (
        is_bn
        and not isinstance(module, CPUSyncBatchNorm)
        and (convert_batchnorm or isinstance(module, nn.SyncBatchNorm))
    ):
        assert isinstance(module, nn.modules.batchnorm._BatchNorm)  # is_bn
        new = CPUSyncBatchNorm(
            module.num_features,
            module.eps,
            module.momentum,
            module.affine,
            module.track_running_stats,
            process_group=getattr(module, 'process_group', None) or process_group,
        )
        if module.affine:
            new.weight = module.weight
            new.bias = module.bias
        new.running_mean = module.running_mean
        new.running_var = module.running_var
        new.num_batches_tracked = module.num_batches_tracked
        new.train(module.training)
        if hasattr(module, 'qconfig'):
            new.qconfig = module.qconfig
        return new
    for name, child in module.named_children():
        converted = convert_cpu_sync_batchnorm(child, convert_batchnorm, process_group)
        if converted is not child:
            module.add_module(name, converted)
    return module
