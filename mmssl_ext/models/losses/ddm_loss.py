# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Distribution divergence minimisation (DDM) loss of CLSA."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from .utils import check_features, check_temperature, check_unit_norm, compute_dtype

__all__ = ['DDMLoss', 'ddm_loss']


def ddm_loss(weak_sim: torch.Tensor, strong_sim: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """``-mean_i sum_j p_ij log r_ij`` with ``p = softmax(weak_sim / T)`` detached, ``r = softmax(strong_sim / T)``.

    Args:
        weak_sim (torch.Tensor): ``[N, C]`` raw similarities of the weak view to the candidates.
        strong_sim (torch.Tensor): ``[N, C]`` raw similarities of the strong view to the same candidates.
        temperature (float): Softmax temperature ``T2``. Defaults to 0.2.

    Returns:
        torch.Tensor: Scalar loss (``KL(p || r) + H(p)``; ``H(p)`` has no gradient).
    """
    if weak_sim.shape != strong_sim.shape:
        raise ValueError(f'weak and strong similarities differ in shape: {weak_sim.shape} vs {strong_sim.shape}.')
    target = torch.softmax(weak_sim.detach() / temperature, dim=1)
    return -(target * F.log_softmax(strong_sim / temperature, dim=1)).sum(1).mean()


@MODELS.register_module()
class DDMLoss(nn.Module):
    """DDM of Contrastive Learning with Stronger Augmentations (CLSA), Wang & Qi, arXiv:2104.07713.

    The similarity distribution of a weak query over the candidates (in-batch keys and queue) supervises
    that of a strong query of the same image; the weak side is detached, so DDM reaches the encoder only
    through the strong views. ``pairs='all'`` sums over every weak x strong pair (official code: CLSA-Multi
    with 5 + 5 views gives 25 terms); ``'first_weak'`` uses only the first weak view.

    Args:
        temperature (float): ``T2`` (``clsa_t``). Defaults to 0.2.
        pairs (str): ``'all'`` or ``'first_weak'``. Defaults to 'all'.
        loss_weight (float): ``alpha`` of the code (the paper's beta). Defaults to 1.0.
    """

    def __init__(self, temperature: float = 0.2, pairs: str = 'all', loss_weight: float = 1.0) -> None:
        super().__init__()
        if pairs not in ('all', 'first_weak'):
            raise ValueError(f"`pairs` must be 'all' or 'first_weak', got {pairs!r}.")
        self.temperature = check_temperature(temperature)
        self.pairs = pairs
        self.loss_weight = loss_weight

    def forward(self, weak: torch.Tensor, strong: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """Compute the summed DDM terms.

        Args:
            weak (torch.Tensor): ``[B, Vw, D]`` normalised weak queries.
            strong (torch.Tensor): ``[B, Vs, D]`` normalised strong queries.
            candidates (torch.Tensor): ``[C, D]`` normalised candidates (gathered keys, then queue).

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(weak, 'weak', normalized=False)
        check_features(strong, 'strong', normalized=False)
        check_features(candidates, 'candidates', ndim=2, normalized=False)
        check_unit_norm({'weak': weak, 'strong': strong, 'candidates': candidates})  # one host read
        if weak.shape[0] != strong.shape[0]:
            raise ValueError(f'`weak` and `strong` must share B, got {tuple(weak.shape)} and {tuple(strong.shape)}.')
        dtype = compute_dtype(weak, strong, candidates)
        cand = candidates.detach().to(dtype)
        weak_views = weak if self.pairs == 'all' else weak[:, :1]
        # sum_(w, s) sum_j p_wj log r_sj = sum_j (sum_w p_wj)(sum_s log r_sj): one similarity matrix per view
        # instead of one per pair (CLSA-Multi: 10 instead of 50)
        targets = torch.softmax(weak_views.detach().to(dtype) @ cand.T / self.temperature, dim=-1).sum(1)
        log_preds = F.log_softmax(strong.to(dtype) @ cand.T / self.temperature, dim=-1).sum(1)
        return self.loss_weight * -(targets * log_preds).sum(1).mean()
