# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Contrastive Multiview Coding (CMC) loss over per-view memory banks."""

import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from .utils import check_features, check_temperature, compute_dtype

__all__ = ['CMCLoss']


@MODELS.register_module()
class CMCLoss(nn.Module):
    """Contrastive Multiview Coding, Tian et al., arXiv:1906.05849 (ECCV 2020).

    Each view ``v`` has its own encoder and memory bank. For every ordered pair of views ``(v, u)``
    (the full graph; two views give ``l(L -> ab) + l(ab -> L)``), features of view ``v`` are scored
    against bank ``u`` at the sample's own index (positive) and ``K`` noise indices:

    * ``loss_type='softmax'`` (``NCESoftmaxLoss``): cross-entropy of ``[s_pos, s_neg] / T`` with target 0;
    * ``loss_type='nce'`` (``NCECriterion``): ``P = exp(s / T) / Z_u``, ``log D1 = log(P_pos / (P_pos + K Pn
      + eps))``, ``log D0 = log(K Pn / (P_neg + K Pn + eps))`` with ``Pn = 1 / M``, loss ``-(sum log D1 +
      sum log D0) / B``. ``Z_u`` is fixed by the caller; :meth:`estimate_partition` computes it the way
      the official code does on its first batch (``mean(exp(s / T)) * M``). Computed in log space (same
      value; ``exp(s / T)`` would overflow float32 at small ``T``).

    Banks are detached (memory); update them with :func:`mmssl_ext.models.utils.cmc_momentum_update` after the step.

    Args:
        temperature (float): ``T``. Defaults to 0.07.
        num_negatives (int): ``K`` noise samples per positive. Defaults to 4096.
        loss_type (str): ``'softmax'`` or ``'nce'``. Defaults to 'softmax'.
        eps (float): NCE stabiliser. Defaults to 1e-7.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.07,
        num_negatives: int = 4096,
        loss_type: str = 'softmax',
        eps: float = 1e-7,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if loss_type not in ('softmax', 'nce'):
            raise ValueError(f"`loss_type` must be 'softmax' or 'nce', got {loss_type!r}.")
        if num_negatives < 1:
            raise ValueError(f'`num_negatives` must be >= 1, got {num_negatives}.')
        self.temperature = check_temperature(temperature)
        self.num_negatives = num_negatives
        self.loss_type = loss_type
        self.eps = eps
        self.loss_weight = loss_weight

    def scores(
        self,
        features: torch.Tensor,
        banks: torch.Tensor,
        indices: torch.Tensor,
        negatives: torch.Tensor,
        v: int,
        u: int,
    ) -> torch.Tensor:
        """Raw scores ``[B, 1 + K]`` of view ``v``'s features against bank ``u`` (positive first)."""
        dtype = compute_dtype(features, banks)
        idx = torch.cat([indices[:, None], negatives], dim=1)
        mem = banks[u].detach().to(dtype)[idx]
        return torch.einsum('bkd,bd->bk', mem, features[:, v].to(dtype))

    @torch.no_grad()
    def estimate_log_partition(
        self, features: torch.Tensor, banks: torch.Tensor, indices: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """``log Z_u = log(mean(exp(s / T)) * M)`` for each target bank ``u``, computed with log-sum-exp.

        Args:
            features (torch.Tensor): ``[B, V, D]`` features.
            banks (torch.Tensor): ``[V, M, D]`` banks.
            indices (torch.Tensor): ``[B]`` dataset indices.
            negatives (torch.Tensor): ``[B, K]`` noise indices.

        Returns:
            torch.Tensor: ``[V]`` log partition constants.
        """
        views, size = banks.shape[0], banks.shape[1]
        log_z = []
        for u in range(views):
            v = (u + 1) % views
            s = (self.scores(features, banks, indices, negatives, v, u) / self.temperature).flatten()
            log_z.append(s.logsumexp(0) - math.log(s.numel()) + math.log(size))
        return torch.stack(log_z)

    @torch.no_grad()
    def estimate_partition(
        self, features: torch.Tensor, banks: torch.Tensor, indices: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """``Z_u = mean(exp(s / T)) * M`` for each target bank ``u`` (official first-batch estimate).

        Args:
            features (torch.Tensor): ``[B, V, D]`` features.
            banks (torch.Tensor): ``[V, M, D]`` banks.
            indices (torch.Tensor): ``[B]`` dataset indices.
            negatives (torch.Tensor): ``[B, K]`` noise indices.

        Returns:
            torch.Tensor: ``[V]`` partition constants.
        """
        return self.estimate_log_partition(features, banks, indices, negatives).exp()

    def forward(
        self,
        features: torch.Tensor,
        banks: torch.Tensor,
        indices: torch.Tensor,
        negatives: Optional[torch.Tensor] = None,
        partition: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Compute the loss summed over ordered view pairs.

        Args:
            features (torch.Tensor): ``[B, V, D]`` normalised features, one view per encoder, ``V >= 2``.
            banks (torch.Tensor): ``[V, M, D]`` memory banks.
            indices (torch.Tensor): ``[B]`` dataset indices of the samples.
            negatives (torch.Tensor, optional): ``[B, K]`` noise indices; drawn uniformly with replacement
                when None. Defaults to None.
            partition (torch.Tensor, optional): ``[V]`` NCE constants ``Z``; estimated from this batch
                when None (``loss_type='nce'``). Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features, min_views=2)
        batch, views, dim = features.shape
        if banks.dim() != 3 or banks.shape[0] != views or banks.shape[2] != dim:
            raise ValueError(f'`banks` must be shaped [V, M, D] = [{views}, M, {dim}], got {tuple(banks.shape)}.')
        if indices.dim() != 1 or indices.shape[0] != batch:
            raise ValueError(f'`indices` must be shaped [{batch}], got {tuple(indices.shape)}.')
        size = banks.shape[1]
        if negatives is None:
            negatives = torch.randint(size, (batch, self.num_negatives), device=features.device)
        log_z = None
        if self.loss_type == 'nce':
            if partition is None:
                log_z = self.estimate_log_partition(features, banks, indices, negatives)
            else:
                log_z = torch.as_tensor(partition, device=features.device).log()
        total = features.new_zeros((), dtype=compute_dtype(features, banks))
        for v in range(views):
            for u in range(views):
                if u == v:
                    continue
                s = self.scores(features, banks, indices, negatives, v, u) / self.temperature
                if self.loss_type == 'softmax':
                    target = torch.zeros(batch, dtype=torch.long, device=s.device)
                    total = total + F.cross_entropy(s, target)
                else:
                    # log-space form of log(P / (P + K Pn + eps)) and log(K Pn / (P + K Pn + eps)), with
                    # P = exp(s) / Z: exp(s) overflows float32 for T <~ 0.011.
                    noise = negatives.shape[1] / size
                    assert log_z is not None  # set for loss_type='nce'
                    log_p = s - log_z[u].to(s.dtype)
                    log_den = torch.logaddexp(log_p, s.new_tensor(math.log(noise + self.eps)))
                    log_d1 = log_p[:, 0] - log_den[:, 0]
                    log_d0 = math.log(noise) - log_den[:, 1:]
                    total = total - (log_d1.sum() + log_d0.sum()) / batch
        return self.loss_weight * total
