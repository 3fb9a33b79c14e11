# Copyright (c) mmssl_ext contributors. All rights reserved.
"""NT-Xent, the normalised-temperature cross-entropy of SimCLR."""

from typing import Optional

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .kernels import contrastive_loss
from .utils import NORM_ATOL, check_features, check_temperature

__all__ = ['NTXentLoss']


@MODELS.register_module()
class NTXentLoss(nn.Module):
    """NT-Xent of SimCLR (Chen et al., arXiv:2002.05709).

    Paper: "A Simple Framework for Contrastive Learning of Visual Representations".

    Every view ``a`` of every sample ``i`` is an anchor; its positives ``P(i, a)`` are the other views of the
    same sample, its denominator every other row of the (gathered) view-major batch:

    ``l_{i,a} = -mean_{p in P(i, a)} s(z_{i,a}, z_p) / tau + log sum_{c != (i, a)} exp(s(z_{i,a}, z_c) / tau)``

    ``reduction='mean'`` averages over the ``V * B`` anchors (lightly, SupContrast); ``'sum'`` sums the per-view
    means (the official TF ``loss_a + loss_b``: ``V`` times the mean). ``keep`` and ``exclude`` restrict the
    loss to chosen samples and drop chosen negatives (batch curation): the result is the mean over kept anchors.

    Args:
        temperature (float): Softmax temperature ``tau``. Defaults to 0.1.
        reduction (str): ``'mean'`` or ``'sum'`` over views. Defaults to 'mean'.
        gather_distributed (bool): Negatives from every rank, gathered with gradients. Defaults to False.
        chunk_size (int, optional): Anchor rows per block (memory-lean pass). Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    supports_selection = True
    """``forward`` takes ``keep`` / ``exclude`` (what :class:`CuratedSimCLR` needs of its loss)."""

    def __init__(
        self,
        temperature: float = 0.1,
        reduction: str = 'mean',
        gather_distributed: bool = False,
        chunk_size: Optional[int] = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"`reduction` must be 'mean' or 'sum', got {reduction!r}.")
        self.temperature = check_temperature(temperature)
        self.reduction = reduction
        self.gather_distributed = gather_distributed
        self.chunk_size = chunk_size
        self.loss_weight = loss_weight

    def forward(
        self,
        features: torch.Tensor,
        keep: Optional[torch.Tensor] = None,
        exclude: Optional[torch.Tensor] = None,
        check_norm: bool = True,
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, V, D]`` L2-normalised features, ``V >= 2``.
            keep (torch.Tensor, optional): ``[B]`` bool samples that take part (anchors and negatives, on every
                rank). Defaults to None (all).
            exclude (torch.Tensor, optional): ``[V*B, V*B_global]`` bool negatives removed from each anchor row's
                denominator (view-major rows and columns). Defaults to None.
            check_norm (bool): Require unit-norm features; ``False`` admits un-normalised inputs (feature
                augmentation's mixed features). Defaults to True.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features, min_views=2, normalized=check_norm)
        loss = contrastive_loss(
            features,
            self.temperature,
            gather_distributed=self.gather_distributed,
            keep=keep,
            exclude=exclude,
            chunk_size=self.chunk_size,
            max_norm=1 + NORM_ATOL if check_norm else None,
        )
        if self.reduction == 'sum':
            loss = loss * features.shape[1]
        return self.loss_weight * loss
