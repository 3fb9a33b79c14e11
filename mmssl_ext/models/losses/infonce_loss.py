# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Deprecated: ``InfoNCELoss`` held both NT-Xent and MoCo's queue form; they are two losses now."""

import warnings
from typing import Optional

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .nt_xent_loss import NTXentLoss
from .queue_infonce_loss import QueueInfoNCELoss

__all__ = ['InfoNCELoss']


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Deprecated alias, kept for one release: :class:`NTXentLoss` without a queue, :class:`QueueInfoNCELoss` with one.

    NT-Xent of SimCLR (Chen et al., arXiv:2002.05709) and InfoNCE of MoCo (He et al., arXiv:1911.05722). A call
    with ``queue`` or ``extra_negatives`` goes to the queue form, any other to NT-Xent, with the arguments of
    the old single class; results are those of the two losses. Configs should name the loss they use.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.1.
        reduction (str): ``'mean'`` or ``'sum'`` over views (NT-Xent). Defaults to 'mean'.
        in_batch_negatives (bool): Queue form: also contrast against the batch's keys. Defaults to False.
        gather_distributed (bool): Gather every rank's samples or keys with gradients. Defaults to False.
        chunk_size (int, optional): Anchor rows per block (NT-Xent). Defaults to None.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    supports_selection = True

    def __init__(
        self,
        temperature: float = 0.1,
        reduction: str = 'mean',
        in_batch_negatives: bool = False,
        gather_distributed: bool = False,
        chunk_size: Optional[int] = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        warnings.warn(
            "InfoNCELoss is deprecated: use dict(type='NTXentLoss', ...) for SimCLR-style losses and "
            "dict(type='QueueInfoNCELoss', ...) for MoCo's queue form.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.nt_xent = NTXentLoss(temperature, reduction, gather_distributed, chunk_size, loss_weight)
        self.queue_form = QueueInfoNCELoss(temperature, in_batch_negatives, gather_distributed, loss_weight)
        self.temperature = self.nt_xent.temperature

    def forward(
        self,
        features: torch.Tensor,
        queue: Optional[torch.Tensor] = None,
        extra_negatives: Optional[torch.Tensor] = None,
        check_norm: bool = True,
        keep: Optional[torch.Tensor] = None,
        exclude: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Compute the loss of the form the arguments select (see the class docstring).

        Args:
            features (torch.Tensor): ``[B, V, D]`` features (``[B, 2, D]`` query / key with a queue).
            queue (torch.Tensor, optional): ``[K, D]`` negatives. Defaults to None.
            extra_negatives (torch.Tensor, optional): ``[B, S, D]`` per-query negatives. Defaults to None.
            check_norm (bool): Require unit-norm inputs. Defaults to True.
            keep (torch.Tensor, optional): ``[B]`` bool kept samples (NT-Xent only). Defaults to None.
            exclude (torch.Tensor, optional): ``[V*B, V*B_global]`` bool dropped negatives (NT-Xent only).
                Defaults to None.

        Returns:
            torch.Tensor: Scalar loss.
        """
        if queue is None and extra_negatives is None:
            return self.nt_xent(features, keep=keep, exclude=exclude, check_norm=check_norm)
        if keep is not None or exclude is not None:
            raise ValueError('`keep` and `exclude` apply to the NT-Xent form only (no queue, no extra negatives).')
        return self.queue_form(features, queue, extra_negatives, check_norm=check_norm)
