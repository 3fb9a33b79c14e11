# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Learned residual MLP feature generator, identity at initialisation."""

from typing import Optional, Sequence, Union, cast

import torch
import torch.nn as nn
from torch import Tensor

from mmssl_ext.registry import FEATURE_AUGMENTERS

from .base import BaseFeatureAugmenter, rand_normal

__all__ = ['ResidualMLPGenerator']


@FEATURE_AUGMENTERS.register_module()
class ResidualMLPGenerator(BaseFeatureAugmenter):
    """``z' = z + MLP([z, noise])``, MLP = Linear -> ReLU -> Linear, ``noise ~ N(0, noise_std^2 I)``.

    The last Linear is zero-initialised (weight and bias), so the generator starts as the identity and learns a
    residual; its gradient is not zero (it is ``hidden^T @ dL/dz'``), so the MLP leaves the identity after the
    first step. :meth:`init_weights` restores this after an algorithm-level ``init_cfg``. Its parameters are
    trained by whatever loss reaches its output.

    Paper: Zhang et al., "Feature Augmentation for Self-supervised Contrastive Learning", arXiv:2410.12396
    (the architecture is this repository's [unverified] proposal for that framework).

    Args:
        feat_dim (int): ``D`` of the features.
        hidden_dim (int): Hidden width. Defaults to 512.
        noise_dim (int): Width of the noise input, >= 0 (0: deterministic). Defaults to 64.
        noise_std (float): Noise standard deviation, >= 0. Defaults to 1.0.
        on (Sequence[str] | str): Fields to augment (``'anchor'``, ``'target'``). Defaults to ('anchor',).
        apply_prob (float): Per-row probability of augmenting. Defaults to 1.0.
        renorm (bool): L2-normalise the augmented rows. Defaults to False.
    """

    def __init__(
        self,
        feat_dim: int,
        hidden_dim: int = 512,
        noise_dim: int = 64,
        noise_std: float = 1.0,
        on: Union[str, Sequence[str]] = ('anchor',),
        apply_prob: float = 1.0,
        renorm: bool = False,
    ) -> None:
        super().__init__(on=on, apply_prob=apply_prob, renorm=renorm)
        for name, value, low in (('feat_dim', feat_dim, 1), ('hidden_dim', hidden_dim, 1), ('noise_dim', noise_dim, 0)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f'`{name}` must be an int >= {low}, got {value!r}.')
        if not noise_std >= 0:
            raise ValueError(f'`noise_std` must be >= 0, got {noise_std}.')
        self.feat_dim = feat_dim
        self.noise_dim = noise_dim
        self.noise_std = float(noise_std)
        hidden = nn.Linear(feat_dim + noise_dim, hidden_dim)
        self.mlp = nn.Sequential(hidden, nn.ReLU(), nn.Linear(hidden_dim, feat_dim))
        self.init_weights()

    def init_weights(self) -> None:
        """PyTorch default init of the first Linear, zeros for the last one (identity generator)."""
        first, last = cast(nn.Linear, self.mlp[0]), cast(nn.Linear, self.mlp[2])
        first.reset_parameters()
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def augment(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """``x + MLP([x, noise])``; see :meth:`BaseFeatureAugmenter.augment`."""
        if x.shape[1] != self.feat_dim:
            raise ValueError(f'features must be [N, {self.feat_dim}] (`feat_dim`), got {tuple(x.shape)}.')
        noise = self.noise_std * rand_normal((x.shape[0], self.noise_dim), generator, x.device, x.dtype)
        return x + self.mlp(torch.cat([x, noise], dim=1))
