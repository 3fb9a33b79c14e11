# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Universum-inspired supervised contrastive loss (UniCon)."""

from typing import Optional

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .kernels import contrastive_loss
from .utils import check_features, check_labels, check_temperature

__all__ = ['UniConLoss']


@MODELS.register_module()
class UniConLoss(nn.Module):
    """Universum-inspired Supervised Contrastive Learning, Han et al., arXiv:2204.10695 (TIP 2023).

    Anchors are the real views; the contrast set is **only** the universum features (``u_j`` is the
    mix seeded by real image ``x_j``, carrying ``x_j``'s label). Positives of anchor ``i``: universum
    entries whose label equals ``y_i``, except ``j = i`` (the anchor's own universum); denominator: every
    ``u_j`` with ``j != i``. ``loss_i = -(T / T_base) mean_{p} log softmax(S_i)_p``, mean over anchors.
    With ``universum = features`` this is exactly SupCon.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.1.
        base_temperature (float): ``T_base``. Defaults to 0.1.
        gather_distributed (bool): Universum of every rank, with gradients. Defaults to False.
        chunk_size (int, optional): Anchor rows per block. Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.1,
        base_temperature: float = 0.1,
        gather_distributed: bool = False,
        chunk_size: Optional[int] = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.temperature = check_temperature(temperature)
        self.base_temperature = check_temperature(base_temperature, 'base_temperature')
        self.gather_distributed = gather_distributed
        self.chunk_size = chunk_size
        self.loss_weight = loss_weight

    def forward(self, features: torch.Tensor, universum: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, V, D]`` normalised features of the real views.
            universum (torch.Tensor): ``[B, V, D]`` normalised features of their universum mixes.
            labels (torch.Tensor): ``[B]`` labels of the real samples.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features)
        check_features(universum, 'universum')
        if universum.shape != features.shape:
            raise ValueError(
                f'`universum` must match `features` {tuple(features.shape)}, got {tuple(universum.shape)}.'
            )
        labels = check_labels(labels, features.shape[0])
        loss = contrastive_loss(
            features,
            self.temperature,
            labels=labels,
            contrast_with=universum,
            gather_distributed=self.gather_distributed,
            chunk_size=self.chunk_size,
        )
        return self.loss_weight * self.temperature / self.base_temperature * loss
