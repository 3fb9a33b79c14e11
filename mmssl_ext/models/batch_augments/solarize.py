# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched random solarization."""

from typing import Dict

import torch

from mmssl_ext.registry import BATCH_AUGMENTS

from .base import BaseBatchAugment
from .functional.tone import solarize

__all__ = ['BatchSolarize']


@BATCH_AUGMENTS.register_module()
class BatchSolarize(BaseBatchAugment):
    """Invert the pixels at or above ``threshold`` with probability ``prob``: mmpretrain's ``Solarize(thr, prob)``.

    Args:
        threshold (float): Pixels ``>= threshold`` are inverted. Defaults to 128.
        prob (float): Probability of solarizing each sample. Defaults to 0.2.
    """

    def __init__(self, threshold: float = 128, prob: float = 0.2) -> None:
        super().__init__(prob)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 256:
            raise ValueError(f'BatchSolarize: threshold must be a number in [0, 256], got {threshold!r}')
        self.threshold = float(threshold)

    def sample(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Draw ``'apply'``; the threshold of a sample left alone is 256 (nothing inverted)."""
        apply = self._coin(img.shape[0], img.device)
        return {'apply': apply, 'threshold': torch.where(apply, self.threshold, 256.0)}

    def apply(self, img: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Solarize each sample at ``params['threshold']`` (256 leaves it unchanged)."""
        return solarize(img, params['threshold'])

    def __repr__(self) -> str:
        return f'{type(self).__name__}(threshold={self.threshold}, prob={self.prob})'
