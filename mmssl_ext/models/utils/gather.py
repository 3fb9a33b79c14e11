# Copyright (c) mmssl_ext contributors. All rights reserved.
"""All-gather across ranks, with and without gradients.

Contrastive losses that use the negatives of every rank need the other ranks' features in the
forward pass and must send the gradient of each gathered block back to the rank that owns it. The
autograd function here sums the gradient of the gathered tensor over ranks (``all_reduce``) and
keeps the owner's slice, which is exact whatever each rank does with the gathered tensor. It only
uses ``all_gather`` and ``all_reduce``, so it runs on gloo (CPU) as well as NCCL.
"""

from typing import Tuple

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_rank, get_world_size

__all__ = ['all_gather_with_grad', 'all_gather_no_grad', 'rank_offset']


def _check_equal_sizes(tensor: torch.Tensor) -> None:
    """Raise a ValueError when ranks hold batches of different sizes."""
    size = torch.tensor([tensor.shape[0]], device=tensor.device, dtype=torch.long)
    sizes = [torch.zeros_like(size) for _ in range(get_world_size())]
    torch_dist.all_gather(sizes, size)
    values = [int(s.item()) for s in sizes]
    if len(set(values)) != 1:
        raise ValueError(
            f'all-gather needs the same batch size on every rank, got {values}; '
            'use drop_last=True in the train dataloader.'
        )


class _AllGatherWithGrad(torch.autograd.Function):
    """Concatenate every rank's tensor along dim 0; backward sums over ranks and keeps our slice."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        world_size = get_world_size()
        ctx.rank = get_rank()
        ctx.batch = tensor.shape[0]
        parts = [torch.empty_like(tensor) for _ in range(world_size)]
        torch_dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> Tuple[torch.Tensor]:  # type: ignore[override]  # one grad, not *grad_outputs
        grad = grad.contiguous().clone()
        torch_dist.all_reduce(grad, op=torch_dist.ReduceOp.SUM)
        return (grad.narrow(0, ctx.rank * ctx.batch, ctx.batch),)


def all_gather_with_grad(tensor: torch.Tensor, check_sizes: bool = True) -> torch.Tensor:
    """All-gather ``tensor`` along dim 0 so that gradients flow back to every rank.

    With one process (or no initialised process group) the input is returned unchanged.

    Args:
        tensor (torch.Tensor): Local tensor, shape ``[B, ...]``; ``B`` must match on every rank.
        check_sizes (bool): Gather the local sizes first and raise a ``ValueError`` when they differ.
            Defaults to True.

    Returns:
        torch.Tensor: Shape ``[world_size * B, ...]``, rank ``r``'s block at rows ``r*B:(r+1)*B``.
    """
    if get_world_size() == 1:
        return tensor
    if check_sizes:
        _check_equal_sizes(tensor)
    return _AllGatherWithGrad.apply(tensor)


@torch.no_grad()
def all_gather_no_grad(tensor: torch.Tensor, check_sizes: bool = True) -> torch.Tensor:
    """All-gather ``tensor`` along dim 0 without gradients (labels, keys before enqueue).

    Args:
        tensor (torch.Tensor): Local tensor, shape ``[B, ...]``.
        check_sizes (bool): Raise a ``ValueError`` when ranks hold different sizes. Defaults to True.

    Returns:
        torch.Tensor: Shape ``[world_size * B, ...]``.
    """
    if get_world_size() == 1:
        return tensor
    if check_sizes:
        _check_equal_sizes(tensor)
    parts = [torch.empty_like(tensor) for _ in range(get_world_size())]
    torch_dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts, dim=0)


def rank_offset(local_batch: int) -> int:
    """Row of this rank's first sample in a tensor gathered with the functions above.

    Args:
        local_batch (int): Samples per rank.

    Returns:
        int: ``rank * local_batch``.
    """
    return get_rank() * local_batch
