# Copyright (c) mmssl_ext contributors. All rights reserved.
"""APS / MoCo v3 contrastive loss: cross-entropy of predictions against all-gathered, stop-gradient targets."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmssl_ext.registry import MODELS

from ..utils import all_gather_no_grad, rank_offset
from .utils import check_temperature

__all__ = ['APSLoss']


@MODELS.register_module()
class APSLoss(nn.Module):
    """One direction of the APS loss, "Asymmetric Patch Sampling for Contrastive Learning" (arXiv:2306.02854).

    ``CE(norm(p) @ all_gather(norm(sg(z))).T / T, arange(N) + rank * N)``, the MoCo v3 loss without its
    ``2 * T`` factor (the official ``module/loss.py``: ``loss_weight = 1``). The target is detached before the
    gather, so no gradient reaches it in one process either (mmengine's ``all_gather`` returns the input itself,
    with its graph, when there is one process). Logits are computed in at least float32.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.1.
        gather_distributed (bool): Contrast against the targets of every rank. Defaults to True.
    """

    def __init__(self, temperature: float = 0.1, gather_distributed: bool = True) -> None:
        super().__init__()
        check_temperature(temperature)
        self.temperature = temperature
        self.gather_distributed = gather_distributed

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the ``N`` local predictions over the (gathered) targets.

        Args:
            pred (torch.Tensor): ``[N, D]`` predictor outputs (normalised here).
            target (torch.Tensor): ``[N, D]`` projector outputs of the other view (detached and normalised here).

        Returns:
            torch.Tensor: Scalar loss.
        """
        if pred.dim() != 2 or target.shape != pred.shape:
            raise ValueError(
                f'`pred` and `target` must both be [N, D], got {tuple(pred.shape)} and {tuple(target.shape)}.'
            )
        dtype = torch.promote_types(pred.dtype, torch.float32)
        pred = F.normalize(pred.to(dtype), dim=1)
        target = F.normalize(target.detach().to(dtype), dim=1)
        if self.gather_distributed:
            target = all_gather_no_grad(target)
        logits = pred @ target.T / self.temperature
        offset = rank_offset(pred.shape[0]) if self.gather_distributed else 0
        labels = torch.arange(pred.shape[0], device=pred.device) + offset
        return F.cross_entropy(logits, labels)
