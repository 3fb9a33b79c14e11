# Copyright (c) mmssl_ext contributors. All rights reserved.
"""FairKL debiasing regulariser."""

import torch
import torch.nn as nn

from mmssl_ext.registry import MODELS

from .utils import check_features, check_labels, check_temperature

__all__ = ['FairKLLoss']


@MODELS.register_module()
class FairKLLoss(nn.Module):
    """FairKL, from Unbiased Supervised Contrastive Learning, Barbano et al., arXiv:2211.05568 (ICLR 2023).

    ``S = f f^T / T`` over all pairs of the batch, self included. Pairs split by target label (+ same /
    - different) and bias label (aligned = same bias / conflicting = different bias); with ``mu`` and
    ``sigma`` the mean and spread of ``S`` in each group,

    ``R = (mu+c - mu+a)^2 + (mu-a - mu-c)^2 + kld [(sigma+a - sigma+c)^2 + (sigma-a - sigma-c)^2]
    - mu+c + mu-a``.

    As in the official code, a group's mean is ``sum(S * G) / max(sum(G), 1)`` and its spread the
    unbiased ``torch.std`` of the masked full matrix ``S * G`` (zeros outside the group included).

    Args:
        temperature (float): Similarity temperature. Defaults to 1.0.
        kld (float): Weight of the spread terms. Defaults to 1.0.
        view (int): Which view of ``[B, V, D]`` features is used (the official callers pass the first).
            Defaults to 0.
        loss_weight (float): Multiplier (``lambda`` of the paper). Defaults to 1.0.
    """

    def __init__(self, temperature: float = 1.0, kld: float = 1.0, view: int = 0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.temperature = check_temperature(temperature)
        self.kld = kld
        self.view = view
        self.loss_weight = loss_weight

    def forward(self, features: torch.Tensor, labels: torch.Tensor, bias_labels: torch.Tensor) -> torch.Tensor:
        """Compute the regulariser.

        Args:
            features (torch.Tensor): ``[B, V, D]`` L2-normalised features.
            labels (torch.Tensor): ``[B]`` target labels.
            bias_labels (torch.Tensor): ``[B]`` bias labels.

        Returns:
            torch.Tensor: Scalar loss.
        """
        check_features(features)
        if self.view >= features.shape[1]:
            raise ValueError(f'`view`={self.view} but features have {features.shape[1]} views.')
        batch = features.shape[0]
        labels = check_labels(labels, batch)
        bias_labels = check_labels(bias_labels, batch, 'bias_labels')
        f = features[:, self.view]
        sim = f @ f.T / self.temperature
        same_y = labels[:, None] == labels[None, :]
        same_b = bias_labels[:, None] == bias_labels[None, :]
        groups = {
            'pa': same_y & same_b,
            'pc': same_y & ~same_b,
            'na': ~same_y & same_b,
            'nc': ~same_y & ~same_b,
        }
        mu, sd = {}, {}
        for name, g in groups.items():
            masked = sim * g.to(sim.dtype)
            mu[name] = masked.sum() / g.sum().clamp(min=1)
            sd[name] = masked.std()
        reg = (mu['pc'] - mu['pa']) ** 2 + (mu['na'] - mu['nc']) ** 2
        reg = reg + self.kld * ((sd['pa'] - sd['pc']) ** 2 + (sd['na'] - sd['nc']) ** 2)
        reg = reg - mu['pc'] + mu['na']
        return self.loss_weight * reg
