# Copyright (c) mmssl_ext contributors. All rights reserved.
"""MoCHi hard negative mixing: the synthetic negatives of the MoCHi algorithm (not a loss)."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

__all__ = ['MoCHiMixer']


@MODELS.register_module()
class MoCHiMixer(nn.Module):
    """Hard Negative Mixing for Contrastive Learning (MoCHi), Kalantidis et al., arXiv:2010.01028.

    For each query ``q``: keep the ``num_hard`` (N) queue entries most similar to ``q``; synthesise
    ``num_mix`` (s) negatives ``normalize(a n_i + (1 - a) n_j)`` with ``n_i, n_j`` drawn from them and
    ``a ~ U(0, 1)``, and ``num_query_mix`` (s') harder ones ``normalize(b q + (1 - b) n_j)`` with
    ``b ~ U(0, 0.5)``. Synthetic points are per query, detached (gradients through them are stopped, as
    unofficial code does) and returned, never written into the queue; pass them to
    :class:`QueueInfoNCELoss` as ``extra_negatives``. Mixing is off before ``start_epoch`` and before ``start_iter``
    (0-based; an iteration-based loop stays in epoch 0, so it gives the delay in iterations).

    Args:
        num_hard (int): ``N``. Defaults to 1024.
        num_mix (int): ``s``. Defaults to 1024.
        num_query_mix (int): ``s'``. Defaults to 128.
        start_epoch (int): First epoch with mixing. Defaults to 0.
        start_iter (int): First iteration with mixing. Defaults to 0.
    """

    def __init__(
        self,
        num_hard: int = 1024,
        num_mix: int = 1024,
        num_query_mix: int = 128,
        start_epoch: int = 0,
        start_iter: int = 0,
    ) -> None:
        super().__init__()
        for name, value in (('num_hard', num_hard), ('num_mix', num_mix), ('num_query_mix', num_query_mix)):
            if value < 0:
                raise ValueError(f'`{name}` must be >= 0, got {value}.')
        if start_epoch < 0 or start_iter < 0:
            raise ValueError(f'`start_epoch` and `start_iter` must be >= 0, got {start_epoch}, {start_iter}.')
        if num_hard == 0 and num_mix + num_query_mix > 0:
            raise ValueError('`num_hard` must be >= 1 to mix negatives.')
        self.num_hard = num_hard
        self.num_mix = num_mix
        self.num_query_mix = num_query_mix
        self.start_epoch = start_epoch
        self.start_iter = start_iter

    def hard_indices(self, query: torch.Tensor, queue: torch.Tensor) -> torch.Tensor:
        """``[B, N]`` indices of the ``N`` queue entries with the largest ``q . n``."""
        k = min(self.num_hard, queue.shape[0])
        return (query.detach() @ queue.detach().T).topk(k, dim=1).indices

    @torch.no_grad()
    def forward(
        self,
        query: torch.Tensor,
        queue: torch.Tensor,
        epoch: Optional[int] = None,
        iteration: Optional[int] = None,
        generator: Optional[torch.Generator] = None,
    ) -> torch.Tensor:
        """Synthesise hard negatives.

        Args:
            query (torch.Tensor): ``[B, D]`` normalised queries.
            queue (torch.Tensor): ``[K, D]`` normalised queue.
            epoch (int, optional): Current epoch; ``None`` counts as started. Defaults to None.
            iteration (int, optional): Current iteration; ``None`` counts as started. Defaults to None.
            generator (torch.Generator, optional): Random generator. Defaults to None.

        Returns:
            torch.Tensor: ``[B, s + s', D]`` unit-norm synthetic negatives (``[B, 0, D]`` when off).
        """
        if query.dim() != 2 or queue.dim() != 2 or query.shape[1] != queue.shape[1]:
            raise ValueError(f'query [B, D] and queue [K, D] expected, got {tuple(query.shape)}, {tuple(queue.shape)}.')
        batch, dim = query.shape
        started = (epoch is None or epoch >= self.start_epoch) and (iteration is None or iteration >= self.start_iter)
        if not started or self.num_mix + self.num_query_mix == 0 or queue.shape[0] == 0:
            return query.new_zeros(batch, 0, dim)
        q, bank = query.detach(), queue.detach().to(query.dtype)
        hard = self.hard_indices(q, bank)
        n = hard.shape[1]
        dev = q.device
        out = []
        if self.num_mix > 0:
            pick = torch.randint(n, (batch, 2, self.num_mix), device=dev, generator=generator)
            ni = bank[hard.gather(1, pick[:, 0])]
            nj = bank[hard.gather(1, pick[:, 1])]
            a = torch.rand(batch, self.num_mix, 1, device=dev, dtype=q.dtype, generator=generator)
            out.append(F.normalize(a * ni + (1 - a) * nj, dim=-1))
        if self.num_query_mix > 0:
            pick = torch.randint(n, (batch, self.num_query_mix), device=dev, generator=generator)
            nj = bank[hard.gather(1, pick)]
            b = 0.5 * torch.rand(batch, self.num_query_mix, 1, device=dev, dtype=q.dtype, generator=generator)
            out.append(F.normalize(b * q[:, None] + (1 - b) * nj, dim=-1))
        return torch.cat(out, dim=1)
