# Copyright (c) mmssl_ext contributors. All rights reserved.
"""epsilon-SupInfoNCE and epsilon-SupCon."""

import math
from typing import Optional, Union

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .kernels import per_positive_loss
from .utils import check_features, check_labels, check_temperature

__all__ = ['EpsSupInfoNCELoss']


@MODELS.register_module()
class EpsSupInfoNCELoss(nn.Module):
    """Unbiased Supervised Contrastive Learning, Barbano et al., arXiv:2211.05568 (ICLR 2023).

    With ``omega = exp(-epsilon)`` and logits shifted by their row max (detached):

    * ``form='out'`` (epsilon-SupInfoNCE): ``L_i = -mean_{p in P(i)} [s_ip - log(omega e^{s_ip} +
      sum_{n in Neg(i)} e^{s_in} + 1e-6)]``: only the current positive, down-weighted, competes with
      the negatives, which acts as a margin ``epsilon``;
    * ``form='in'``: ``L_i = -[log sum_p e^{s_ip} - log(omega / |P| sum_p e^{s_ip} + sum_n e^{s_in})]``
      (rows without positives give 0 here, ``+inf`` in the official code);
    * ``form='supcon'`` (epsilon-SupCon, Eq. 18): every positive, scaled by ``omega``, stays in one
      shared denominator ``sum_{k != i} (omega [k in P] + [k in Neg]) e^{s_ik} + 1e-6``.

    The loss is multiplied by ``temperature / base_temperature`` and averaged over anchors. Labels (or a
    mask) are required. ``learnable_epsilon`` makes ``epsilon`` an ``nn.Parameter`` (the official
    ``lr_epsilon`` code path is unreachable, so this parameterisation is ours: give it its own lr with
    ``paramwise_cfg``).

    Args:
        temperature (float): Softmax temperature. Defaults to 0.07.
        base_temperature (float): Loss scale ``temperature / base_temperature``. Defaults to 0.07.
        epsilon (float): Margin. Defaults to 0.0.
        learnable_epsilon (bool): Learn ``epsilon``. Defaults to False.
        form (str): ``'out'``, ``'in'`` or ``'supcon'``. Defaults to 'out'.
        contrast_mode (str): ``'all'`` or ``'one'``. Defaults to 'all'.
        gather_distributed (bool): Contrast against every rank, with gradients. Defaults to False.
        chunk_size (int, optional): Anchor rows per checkpointed block. Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        temperature: float = 0.07,
        base_temperature: float = 0.07,
        epsilon: float = 0.0,
        learnable_epsilon: bool = False,
        form: str = 'out',
        contrast_mode: str = 'all',
        gather_distributed: bool = False,
        chunk_size: Optional[int] = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if form not in ('out', 'in', 'supcon'):
            raise ValueError(f"`form` must be 'out', 'in' or 'supcon', got {form!r}.")
        self.temperature = check_temperature(temperature)
        self.base_temperature = check_temperature(base_temperature, 'base_temperature')
        self.form = form
        self.contrast_mode = contrast_mode
        self.gather_distributed = gather_distributed
        self.chunk_size = chunk_size
        self.loss_weight = loss_weight
        if learnable_epsilon:
            self.epsilon = nn.Parameter(torch.tensor(float(epsilon)))
        else:
            self.register_buffer('epsilon', torch.tensor(float(epsilon)), persistent=False)
        self.learnable_epsilon = learnable_epsilon

    def forward(
        self, features: torch.Tensor, labels: Optional[torch.Tensor] = None, mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (torch.Tensor): ``[B, V, D]`` L2-normalised features.
            labels (torch.Tensor, optional): ``[B]`` labels; this or ``mask`` is required. Defaults to None.
            mask (torch.Tensor, optional): ``[B, B_global]`` positive mask. Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features)
        if labels is None and mask is None:
            raise ValueError('EpsSupInfoNCELoss is supervised: pass `labels` ([B]) or `mask` ([B, B_global]).')
        if labels is not None and mask is not None:
            raise ValueError('EpsSupInfoNCELoss takes either `labels` or `mask`, not both.')
        if labels is not None:
            labels = check_labels(labels, features.shape[0])
        omega: Union[float, torch.Tensor]
        if self.learnable_epsilon:
            omega = torch.exp(-self.epsilon)
        else:
            omega = math.exp(-float(self.epsilon))
        form, denominator, eps = {
            'out': ('out', 'pair', 1e-6),
            'in': ('in_eps', 'pair', 0.0),
            'supcon': ('out', 'shared', 1e-6),
        }[self.form]
        loss = per_positive_loss(
            features,
            self.temperature,
            labels=labels,
            mask=mask,
            contrast_mode=self.contrast_mode,
            gather_distributed=self.gather_distributed,
            omega=omega,
            eps=eps,
            form=form,
            denominator=denominator,
            chunk_size=self.chunk_size,
        )
        return self.loss_weight * self.temperature / self.base_temperature * loss
