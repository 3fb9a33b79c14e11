# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched colour jitter with a per-sample random order of its four ops."""

from typing import Dict, Optional, Sequence, Tuple, Union

import torch

from mmssl_ext.registry import BATCH_AUGMENTS

from .base import BaseBatchAugment, apply_to_subset, check_range
from .functional.color import adjust_brightness, adjust_contrast, adjust_saturation
from .functional.hue import adjust_hue

__all__ = ['BatchColorJitter']

_OPS = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
_NAMES = ('brightness', 'contrast', 'saturation', 'hue')
_IDENTITY = (1.0, 1.0, 1.0, 0.0)


def _jitter_range(name: str, value: Union[float, Sequence[float]], center: float, bound: Tuple[float, float]):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f'BatchColorJitter: {name} must be >= 0 when a single number, got {value!r}')
        # mmpretrain clips (center - value, center + value) to the bound
        value = (max(center - float(value), bound[0]), min(center + float(value), bound[1]))
    low, high = check_range('BatchColorJitter', name, value, *bound)
    return None if low == high == center else (low, high)


@BATCH_AUGMENTS.register_module()
class BatchColorJitter(BaseBatchAugment):
    """Colour jitter of mmpretrain's ``RandomApply([ColorJitter(b, c, s, h)], prob)`` on a batch.

    Per applied sample: a random order of the four ops (a uniform permutation, drawn per sample), brightness,
    contrast and saturation factors from U(max(0, 1 - x), 1 + x) (or the given (min, max)), and a hue shift from
    U(-hue, hue), each op as PIL computes it (mmpretrain's ``backend='pillow'``). Samples outside ``prob`` and
    ops whose strength is 0 are left alone. On CPU each op runs only on the samples that take it at a given
    position, so the cost matches four ops per sample; on a GPU the ops run on the whole batch and are selected
    with :func:`torch.where` (no device sync).

    Args:
        brightness (float | Sequence[float]): Brightness strength or (min, max) factor range. Defaults to 0.
        contrast (float | Sequence[float]): Contrast strength or (min, max) factor range. Defaults to 0.
        saturation (float | Sequence[float]): Saturation strength or (min, max) factor range. Defaults to 0.
        hue (float | Sequence[float]): Hue strength in [0, 0.5] or (min, max) within [-0.5, 0.5]. Defaults to 0.
        prob (float): Probability of jittering each sample (the RandomApply probability). Defaults to 1.0.
    """

    def __init__(
        self,
        brightness: Union[float, Sequence[float]] = 0.0,
        contrast: Union[float, Sequence[float]] = 0.0,
        saturation: Union[float, Sequence[float]] = 0.0,
        hue: Union[float, Sequence[float]] = 0.0,
        prob: float = 1.0,
    ) -> None:
        super().__init__(prob)
        inf = float('inf')
        self.ranges: Tuple[Optional[Tuple[float, float]], ...] = (
            _jitter_range('brightness', brightness, 1.0, (0.0, inf)),
            _jitter_range('contrast', contrast, 1.0, (0.0, inf)),
            _jitter_range('saturation', saturation, 1.0, (0.0, inf)),
            _jitter_range('hue', hue, 0.0, (-0.5, 0.5)),
        )

    def sample(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Draw ``'apply'``, ``'order'`` and a factor per op.

        ``'order'`` is (B, 4) int64, a permutation of the op ids 0..3 per sample. Ops with no range get their
        identity value (factor 1, hue shift 0).
        """
        b, device = img.shape[0], img.device
        params = {'apply': self._coin(b, device), 'order': torch.rand(b, 4, device=device).argsort(dim=1)}
        for name, rng, identity in zip(_NAMES, self.ranges, _IDENTITY):
            if rng is None:
                params[name] = torch.full((b,), identity, device=device)
            else:
                params[name] = torch.rand(b, device=device) * (rng[1] - rng[0]) + rng[0]
        return params

    def apply(self, img: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Run the ops in each sample's ``params['order']`` on the samples where ``params['apply']`` holds."""
        if img.shape[1] != 3:
            raise ValueError(f'BatchColorJitter: img must have 3 channels (RGB), got {img.shape[1]}')
        out = img.clone()
        for position in range(4):
            for op_id, (name, op, rng) in enumerate(zip(_NAMES, _OPS, self.ranges)):
                if rng is None:
                    continue
                mask = params['apply'] & (params['order'][:, position] == op_id)
                out = apply_to_subset(out, mask, op, params[name], inplace=True)
        return out

    def __repr__(self) -> str:
        ranges = ', '.join(f'{n}={r}' for n, r in zip(_NAMES, self.ranges))
        return f'{type(self).__name__}({ranges}, prob={self.prob})'
