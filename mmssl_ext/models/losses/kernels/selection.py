# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Restrict a SimCLR-style loss to a subset of samples and drop chosen negatives (batch curation).

``keep`` (``[B]`` bool, this rank's samples) removes whole samples: a dropped sample is neither an
anchor nor an entry of any denominator, on any rank, so its embeddings get exactly zero gradient and
the loss equals the loss of the kept subset alone. ``exclude`` (``[V*B, V*B_global]`` bool, this rank's
anchor rows x the gathered contrast columns, both view-major) removes single negatives from single
denominators (likely false negatives); positives are never excluded.

The mean over kept anchors is exact across ranks: each rank returns ``W * sum(local kept rows) /
(kept rows over all ranks)``, which DDP's gradient average turns into the global mean.
"""

from typing import Optional, Tuple

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_world_size

from ..utils import gather_labels
from .contrast_set import ContrastSet

__all__ = ['selection_masks', 'dense_to_index', 'kept_mean']


def dense_to_index(mask: torch.Tensor) -> torch.Tensor:
    """``[M, N]`` bool mask to the ``[M, k]`` column lists of ``PairMasks.false_negatives`` (``-1`` padded).

    Args:
        mask (torch.Tensor): ``[M, N]`` bool.

    Returns:
        torch.Tensor: Long ``[M, k]``, ``k`` the largest row count (at least 1).
    """
    counts = mask.sum(1)
    width = max(int(counts.max()) if counts.numel() else 0, 1)
    order = torch.argsort((~mask).to(torch.uint8), dim=1, stable=True)[:, :width]
    slot = torch.arange(width, device=mask.device)[None, :]
    return torch.where(slot < counts[:, None], order, torch.full_like(order, -1))


def selection_masks(
    cs: ContrastSet,
    keep: Optional[torch.Tensor],
    exclude: Optional[torch.Tensor],
    gather_distributed: bool,
) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor], Optional[torch.Tensor]]:
    """Columns each anchor row must drop, the anchor rows that count and the kept samples of all ranks.

    Args:
        cs (ContrastSet): The assembled contrast set (view-major, possibly gathered).
        keep (torch.Tensor, optional): ``[B]`` bool, this rank's kept samples. Defaults to no selection.
        exclude (torch.Tensor, optional): ``[M, N]`` bool negatives to drop per anchor row.
        gather_distributed (bool): Whether ``cs`` holds every rank's samples.

    Returns:
        tuple: ``[M, k]`` dropped columns per row (``-1`` padded, ``None`` if none), ``[M]`` bool kept
        anchor rows and ``[B_global]`` bool kept samples (both ``None`` without ``keep``).
    """
    num_rows, num_cols = cs.anchors.shape[0], cs.contrast.shape[0]
    device = cs.contrast.device
    drop = torch.zeros(num_rows, num_cols, dtype=torch.bool, device=device)
    row_keep = keep_g = None
    if keep is not None:
        local = keep.shape[0]
        if keep.dim() != 1 or keep.dtype != torch.bool:
            raise ValueError(f'`keep` must be a [B] bool tensor, got {keep.dtype} of shape {tuple(keep.shape)}.')
        if local * cs.anchor_views != num_rows:
            raise ValueError(f'`keep` must have one entry per sample (B = {num_rows // cs.anchor_views}), got {local}.')
        keep_g = gather_labels(keep.to(torch.uint8), gather_distributed).bool()
        drop |= ~keep_g[cs.contrast_sample][None, :]
        row_keep = keep[cs.anchor_local]
    if exclude is not None:
        if exclude.dtype != torch.bool or tuple(exclude.shape) != (num_rows, num_cols):
            raise ValueError(
                f'`exclude` must be a [{num_rows}, {num_cols}] bool tensor (anchor rows x contrast columns, '
                f'view-major), got {exclude.dtype} of shape {tuple(exclude.shape)}.'
            )
        drop |= exclude
    # a sample's own views are its positives: never dropped from its denominators
    drop &= cs.anchor_sample[:, None] != cs.contrast_sample[None, :]
    dropped = dense_to_index(drop) if bool(drop.any()) else None
    return dropped, row_keep, keep_g


def kept_mean(rows: torch.Tensor, row_keep: Optional[torch.Tensor], gather_distributed: bool) -> torch.Tensor:
    """Mean of the per-anchor losses over kept rows, exact over ranks under DDP's gradient average.

    Args:
        rows (torch.Tensor): ``[M]`` per-anchor losses.
        row_keep (torch.Tensor, optional): ``[M]`` bool kept rows; ``None`` means all.
        gather_distributed (bool): Normalise by the kept rows of every rank.

    Returns:
        torch.Tensor: Scalar loss (0, still attached to the graph, when nothing is kept).
    """
    if row_keep is None:
        return rows.mean()
    count = row_keep.sum().to(rows.dtype)
    scale = 1.0
    if gather_distributed and get_world_size() > 1:
        count = count.clone()
        torch_dist.all_reduce(count)
        scale = float(get_world_size())
    total = torch.where(row_keep, rows, torch.zeros_like(rows)).sum()
    return total * scale / count.clamp(min=1)
