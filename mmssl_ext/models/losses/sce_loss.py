# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Similarity Contrastive Estimation (SCE) loss."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from .utils import check_features, check_temperature, compute_dtype, gather_batch

__all__ = ['SCELoss', 'sce_loss']


def sce_loss(
    query: torch.Tensor,
    key: torch.Tensor,
    queue: Optional[torch.Tensor],
    temperature: float = 0.1,
    temperature_m: float = 0.07,
    coeff: float = 0.5,
    compat_zero_logit: bool = False,
    use_keys: bool = False,
    gather_distributed: bool = False,
) -> torch.Tensor:
    """SCE between online queries and momentum keys (no input checks; see :class:`SCELoss`).

    Args:
        query (torch.Tensor): ``[B, D]`` online embeddings.
        key (torch.Tensor): ``[B, D]`` momentum embeddings (treated as constants).
        queue (torch.Tensor, optional): ``[K, D]`` momentum embeddings of past batches.
        temperature (float): Temperature of the online distribution. Defaults to 0.1.
        temperature_m (float): Temperature of the (sharper) target distribution. Defaults to 0.07.
        coeff (float): ``lambda``, mass of the one-hot positive in the target. Defaults to 0.5.
        compat_zero_logit (bool): Official-code form: a constant 0 logit at the positive slot enters the
            target softmax. Defaults to False (paper form: no target mass there).
        use_keys (bool): In-batch keys (global batch) are negatives too; the self slot is masked in the
            target. Defaults to False.
        gather_distributed (bool): Gather keys from every rank (``use_keys``). Defaults to False.

    Returns:
        torch.Tensor: Scalar loss, mean over queries.
    """
    dtype = compute_dtype(query, key, queue)
    q, k = query.to(dtype), key.detach().to(dtype)
    batch = q.shape[0]
    if use_keys:
        keys, offset = gather_batch(k, gather_distributed)
        pos_col = torch.arange(batch, device=q.device) + offset
        sim_q, sim_k = [q @ keys.T], [k @ keys.T]
    else:
        pos_col = torch.zeros(batch, dtype=torch.long, device=q.device)
        sim_q, sim_k = [(q * k).sum(-1, keepdim=True)], [torch.zeros(batch, 1, dtype=dtype, device=q.device)]
    if queue is not None:
        queue = queue.detach().to(dtype)
        sim_q.append(q @ queue.T)
        sim_k.append(k @ queue.T)
    logits_q = torch.cat(sim_q, 1) / temperature
    logits_k = torch.cat(sim_k, 1) / temperature_m
    one_hot = F.one_hot(pos_col, logits_q.shape[1]).to(dtype)
    if use_keys or not compat_zero_logit:
        logits_k = logits_k.masked_fill(one_hot.bool(), float('-inf'))
    with torch.no_grad():
        target = coeff * one_hot + (1 - coeff) * torch.softmax(logits_k, dim=1)
        target = target / target.sum(1, keepdim=True)
    return -(target * F.log_softmax(logits_q, dim=1)).sum(1).mean()


@MODELS.register_module()
class SCELoss(nn.Module):
    """Similarity Contrastive Estimation, Denize et al., arXiv:2111.14585 (WACV 2023).

    Target ``w = L1norm(lambda e_pos + (1 - lambda) softmax(k . [keys, queue] / tau_m))`` and loss
    ``-mean_i sum_j w_ij log softmax(q . [k_pos, queue] / tau)_ij``. ``lambda = 1`` is MoCo's InfoNCE,
    ``lambda = 0`` a purely relational loss. By default the positive slot gets no target mass (paper);
    ``compat_zero_logit=True`` reproduces the eztorch code, whose target softmax has a constant 0 logit
    there.

    Args:
        temperature (float): Online temperature. Defaults to 0.1.
        temperature_m (float): Target temperature (0.07 in the ImageNet run, 0.04 model default).
            Defaults to 0.07.
        coeff (float): ``lambda``. Defaults to 0.5.
        compat_zero_logit (bool): Official code's constant-logit form. Defaults to False.
        use_keys (bool): In-batch keys as extra negatives. Defaults to False.
        gather_distributed (bool): Keys from every rank with ``use_keys``. Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.1,
        temperature_m: float = 0.07,
        coeff: float = 0.5,
        compat_zero_logit: bool = False,
        use_keys: bool = False,
        gather_distributed: bool = False,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0 <= coeff <= 1:
            raise ValueError(f'`coeff` must lie in [0, 1], got {coeff}.')
        self.temperature = check_temperature(temperature)
        self.temperature_m = check_temperature(temperature_m, 'temperature_m')
        self.coeff = coeff
        self.compat_zero_logit = compat_zero_logit
        self.use_keys = use_keys
        self.gather_distributed = gather_distributed
        self.loss_weight = loss_weight

    def forward(self, features: torch.Tensor, queue: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, 2, D]`` normalised (online query, momentum key) pairs.
            queue (torch.Tensor, optional): ``[K, D]`` normalised momentum keys. Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features, min_views=2)
        if features.shape[1] != 2:
            raise ValueError(f'SCELoss takes features [B, 2, D] (query, key), got {tuple(features.shape)}.')
        if queue is None and not self.use_keys:
            raise ValueError('SCELoss needs a `queue` ([K, D]) unless use_keys=True.')
        if queue is not None:
            check_features(queue, 'queue', ndim=2)
        loss = sce_loss(
            features[:, 0],
            features[:, 1],
            queue,
            self.temperature,
            self.temperature_m,
            self.coeff,
            self.compat_zero_logit,
            self.use_keys,
            self.gather_distributed,
        )
        return self.loss_weight * loss.to(features.dtype)
