# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Parametric contrastive loss (PaCo) and its generalised form (GPaCo)."""

import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from .utils import check_features, check_labels, check_temperature, compute_dtype

__all__ = ['PaCoLoss']


@MODELS.register_module()
class PaCoLoss(nn.Module):
    """Parametric Contrastive Learning, Cui et al., arXiv:2107.12028 (ICCV 2021); GPaCo, arXiv:2209.12400.

    Anchors are the queries (PaCo) or both views (GPaCo, ``gpaco=True``). Each anchor row has logits
    ``[sup_logits / supt | a . [q; k; queue]^T / T]`` where ``sup_logits`` come from the linear classifier
    (the learnable class centres), optionally logit-adjusted by ``log(prior + 1e-9)``. Targets
    ``M = [beta * onehot(y) | alpha * 1(same label, not self)]`` (one-hot label-smoothed by ``smooth``),
    denominator weights ``W = [1 | gamma * (not self)]``; ``log p = logit - log(sum W e^logit + 1e-12)``
    (after a detached row-max shift) and ``loss_i = -(T / T_base) sum_j M_ij log p_ij / sum_j M_ij``.
    ``alpha = gamma = 0`` is the cross-entropy of ``sup_logits / supt``.

    Args:
        num_classes (int): Number of classes ``C``.
        alpha (float): Weight of the contrastive positives. Defaults to 0.05.
        beta (float): Weight of the class-centre positive. Defaults to 1.0.
        gamma (float): Weight of the contrastive columns in the denominator. Defaults to 1.0.
        supt (float): Temperature of the classifier logits. Defaults to 1.0.
        temperature (float): Contrastive temperature ``T``. Defaults to 0.2.
        base_temperature (float, optional): ``T_base``; ``None`` means ``T``. Defaults to None.
        smooth (float): Label smoothing of the one-hot target, ``1 - smooth`` on the label and
            ``smooth / (C - 1)`` elsewhere as in the official GPaCo code (GPaCo uses 0.1). Defaults to 0.0.
        gpaco (bool): Both views are anchors (no momentum encoder). Defaults to False.
        class_prior (list, optional): Class frequencies for logit adjustment (long-tailed PaCo).
            Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    class_prior: Optional[torch.Tensor]  # a non-persistent buffer

    def __init__(
        self,
        num_classes: int,
        alpha: float = 0.05,
        beta: float = 1.0,
        gamma: float = 1.0,
        supt: float = 1.0,
        temperature: float = 0.2,
        base_temperature: Optional[float] = None,
        smooth: float = 0.0,
        gpaco: bool = False,
        class_prior: Optional[list] = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f'`num_classes` must be >= 1, got {num_classes}.')
        if not 0 <= smooth < 1:
            raise ValueError(f'`smooth` must lie in [0, 1), got {smooth}.')
        if smooth > 0 and num_classes < 2:
            raise ValueError('Label smoothing (`smooth` > 0) needs `num_classes` >= 2.')
        self.num_classes = num_classes
        self.alpha, self.beta, self.gamma = float(alpha), float(beta), float(gamma)
        self.supt = check_temperature(supt, 'supt')
        self.temperature = check_temperature(temperature)
        self.base_temperature = self.temperature if base_temperature is None else base_temperature
        self.smooth = smooth
        self.gpaco = gpaco
        self.loss_weight = loss_weight
        prior = None
        if class_prior is not None:
            prior = torch.as_tensor(class_prior, dtype=torch.float32)
            if prior.shape != (num_classes,):
                raise ValueError(f'`class_prior` must have {num_classes} entries, got shape {tuple(prior.shape)}.')
            prior = prior / prior.sum()
        self.register_buffer('class_prior', prior, persistent=False)

    def forward(
        self,
        features: torch.Tensor,
        labels: torch.Tensor,
        sup_logits: torch.Tensor,
        queue: Optional[torch.Tensor] = None,
        queue_labels: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, 2, D]`` normalised (query, key) features.
            labels (torch.Tensor): ``[B]`` labels.
            sup_logits (torch.Tensor): Classifier logits ``[B, C]`` (PaCo) or ``[B, 2, C]`` (GPaCo).
            queue (torch.Tensor, optional): ``[K, D]`` normalised queued keys. Defaults to None.
            queue_labels (torch.Tensor, optional): ``[K]`` labels of the queue. Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features, min_views=2)
        batch = features.shape[0]
        labels = check_labels(labels, batch)
        anchor_views = 2 if self.gpaco else 1
        expected = (batch, 2, self.num_classes) if self.gpaco else (batch, self.num_classes)
        if tuple(sup_logits.shape) != expected:
            raise ValueError(f'`sup_logits` must be shaped {list(expected)}, got {tuple(sup_logits.shape)}.')
        if (queue is None) != (queue_labels is None):
            raise ValueError('`queue` and `queue_labels` go together.')
        dtype = compute_dtype(features, queue, sup_logits)
        contrast_parts: List[torch.Tensor] = [features[:, 0], features[:, 1]]
        label_parts = [labels, labels]
        if queue is not None:
            check_features(queue, 'queue', ndim=2)
            contrast_parts.append(queue.detach())
            label_parts.append(check_labels(queue_labels, queue.shape[0], 'queue_labels'))
        contrast = torch.cat(contrast_parts).to(dtype)
        contrast_labels = torch.cat(label_parts)
        anchors = contrast[: anchor_views * batch]
        anchor_labels = labels.repeat(anchor_views)
        sup = sup_logits.transpose(0, 1).reshape(-1, self.num_classes) if self.gpaco else sup_logits
        sup = sup.to(dtype)
        if self.class_prior is not None:
            sup = sup + torch.log(self.class_prior.to(dtype) + 1e-9)
        logits = torch.cat([sup / self.supt, anchors @ contrast.T / self.temperature], dim=1)
        logits = logits - logits.detach().max(dim=1, keepdim=True).values
        rows = anchors.shape[0]
        not_self = torch.ones(rows, contrast.shape[0], dtype=torch.bool, device=logits.device)
        not_self[torch.arange(rows), torch.arange(rows)] = False
        same = (anchor_labels[:, None] == contrast_labels[None, :]) & not_self
        one_hot = F.one_hot(anchor_labels, self.num_classes).to(dtype)
        if self.smooth > 0:
            # Official GPaCo smoothing: 1 - smooth on the label, smooth / (C - 1) on every other class.
            one_hot = one_hot * (1 - self.smooth) + (1 - one_hot) * (self.smooth / (self.num_classes - 1))
        target = torch.cat([self.beta * one_hot, self.alpha * same.to(dtype)], dim=1)
        log_w = torch.cat(
            [
                torch.zeros_like(sup),
                torch.where(
                    not_self,
                    torch.full_like(same, math.log(self.gamma) if self.gamma > 0 else float('-inf'), dtype=dtype),
                    torch.full_like(same, float('-inf'), dtype=dtype),
                ),
            ],
            dim=1,
        )
        log_den = torch.logaddexp((logits + log_w).logsumexp(1), torch.tensor(math.log(1e-12), dtype=dtype))
        log_prob = logits - log_den[:, None]
        per_row = -(target * log_prob).sum(1) / target.sum(1).clamp(min=1e-12)
        return self.loss_weight * self.temperature / self.base_temperature * per_row.mean()
