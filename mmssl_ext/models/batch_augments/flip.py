# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched random horizontal flip."""

from typing import Dict

import torch

from mmssl_ext.registry import BATCH_AUGMENTS

from .base import BaseBatchAugment
from .functional.geometry import hflip

__all__ = ['BatchRandomFlip']


@BATCH_AUGMENTS.register_module()
class BatchRandomFlip(BaseBatchAugment):
    """Flip each sample horizontally with probability ``prob``: mmcv's ``RandomFlip(prob, 'horizontal')``.

    Args:
        prob (float): Probability of flipping each sample. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        super().__init__(prob)

    def sample(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Draw ``'apply'``, the flipped samples."""
        return {'apply': self._coin(img.shape[0], img.device)}

    def apply(self, img: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Flip the samples where ``params['apply']`` holds."""
        return hflip(img, params['apply'])

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
