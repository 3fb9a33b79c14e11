# Copyright (c) mmssl_ext contributors. All rights reserved.
"""InfoNCE / NT-Xent (SimCLR) and its MoCo form with a queue of negatives."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from .contrast_set import build_contrast_set
from .contrastive_kernel import contrastive_log_softmax
from .sample_selection import kept_mean, selection_masks
from .utils import NORM_ATOL, check_features, check_temperature, check_unit_norm, compute_dtype, gather_batch

__all__ = ['InfoNCELoss']


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """InfoNCE: NT-Xent of SimCLR (Chen et al., arXiv:2002.05709) and MoCo's queue form (arXiv:1911.05722).

    * Without ``queue`` (NT-Xent): every view of every sample is an anchor; its positives are the other
      views of the same sample and its denominator every other row of the (gathered) batch.
      ``reduction='mean'`` averages over the ``V * B`` anchors (lightly, SupCon); ``reduction='sum'``
      sums the per-view means (the official TF ``loss_a + loss_b``, i.e. ``V`` times the mean).
    * With ``queue`` (MoCo): ``features[:, 0]`` are queries, ``features[:, 1]`` keys; logits of query
      ``i`` are ``[q_i.k_i, q_i.queue] / tau`` (plus ``q_i.k_j`` for the other keys of the global batch
      when ``in_batch_negatives``, as CLSA, and per-query ``extra_negatives`` such as MoCHi's), with the
      cross-entropy target on ``k_i``; mean over queries.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.1.
        reduction (str): ``'mean'`` or ``'sum'`` over views (NT-Xent only). Defaults to 'mean'.
        in_batch_negatives (bool): Queue form: also contrast against the other keys of the global
            batch. Defaults to False.
        gather_distributed (bool): Use the samples (NT-Xent) or keys (queue form) of every rank as
            negatives, gathered with gradients. Defaults to False.
        chunk_size (int, optional): Anchor rows per block (NT-Xent). Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.1,
        reduction: str = 'mean',
        in_batch_negatives: bool = False,
        gather_distributed: bool = False,
        chunk_size: Optional[int] = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"`reduction` must be 'mean' or 'sum', got {reduction!r}.")
        self.temperature = check_temperature(temperature)
        self.reduction = reduction
        self.in_batch_negatives = in_batch_negatives
        self.gather_distributed = gather_distributed
        self.chunk_size = chunk_size
        self.loss_weight = loss_weight

    def forward(
        self,
        features: torch.Tensor,
        queue: Optional[torch.Tensor] = None,
        extra_negatives: Optional[torch.Tensor] = None,
        check_norm: bool = True,
        keep: Optional[torch.Tensor] = None,
        exclude: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, V, D]`` L2-normalised features (``V = 2`` with a queue:
                query, key).
            queue (torch.Tensor, optional): ``[K, D]`` normalised negatives (MoCo form). Defaults to None.
            extra_negatives (torch.Tensor, optional): ``[B, S, D]`` per-query normalised negatives, queue
                form only. Defaults to None.
            check_norm (bool): Require unit-norm features, queue and extra negatives. ``False`` admits
                un-normalised inputs such as FT's mixed features (feature augmentation). Defaults to True.
            keep (torch.Tensor, optional): ``[B]`` bool, NT-Xent only: samples that take part (anchors and
                negatives, on every rank); the loss is the mean over kept anchors (batch curation).
                Defaults to None (all).
            exclude (torch.Tensor, optional): ``[V*B, V*B_global]`` bool, NT-Xent only: negatives removed
                from each anchor row's denominator (view-major rows and columns). Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features, min_views=2, normalized=check_norm and queue is None and extra_negatives is None)
        if queue is None and extra_negatives is None:
            return self.loss_weight * self._nt_xent(features, keep, exclude, 1 + NORM_ATOL if check_norm else None)
        if keep is not None or exclude is not None:
            raise ValueError('`keep` and `exclude` apply to the NT-Xent form only (no queue, no extra negatives).')
        if features.shape[1] != 2:
            raise ValueError(f'The queue form needs features [B, 2, D] (query, key), got {tuple(features.shape)}.')
        if queue is not None:
            check_features(queue, 'queue', ndim=2, normalized=False)
            if queue.shape[1] != features.shape[2]:
                raise ValueError(f'`queue` must be [K, {features.shape[2]}], got {tuple(queue.shape)}.')
        if extra_negatives is not None:
            # S = 0 is valid: MoCHiMixer returns [B, 0, D] before its start epoch
            check_features(extra_negatives, 'extra_negatives', min_views=0, normalized=False)
            if extra_negatives.shape[0] != features.shape[0] or extra_negatives.shape[2] != features.shape[2]:
                raise ValueError(
                    f'`extra_negatives` must be [B, S, D] = [{features.shape[0]}, S, {features.shape[2]}], '
                    f'got {tuple(extra_negatives.shape)}.'
                )
        if check_norm:  # one host read for the three fields
            check_unit_norm({'features': features, 'queue': queue, 'extra_negatives': extra_negatives})
        return self.loss_weight * self._queue_form(features, queue, extra_negatives)

    def _nt_xent(
        self,
        features: torch.Tensor,
        keep: Optional[torch.Tensor],
        exclude: Optional[torch.Tensor],
        max_norm: Optional[float],
    ) -> torch.Tensor:
        cs = build_contrast_set(features, gather_distributed=self.gather_distributed)
        masks = cs.masks()
        row_keep = None
        if keep is not None or exclude is not None:
            dropped, row_keep, _ = selection_masks(cs, keep, exclude, self.gather_distributed)
            masks = cs.masks(false_negatives=dropped, false_negative_mode='eliminate')
        rows = contrastive_log_softmax(
            cs.anchors, cs.contrast, masks, self.temperature, chunk_size=self.chunk_size, max_norm=max_norm
        )
        loss = kept_mean(rows, row_keep, self.gather_distributed)
        return loss * features.shape[1] if self.reduction == 'sum' else loss

    def _queue_form(
        self, features: torch.Tensor, queue: Optional[torch.Tensor], extra: Optional[torch.Tensor]
    ) -> torch.Tensor:
        dtype = compute_dtype(features, queue)
        q, k = features[:, 0].to(dtype), features[:, 1].to(dtype)
        parts = []
        if self.in_batch_negatives:
            keys, offset = gather_batch(k, self.gather_distributed)
            parts.append(q @ keys.T)
            target = torch.arange(q.shape[0], device=q.device) + offset
        else:
            parts.append((q * k).sum(-1, keepdim=True))
            target = torch.zeros(q.shape[0], dtype=torch.long, device=q.device)
        if queue is not None:
            parts.append(q @ queue.to(dtype).T)
        if extra is not None and extra.shape[1] > 0:
            parts.append(torch.einsum('bd,bsd->bs', q, extra.to(dtype)))
        logits = torch.cat(parts, dim=1) / self.temperature
        return F.cross_entropy(logits, target).to(features.dtype)
