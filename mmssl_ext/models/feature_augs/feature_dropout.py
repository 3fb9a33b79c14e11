# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Inverted dropout in feature space, applied whatever the module mode."""

from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from mmssl_ext.registry import FEATURE_AUGMENTERS

from .base import BaseFeatureAugmenter, rand_uniform

__all__ = ['FeatureDropout']


@FEATURE_AUGMENTERS.register_module()
class FeatureDropout(BaseFeatureAugmenter):
    """``z' = z * m / (1 - p)``, ``m_ij ~ Bernoulli(1 - p)`` (inverted dropout).

    Unlike :class:`torch.nn.Dropout` this acts in eval mode too: augmenters are only called from the algorithms'
    ``loss()``, so the mode never needs to switch them off.

    Paper: Zhang et al., "Feature Augmentation for Self-supervised Contrastive Learning", arXiv:2410.12396
    (the op itself is this repository's [unverified] proposal for that framework).

    Args:
        p (float): Drop probability in ``[0, 1)`` (0 is the identity). Defaults to 0.1.
        on (Sequence[str] | str): Fields to augment (``'anchor'``, ``'target'``). Defaults to ('anchor',).
        apply_prob (float): Per-row probability of augmenting. Defaults to 1.0.
        renorm (bool): L2-normalise the augmented rows. Defaults to False.
    """

    def __init__(
        self,
        p: float = 0.1,
        on: Union[str, Sequence[str]] = ('anchor',),
        apply_prob: float = 1.0,
        renorm: bool = False,
    ) -> None:
        super().__init__(on=on, apply_prob=apply_prob, renorm=renorm)
        if not 0.0 <= p < 1.0:
            raise ValueError(f'`p` must be in [0, 1), got {p}.')
        self.p = float(p)

    def augment(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """Inverted dropout of ``x``; see :meth:`BaseFeatureAugmenter.augment`."""
        keep = rand_uniform(x.shape, generator, x.device) >= self.p
        return x * (keep.to(x.dtype) * (1.0 / (1.0 - self.p)))
