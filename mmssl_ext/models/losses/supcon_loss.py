# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Supervised contrastive loss (SupCon)."""

from typing import Optional

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .kernels import contrastive_loss, per_positive_loss
from .utils import NORM_ATOL, check_features, check_labels, check_temperature

__all__ = ['SupConLoss']

_DENOMINATORS = ('all', 'one_positive', 'only_negatives')


@MODELS.register_module()
class SupConLoss(nn.Module):
    """Supervised Contrastive Learning, Khosla et al., arXiv:2004.11362 (NeurIPS 2020).

    For anchor ``r`` with positives ``P(r)`` (same label or ``mask``, other views of the same sample
    included, self excluded) and logits ``S = A C^T / tau`` over the view-major contrast set:

    * ``summation='out'`` (L_out, Eq. 2): ``-(tau/tau_base) * mean_{p in P(r)} log softmax_{Den}(S_r)_p``;
    * ``summation='in'`` (L_in, Eq. 3): ``-(tau/tau_base) * log mean_{p in P(r)} softmax_{Den}(S_r)_p``.

    ``denominator_mode`` follows the official TF code: ``'all'`` (every column but self),
    ``'one_positive'`` (the current positive and the negatives) or ``'only_negatives'``. Rows without a
    positive give 0 and still count in the mean (SupContrast HEAD). Without labels and mask the loss is
    SimCLR's (mask = identity), as in the official code, unless ``require_labels=True``.

    Official quirk: ``main_supcon.py`` sets only ``temperature``, so with ``--temp 0.1`` the loss is
    scaled by ``0.1 / 0.07``; keep ``base_temperature=0.07`` to reproduce it, or set it equal to
    ``temperature`` for the unscaled loss.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.07.
        base_temperature (float): The loss is multiplied by ``temperature / base_temperature``.
            Defaults to 0.07.
        contrast_mode (str): ``'all'`` (every view anchors) or ``'one'`` (view 0 anchors). Defaults to 'all'.
        summation (str): ``'out'`` or ``'in'``. Defaults to 'out'.
        denominator_mode (str): ``'all'``, ``'one_positive'`` or ``'only_negatives'``. Defaults to 'all'.
        gather_distributed (bool): Contrast local anchors against the features of every rank (gathered
            with gradients). Defaults to False.
        chunk_size (int, optional): Anchor rows per block for a memory-lean pass. Defaults to None.
        require_labels (bool): Raise a ``ValueError`` when neither labels nor mask is given.
            Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.07,
        base_temperature: float = 0.07,
        contrast_mode: str = 'all',
        summation: str = 'out',
        denominator_mode: str = 'all',
        gather_distributed: bool = False,
        chunk_size: Optional[int] = None,
        require_labels: bool = False,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if summation not in ('out', 'in'):
            raise ValueError(f"`summation` must be 'out' or 'in', got {summation!r}.")
        if denominator_mode not in _DENOMINATORS:
            raise ValueError(f'`denominator_mode` must be one of {_DENOMINATORS}, got {denominator_mode!r}.')
        if contrast_mode not in ('all', 'one'):
            raise ValueError(f"`contrast_mode` must be 'all' or 'one', got {contrast_mode!r}.")
        self.temperature = check_temperature(temperature)
        self.base_temperature = check_temperature(base_temperature, 'base_temperature')
        self.contrast_mode = contrast_mode
        self.summation = summation
        self.denominator_mode = denominator_mode
        self.gather_distributed = gather_distributed
        self.chunk_size = chunk_size
        self.require_labels = require_labels
        self.loss_weight = loss_weight

    def forward(
        self, features: torch.Tensor, labels: Optional[torch.Tensor] = None, mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, V, D]`` L2-normalised features.
            labels (torch.Tensor, optional): ``[B]`` class labels. Defaults to None.
            mask (torch.Tensor, optional): ``[B, B_global]`` positive mask (``mask[i, j]``: sample ``j``
                is a positive of anchor ``i``), possibly asymmetric. Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features)
        if labels is not None and mask is not None:
            raise ValueError('SupConLoss takes either `labels` or `mask`, not both.')
        if labels is None and mask is None and self.require_labels:
            raise ValueError('SupConLoss(require_labels=True) got neither `labels` nor `mask`.')
        if labels is not None:
            labels = check_labels(labels, features.shape[0])
        if self.denominator_mode == 'all':
            loss = contrastive_loss(
                features,
                self.temperature,
                labels=labels,
                mask=mask,
                contrast_mode=self.contrast_mode,
                gather_distributed=self.gather_distributed,
                summation=self.summation,
                chunk_size=self.chunk_size,
                max_norm=1 + NORM_ATOL,  # checked above
            )
        else:
            loss = per_positive_loss(
                features,
                self.temperature,
                labels=labels,
                mask=mask,
                contrast_mode=self.contrast_mode,
                gather_distributed=self.gather_distributed,
                omega=1.0 if self.denominator_mode == 'one_positive' else 0.0,
                form=self.summation,
                chunk_size=self.chunk_size,
            )
        scale = self.temperature / self.base_temperature
        return self.loss_weight * scale * loss
