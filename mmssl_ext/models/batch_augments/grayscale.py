# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched random grayscale."""

from typing import Dict, Sequence

import torch

from mmssl_ext.registry import BATCH_AUGMENTS

from .base import BaseBatchAugment, apply_to_subset
from .functional.color import to_grayscale

__all__ = ['BatchRandomGrayscale']


@BATCH_AUGMENTS.register_module()
class BatchRandomGrayscale(BaseBatchAugment):
    """Grayscale with probability ``prob``, three channels kept: ``RandomGrayscale(prob, keep_channels=True)``.

    Args:
        prob (float): Probability of converting each sample. Defaults to 0.2.
        rgb_weights (Sequence[float]): Weights of R, G and B, in that (RGB) order; the per-image transform takes
            them in BGR order as ``channel_weights=(0.114, 0.587, 0.2989)``. Defaults to (0.2989, 0.587, 0.114).
    """

    def __init__(self, prob: float = 0.2, rgb_weights: Sequence[float] = (0.2989, 0.587, 0.114)) -> None:
        super().__init__(prob)
        if len(rgb_weights) != 3 or any(isinstance(w, bool) or not isinstance(w, (int, float)) for w in rgb_weights):
            raise ValueError(f'BatchRandomGrayscale: rgb_weights must be 3 numbers (R, G, B), got {rgb_weights!r}')
        self.rgb_weights = tuple(float(w) for w in rgb_weights)

    def sample(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Draw ``'apply'``, the converted samples."""
        return {'apply': self._coin(img.shape[0], img.device)}

    def apply(self, img: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Convert the samples where ``params['apply']`` holds."""
        if img.shape[1] != 3:
            raise ValueError(f'BatchRandomGrayscale: img must have 3 channels, got {img.shape[1]}')
        return apply_to_subset(img, params['apply'], lambda x: to_grayscale(x, self.rgb_weights))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, rgb_weights={self.rgb_weights})'
