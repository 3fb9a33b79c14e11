# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Additive Gaussian noise in feature space."""

from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from mmssl_ext.registry import FEATURE_AUGMENTERS

from .base import BaseFeatureAugmenter, rand_normal

__all__ = ['GaussianNoise']


@FEATURE_AUGMENTERS.register_module()
class GaussianNoise(BaseFeatureAugmenter):
    """``z' = z + std * eps``, ``eps ~ N(0, I)`` per element.

    Paper: Zhang et al., "Feature Augmentation for Self-supervised Contrastive Learning", arXiv:2410.12396
    (the op itself is this repository's [unverified] proposal for that framework).

    Args:
        std (float): Noise standard deviation, >= 0 (0 is the identity). Defaults to 0.1.
        on (Sequence[str] | str): Fields to augment (``'anchor'``, ``'target'``). Defaults to ('anchor',).
        apply_prob (float): Per-row probability of augmenting. Defaults to 1.0.
        renorm (bool): L2-normalise the augmented rows. Defaults to False.
    """

    def __init__(
        self,
        std: float = 0.1,
        on: Union[str, Sequence[str]] = ('anchor',),
        apply_prob: float = 1.0,
        renorm: bool = False,
    ) -> None:
        super().__init__(on=on, apply_prob=apply_prob, renorm=renorm)
        if not std >= 0:
            raise ValueError(f'`std` must be >= 0, got {std}.')
        self.std = float(std)

    def augment(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """``x + std * eps``; see :meth:`BaseFeatureAugmenter.augment`."""
        return x + self.std * rand_normal(x.shape, generator, x.device, x.dtype)
