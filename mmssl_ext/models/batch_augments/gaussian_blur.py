# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched random Gaussian blur."""

from typing import Dict, Sequence

import torch

from mmssl_ext.registry import BATCH_AUGMENTS

from .base import BaseBatchAugment, apply_to_subset, check_range
from .functional.blur import gaussian_blur

__all__ = ['BatchGaussianBlur']


@BATCH_AUGMENTS.register_module()
class BatchGaussianBlur(BaseBatchAugment):
    """Blur with sigma ~ U(sigma_range) with probability ``prob``.

    The batched ``GaussianBlur(magnitude_range=sigma_range, magnitude_std='inf', prob=prob)`` of mmpretrain
    (PIL's ``ImageFilter.GaussianBlur(radius=sigma)``), as used by SimCLR, MoCo v2 and CLSA.

    Args:
        sigma_range (Sequence[float]): The (min, max) of the uniform sigma draw. Defaults to (0.1, 2.0).
        prob (float): Probability of blurring each sample. Defaults to 0.5.
    """

    def __init__(self, sigma_range: Sequence[float] = (0.1, 2.0), prob: float = 0.5) -> None:
        super().__init__(prob)
        self.sigma_range = check_range('BatchGaussianBlur', 'sigma_range', sigma_range, low=0.0)

    def sample(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Draw ``'apply'`` and a per-sample ``'sigma'``."""
        low, high = self.sigma_range
        sigma = torch.rand(img.shape[0], device=img.device) * (high - low) + low
        return {'apply': self._coin(img.shape[0], img.device), 'sigma': sigma}

    def apply(self, img: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Blur the samples where ``params['apply']`` holds with their ``params['sigma']``."""
        return apply_to_subset(img, params['apply'], gaussian_blur, params['sigma'])

    def __repr__(self) -> str:
        return f'{type(self).__name__}(sigma_range={self.sigma_range}, prob={self.prob})'
