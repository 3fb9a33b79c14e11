# Copyright (c) mmssl_ext contributors. All rights reserved.
"""InfoNCE in MoCo's query / key form, with a queue of negatives."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from .utils import check_features, check_temperature, check_unit_norm, compute_dtype, gather_batch

__all__ = ['QueueInfoNCELoss']


@MODELS.register_module()
class QueueInfoNCELoss(nn.Module):
    """InfoNCE of MoCo (He et al., arXiv:1911.05722), with a queue of negatives.

    Paper: "Momentum Contrast for Unsupervised Visual Representation Learning".

    ``features[:, 0]`` are queries ``q``, ``features[:, 1]`` their keys ``k``; query ``i`` is classified among

    ``logits_i = [q_i . k_i, q_i . queue, q_i . extra_i] / tau``,  ``L = mean_i CE(logits_i, target 0)``

    with ``queue`` ``[K, D]`` shared negatives and ``extra_negatives`` ``[B, S, D]`` per-query ones (MoCHi's
    synthetic hard negatives). With ``in_batch_negatives`` (CLSA) the first block is ``q_i . k_j`` over every
    key ``j`` of the (gathered) global batch and the target is ``k_i``'s column.

    Args:
        temperature (float): Softmax temperature ``tau``. Defaults to 0.1.
        in_batch_negatives (bool): Also contrast against the other keys of the global batch. Defaults to False.
        gather_distributed (bool): Gather the keys of every rank (with gradients) for ``in_batch_negatives``.
            Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.1,
        in_batch_negatives: bool = False,
        gather_distributed: bool = False,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.temperature = check_temperature(temperature)
        self.in_batch_negatives = in_batch_negatives
        self.gather_distributed = gather_distributed
        self.loss_weight = loss_weight

    def forward(
        self,
        features: torch.Tensor,
        queue: Optional[torch.Tensor] = None,
        extra_negatives: Optional[torch.Tensor] = None,
        check_norm: bool = True,
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, 2, D]`` L2-normalised (query, key) pairs.
            queue (torch.Tensor, optional): ``[K, D]`` normalised negatives. Defaults to None.
            extra_negatives (torch.Tensor, optional): ``[B, S, D]`` normalised per-query negatives (``S = 0``
                allowed). Defaults to None.
            check_norm (bool): Require unit-norm features, queue and extra negatives; ``False`` admits
                un-normalised inputs (feature augmentation's mixed features). Defaults to True.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features, min_views=2, normalized=False)
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
        if extra_negatives is not None and extra_negatives.shape[1] > 0:
            parts.append(torch.einsum('bd,bsd->bs', q, extra_negatives.to(dtype)))
        logits = torch.cat(parts, dim=1) / self.temperature
        return self.loss_weight * F.cross_entropy(logits, target).to(features.dtype)
