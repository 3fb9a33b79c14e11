# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Decoupled contrastive loss (DCL) and its von Mises-Fisher weighted variant (DCLW)."""

from typing import Optional

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .contrast_set import build_contrast_set
from .contrastive_kernel import contrastive_log_softmax
from .sample_selection import kept_mean, selection_masks
from .utils import check_features, check_temperature

__all__ = ['DCLLoss']


@MODELS.register_module()
class DCLLoss(nn.Module):
    """Decoupled Contrastive Learning, Yeh et al., arXiv:2110.06848 (ECCV 2022).

    For view ``k`` of sample ``i``: ``L = -w_i * s(z_i^k, z_i^other) / tau + log sum_{j != i, all views}
    exp(s(z_i^k, z_j) / tau)``: the positive pair is removed from the denominator. DCLW weights the
    positive term by ``w_i = 2 - N * softmax_i(s_i / sigma)`` over the (global) batch of positive
    similarities ``s_i``, detached, so the weights average to 1 (lightly's fixed form; the third-party
    repository omits the ``N`` factor).

    Args:
        temperature (float): Softmax temperature. Defaults to 0.1.
        weight_fn (str, optional): ``None`` (DCL) or ``'vmf'`` (DCLW). Defaults to None.
        sigma (float): vMF concentration of DCLW. Defaults to 0.5.
        reduction (str): ``'sum'`` of the per-view means (paper, raminnakhli) or their ``'mean'``
            (lightly). Defaults to 'sum'.
        gather_distributed (bool): Negatives from every rank, gathered with gradients. Defaults to False.
        chunk_size (int, optional): Anchor rows per block. Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.1,
        weight_fn: Optional[str] = None,
        sigma: float = 0.5,
        reduction: str = 'sum',
        gather_distributed: bool = False,
        chunk_size: Optional[int] = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if weight_fn not in (None, 'vmf'):
            raise ValueError(f"`weight_fn` must be None or 'vmf', got {weight_fn!r}.")
        if reduction not in ('sum', 'mean'):
            raise ValueError(f"`reduction` must be 'sum' or 'mean', got {reduction!r}.")
        self.temperature = check_temperature(temperature)
        self.sigma = check_temperature(sigma, 'sigma')
        self.weight_fn = weight_fn
        self.reduction = reduction
        self.gather_distributed = gather_distributed
        self.chunk_size = chunk_size
        self.loss_weight = loss_weight

    def forward(
        self, features: torch.Tensor, keep: Optional[torch.Tensor] = None, exclude: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, V, D]`` L2-normalised features (``V = 2`` for DCLW).
            keep (torch.Tensor, optional): ``[B]`` bool samples that take part (batch curation); DCLW's
                ``N * softmax`` then runs over the kept samples. Defaults to None (all).
            exclude (torch.Tensor, optional): ``[V*B, V*B_global]`` bool negatives removed from each
                anchor row's denominator. Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features, min_views=2)
        if self.weight_fn == 'vmf' and features.shape[1] != 2:
            raise ValueError(f'DCLW needs exactly 2 views, got features of shape {tuple(features.shape)}.')
        cs = build_contrast_set(features, gather_distributed=self.gather_distributed)
        dropped = row_keep = keep_g = None
        if keep is not None or exclude is not None:
            dropped, row_keep, keep_g = selection_masks(cs, keep, exclude, self.gather_distributed)
        pos_weight = None
        if self.weight_fn == 'vmf':
            with torch.no_grad():
                both = cs.contrast.detach().view(2, cs.global_batch, -1)
                sims = (both[0] * both[1]).sum(-1)
                count = cs.global_batch
                if keep_g is not None:
                    # the N * softmax weights of the kept samples only
                    sims = sims.masked_fill(~keep_g, float('-inf'))
                    count = int(keep_g.sum())
                weights = 2 - count * torch.softmax(sims / self.sigma, dim=0)
            pos_weight = weights[cs.anchor_sample]
        rows = contrastive_log_softmax(
            cs.anchors,
            cs.contrast,
            cs.masks(denominator='negatives', false_negatives=dropped, false_negative_mode='eliminate'),
            self.temperature,
            pos_weight=pos_weight,
            chunk_size=self.chunk_size,
        )
        loss = kept_mean(rows, row_keep, self.gather_distributed)
        if self.reduction == 'sum':
            loss = loss * cs.anchor_views
        return self.loss_weight * loss
