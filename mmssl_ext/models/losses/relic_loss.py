# Copyright (c) mmssl_ext contributors. All rights reserved.
"""ReLIC / ReLICv2 loss: contrastive term plus a KL invariance term."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from .utils import check_features, check_temperature, compute_dtype, gather_batch

__all__ = ['ReLICLoss']


@MODELS.register_module()
class ReLICLoss(nn.Module):
    """ReLICv2, Tomasev et al., arXiv:2201.05119; ReLIC, Mitrovic et al., arXiv:2010.07922.

    Paper: Pushing the limits of self-supervised ResNets: Can we outperform supervised learning without
    labels on ImageNet?

    For every online view ``a`` and target view ``b != a`` (the first ``T`` online views are the large
    crops that also have targets; later online views are small crops): logits ``l_ab = o_a . t_b^T / tau``
    over the (gathered) target batch, ``p_ab = softmax(l_ab)``, and

    ``L_ab = CE(l_ab, i) + alpha * KL(p_ab || sg q_ab)``.

    No official code exists, so the teacher ``q_ab`` is our documented choice: for a large crop ``a``
    the mirrored prediction ``softmax(o_b . t_a^T / tau)`` (ReLIC's two augmentations must predict the
    same distribution); for a small crop the prediction of the other large crop over the same
    candidates, ``softmax(o_b' . t_b^T / tau)`` with ``b' != b``. The loss is the mean over pairs.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.1.
        alpha (float): Weight of the invariance term. Defaults to 1.0.
        gather_distributed (bool): Target candidates from every rank. Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self, temperature: float = 0.1, alpha: float = 1.0, gather_distributed: bool = False, loss_weight: float = 1.0
    ) -> None:
        super().__init__()
        if alpha < 0:
            raise ValueError(f'`alpha` must be >= 0, got {alpha}.')
        self.temperature = check_temperature(temperature)
        self.alpha = float(alpha)
        self.gather_distributed = gather_distributed
        self.loss_weight = loss_weight

    def forward(self, online: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            online (torch.Tensor): ``[B, S, D]`` normalised online outputs (large crops first).
            target (torch.Tensor): ``[B, T, D]`` normalised target outputs of the large crops, ``T >= 2``.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(online, 'online', min_views=2)
        check_features(target, 'target', min_views=2)
        if target.shape[0] != online.shape[0] or target.shape[1] > online.shape[1]:
            raise ValueError(
                f'`target` [B, T, D] must share B with `online` [B, S, D] and T <= S, got '
                f'{tuple(target.shape)} and {tuple(online.shape)}.'
            )
        dtype = compute_dtype(online, target)
        num_t = target.shape[1]
        tgts, offsets = [], 0
        for b in range(num_t):
            t, offsets = gather_batch(target[:, b].detach().to(dtype), self.gather_distributed)
            tgts.append(t)
        labels = torch.arange(online.shape[0], device=online.device) + offsets
        o = online.to(dtype)
        total, pairs = o.new_zeros(()), 0
        for a in range(o.shape[1]):
            for b in range(num_t):
                if a == b:
                    continue
                logits = o[:, a] @ tgts[b].T / self.temperature
                loss = F.cross_entropy(logits, labels)
                if self.alpha > 0:
                    with torch.no_grad():
                        if a < num_t:
                            teacher = o[:, b] @ tgts[a].T / self.temperature
                        else:
                            other = next(x for x in range(num_t) if x != b)
                            teacher = o[:, other] @ tgts[b].T / self.temperature
                        log_q = F.log_softmax(teacher, dim=1)
                    log_p = F.log_softmax(logits, dim=1)
                    loss = loss + self.alpha * (log_p.exp() * (log_p - log_q)).sum(1).mean()
                total = total + loss
                pairs += 1
        return self.loss_weight * total / pairs
