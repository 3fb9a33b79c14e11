# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Mixup of features with other rows of the same batch."""

from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from mmssl_ext.registry import FEATURE_AUGMENTERS

from .base import BaseFeatureAugmenter, rand_perm, sample_beta

__all__ = ['IntraBatchMix']


@FEATURE_AUGMENTERS.register_module()
class IntraBatchMix(BaseFeatureAugmenter):
    """``z'_i = lam_i z_i + (1 - lam_i) z_perm(i)``, ``lam_i ~ Beta(alpha, alpha)`` per row, ``perm`` random.

    Each field of ``on`` gets its own ``lam`` and permutation.

    Paper: Zhang et al., "Feature Augmentation for Self-supervised Contrastive Learning", arXiv:2410.12396
    (the op itself is this repository's [unverified] proposal for that framework).

    Args:
        alpha (float): Beta parameter, > 0. Defaults to 1.0.
        lam (float, optional): Fixed ``lam`` in ``[0, 1]`` for every row instead of the Beta draw (1 is the
            identity). Defaults to None.
        on (Sequence[str] | str): Fields to augment (``'anchor'``, ``'target'``). Defaults to ('anchor',).
        apply_prob (float): Per-row probability of augmenting. Defaults to 1.0.
        renorm (bool): L2-normalise the augmented rows. Defaults to False.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        lam: Optional[float] = None,
        on: Union[str, Sequence[str]] = ('anchor',),
        apply_prob: float = 1.0,
        renorm: bool = False,
    ) -> None:
        super().__init__(on=on, apply_prob=apply_prob, renorm=renorm)
        if not alpha > 0:
            raise ValueError(f'`alpha` must be > 0, got {alpha}.')
        if lam is not None and not 0.0 <= lam <= 1.0:
            raise ValueError(f'`lam` must be in [0, 1] or None, got {lam}.')
        self.alpha = float(alpha)
        self.lam = None if lam is None else float(lam)

    def augment(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """Mix each row with a random other row; see :meth:`BaseFeatureAugmenter.augment`."""
        n = x.shape[0]
        if self.lam is None:
            lam = sample_beta(self.alpha, self.alpha, (n, 1), generator, x.device, x.dtype)
        else:
            lam = torch.full((n, 1), self.lam, device=x.device, dtype=x.dtype)
        perm = rand_perm(n, generator, x.device)
        return lam * x + (1 - lam) * x[perm]
