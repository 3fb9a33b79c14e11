# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Decoupled contrastive loss (DCL) and its von Mises-Fisher weighted variant (DCLW)."""

from typing import Optional

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .kernels import ContrastSet, contrastive_loss
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

    supports_selection = True
    """``forward`` takes ``keep`` / ``exclude`` (what :class:`CuratedSimCLR` needs of its loss)."""

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
        loss = contrastive_loss(
            features,
            self.temperature,
            gather_distributed=self.gather_distributed,
            denominator='negatives',
            keep=keep,
            exclude=exclude,
            pos_weight=self._vmf_weights if self.weight_fn == 'vmf' else None,
            chunk_size=self.chunk_size,
        )
        if self.reduction == 'sum':
            loss = loss * features.shape[1]
        return self.loss_weight * loss

    @torch.no_grad()
    def _vmf_weights(self, cs: ContrastSet, kept: Optional[torch.Tensor]) -> torch.Tensor:
        """DCLW's ``2 - N softmax(s_i / sigma)`` of the anchors' samples, over the (kept) global batch."""
        both = cs.contrast.detach().view(2, cs.global_batch, -1)
        sims = (both[0] * both[1]).sum(-1)
        count = cs.global_batch
        if kept is not None:
            # the N * softmax weights of the kept samples only
            sims = sims.masked_fill(~kept, float('-inf'))
            count = int(kept.sum())
        weights = 2 - count * torch.softmax(sims / self.sigma, dim=0)
        return weights[cs.anchor_sample]
