# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The momentum update of CMC's per-view memory banks (state of the algorithm, not part of the loss)."""

import torch
import torch.nn.functional as F

__all__ = ['cmc_momentum_update']


@torch.no_grad()
def cmc_momentum_update(banks: torch.Tensor, features: torch.Tensor, indices: torch.Tensor, momentum: float) -> None:
    """In-place memory update ``bank[y] <- normalize(m * bank[y] + (1 - m) * f)`` for every view.

    Args:
        banks (torch.Tensor): ``[V, M, D]`` memory banks (a buffer of the algorithm).
        features (torch.Tensor): ``[B, V, D]`` current features.
        indices (torch.Tensor): ``[B]`` dataset indices.
        momentum (float): ``m`` (0.5 in CMC).
    """
    for v in range(banks.shape[0]):
        mixed = momentum * banks[v, indices] + (1 - momentum) * features[:, v].detach().to(banks.dtype)
        banks[v, indices] = F.normalize(mixed, dim=-1)
