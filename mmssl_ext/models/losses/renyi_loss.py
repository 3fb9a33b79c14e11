# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Renyi contrastive loss (RenyiCL)."""

import math
from typing import Tuple

import torch
import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.dist import get_world_size

from mmssl_ext.registry import MODELS

from .utils import check_features, check_temperature, compute_dtype, gather_batch

__all__ = ['RenyiContrastiveLoss']


def _global_max(x: torch.Tensor) -> torch.Tensor:
    m = x.detach().max()
    if get_world_size() > 1:
        torch_dist.all_reduce(m, op=torch_dist.ReduceOp.MAX)
    return m


def _global_mean(x: torch.Tensor) -> torch.Tensor:
    s = torch.stack([x.detach().sum(), torch.tensor(float(x.numel()), dtype=x.dtype, device=x.device)])
    if get_world_size() > 1:
        torch_dist.all_reduce(s)
    return s[0] / s[1]


@MODELS.register_module()
class RenyiContrastiveLoss(nn.Module):
    """Renyi Contrastive Learning (skew Renyi divergence), Lee et al., arXiv:2208.06270 (ICLR 2023).

    With critic ``f = cos / tau``, positive logits ``P`` and negative logits ``Q`` (other samples of the
    global batch), ``Q_alpha = alpha P + (1 - alpha) Q``, the objective is

    ``L = -1/(gamma-1) log E_P[e^{(gamma-1) f}] + 1/gamma log E_{Q_alpha}[e^{gamma f}]``.

    The official code minimises a surrogate with the same gradient: the weights ``e^{(gamma-1) f}`` and
    ``e^{gamma f}`` are detached, multiply ``f`` and are divided by their global means (``gamma = 1``:
    first term ``-mean(P)``). Here the backward is the surrogate's, and the returned value is the
    objective itself (same gradient, meaningful number, global means across ranks); both are shifted by
    the global max of the logits, which changes neither and keeps them finite at small temperatures.

    Pairs: for every target view ``t`` and every online view ``s != t`` (online views beyond the
    target count are extra crops), ``f = online_s . target_t^T / tau``; the loss is summed over ``t``.

    Args:
        temperature (float): Critic temperature. Defaults to 0.5.
        alpha (float): Skew of the negative distribution. Defaults to 1/65536.
        gamma (float): Renyi order. Defaults to 2.0.
        gather_distributed (bool): Targets from every rank (negatives; global means). Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.5,
        alpha: float = 1.0 / 65536,
        gamma: float = 2.0,
        gather_distributed: bool = False,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0 <= alpha <= 1:
            raise ValueError(f'`alpha` must lie in [0, 1], got {alpha}.')
        self.temperature = check_temperature(temperature)
        self.gamma = check_temperature(gamma, 'gamma')
        self.alpha = float(alpha)
        self.gather_distributed = gather_distributed
        self.loss_weight = loss_weight

    def pos_neg(self, online: torch.Tensor, target: torch.Tensor, t: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Positive ``[B, S]`` and negative ``[B, S * (N - 1)]`` logits of target view ``t``."""
        dtype = compute_dtype(online, target)
        tgt, offset = gather_batch(target[:, t].to(dtype), self.gather_distributed)
        batch, total = online.shape[0], tgt.shape[0]
        is_pos = torch.zeros(batch, total, dtype=torch.bool, device=online.device)
        is_pos[torch.arange(batch), torch.arange(batch) + offset] = True
        pos, neg = [], []
        for s in range(online.shape[1]):
            if s == t:
                continue
            logits = online[:, s].to(dtype) @ tgt.T / self.temperature
            pos.append(logits[is_pos].view(batch, 1))
            neg.append(logits[~is_pos].view(batch, total - 1))
        return torch.cat(pos, 1), torch.cat(neg, 1)

    def objective(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """The closed-form objective of one target view (no gradient), with means over every rank."""
        g = self.gamma

        def log_global_mean_exp(x: torch.Tensor) -> torch.Tensor:
            m = _global_max(x)
            return torch.log(_global_mean(torch.exp(x - m))) + m

        first = -_global_mean(pos) if g == 1 else -log_global_mean_exp((g - 1) * pos) / (g - 1)
        terms = []
        if self.alpha > 0:
            terms.append(math.log(self.alpha) + log_global_mean_exp(g * pos))
        if self.alpha < 1:
            terms.append(math.log(1 - self.alpha) + log_global_mean_exp(g * neg))
        return first + torch.stack(terms).logsumexp(0) / g

    def surrogate(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """The official gradient surrogate of one target view (weights detached, global means)."""
        g, a = self.gamma, self.alpha
        if g == 1:
            first = -pos.mean()
        else:
            m1 = _global_max(pos)
            w = torch.exp((g - 1) * (pos.detach() - m1))
            first = -(pos * w).mean() / _global_mean(w)
        m2 = torch.maximum(_global_max(pos), _global_max(neg))
        wp = torch.exp(g * (pos.detach() - m2))
        wn = torch.exp(g * (neg.detach() - m2))
        num = a * (pos * wp).mean() + (1 - a) * (neg * wn).mean()
        den = a * _global_mean(wp) + (1 - a) * _global_mean(wn)
        return first + num / den

    def forward(self, online: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            online (torch.Tensor): ``[B, S, D]`` normalised online (predictor) outputs, views aligned with
                ``target`` first, extra crops after.
            target (torch.Tensor): ``[B, T, D]`` normalised target (momentum) outputs, ``T >= 1``.

        Returns:
            torch.Tensor: Scalar loss whose value is the objective and whose gradient is the surrogate's.
        """
        check_features(online, 'online', min_views=2)
        check_features(target, 'target')
        if target.shape[0] != online.shape[0] or target.shape[1] > online.shape[1]:
            raise ValueError(
                f'`target` [B, T, D] must share B with `online` [B, S, D] and T <= S, got '
                f'{tuple(target.shape)} and {tuple(online.shape)}.'
            )
        total = online.new_zeros((), dtype=compute_dtype(online, target))
        for t in range(target.shape[1]):
            pos, neg = self.pos_neg(online, target, t)
            surrogate = self.surrogate(pos, neg)
            value = self.objective(pos.detach(), neg.detach())
            total = total + surrogate + (value - surrogate.detach())
        return self.loss_weight * total
