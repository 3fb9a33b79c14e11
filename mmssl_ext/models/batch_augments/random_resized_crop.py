# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched random resized crop of a batch of same-size images."""

import math
from typing import Dict, Sequence, Tuple, Union, cast

import torch

from mmssl_ext.registry import BATCH_AUGMENTS

from .base import BaseBatchAugment, check_range
from .functional.resize import resized_crop

__all__ = ['BatchRandomResizedCrop', 'sample_crop_boxes']


def sample_crop_boxes(
    batch_size: int,
    height: int,
    width: int,
    scale: Tuple[float, float],
    ratio: Tuple[float, float],
    max_attempts: int = 10,
    device: Union[str, torch.device] = 'cpu',
) -> torch.Tensor:
    """Crop boxes drawn as mmpretrain's ``RandomResizedCrop.rand_crop_params``, for a whole batch at once.

    Every sample makes ``max_attempts`` draws of an area share ~ U(scale) and a log aspect ratio ~ U(log ratio),
    with ``w = round(sqrt(area * r))`` and ``h = round(sqrt(area / r))`` (round half to even, like Python);
    the first draw that fits is used, at a uniform integer offset; a sample with no fitting draw gets the central
    crop of the clipped aspect ratio (the whole image when its ratio is inside ``ratio``).

    Args:
        batch_size (int): Number of boxes.
        height (int): Image height.
        width (int): Image width.
        scale (Tuple[float, float]): Range of the crop area over the image area.
        ratio (Tuple[float, float]): Range of the crop aspect ratio w / h.
        max_attempts (int): Draws per sample before the central fallback. Defaults to 10.
        device (str | torch.device): Device of the result. Defaults to 'cpu'.

    Returns:
        torch.Tensor: (B, 4) int64 boxes ``(x0, y0, x1, y1)``, end exclusive.
    """
    area = float(height * width)
    target_area = (torch.rand(batch_size, max_attempts, device=device) * (scale[1] - scale[0]) + scale[0]) * area
    log_low, log_high = math.log(ratio[0]), math.log(ratio[1])
    aspect = torch.exp(torch.rand(batch_size, max_attempts, device=device) * (log_high - log_low) + log_low)
    # float64 keeps the rounding of Python's float maths at the .5 boundaries
    target_area, aspect = target_area.double(), aspect.double()
    tw = torch.round(torch.sqrt(target_area * aspect)).long()
    th = torch.round(torch.sqrt(target_area / aspect)).long()
    fits = (tw > 0) & (tw <= width) & (th > 0) & (th <= height)
    first = fits.long().argmax(dim=1, keepdim=True)  # first fitting attempt (0 when none fits)
    tw, th = tw.gather(1, first).squeeze(1), th.gather(1, first).squeeze(1)
    any_fit = fits.any(dim=1)
    # central fallback (mmpretrain: clip the image ratio into ``ratio``)
    in_ratio = width / height
    if in_ratio < min(ratio):
        fw, fh = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        fw, fh = int(round(height * max(ratio))), height
    else:
        fw, fh = width, height
    tw = torch.where(any_fit, tw, fw)
    th = torch.where(any_fit, th, fh)
    u = torch.rand(batch_size, 2, device=device, dtype=torch.float64)
    ox = torch.where(any_fit, (u[:, 0] * (width - tw + 1)).floor().long(), (width - fw) // 2)
    oy = torch.where(any_fit, (u[:, 1] * (height - th + 1)).floor().long(), (height - fh) // 2)
    return torch.stack([ox, oy, ox + tw, oy + th], dim=1)


@BATCH_AUGMENTS.register_module()
class BatchRandomResizedCrop(BaseBatchAugment):
    """mmpretrain's ``RandomResizedCrop(scale=size, crop_ratio_range=scale, backend='pillow')`` on a batch.

    The boxes follow :func:`sample_crop_boxes`, the resize Pillow's bilinear filter (antialiased when shrinking),
    as :func:`~mmssl_ext.models.batch_augments.functional.resize.resized_crop` computes it. All images of the
    batch must have the same size (CIFAR, or views already cropped per image); for ImageNet-style data of mixed
    sizes keep the per-image ``RandomResizedCrop`` in the pipeline and batch the ops after it.

    Args:
        size (int | Sequence[int]): Output size, an int for square or (h, w). Defaults to 32.
        scale (Sequence[float]): Range of the crop area share (mmpretrain's ``crop_ratio_range``).
            Defaults to (0.08, 1.0).
        ratio (Sequence[float]): Range of the aspect ratio w / h (``aspect_ratio_range``).
            Defaults to (3 / 4, 4 / 3).
        max_attempts (int): Draws per sample before the central fallback. Defaults to 10.
    """

    def __init__(
        self,
        size: Union[int, Sequence[int]] = 32,
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        max_attempts: int = 10,
    ) -> None:
        super().__init__(1.0)
        size = (
            (size, size) if isinstance(size, int) and not isinstance(size, bool) else tuple(cast(Sequence[int], size))
        )
        if len(size) != 2 or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in size):
            raise ValueError(f'BatchRandomResizedCrop: size must be a positive int or (h, w), got {size!r}')
        self.size: Tuple[int, int] = size
        self.scale = check_range('BatchRandomResizedCrop', 'scale', scale, low=0.0, high=1.0)
        if self.scale[1] <= 0:
            raise ValueError(f'BatchRandomResizedCrop: scale must have max > 0, got {scale!r}')
        self.ratio = check_range('BatchRandomResizedCrop', 'ratio', ratio, low=1e-6)
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f'BatchRandomResizedCrop: max_attempts must be an int >= 1, got {max_attempts!r}')
        self.max_attempts = max_attempts

    def sample(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Draw ``'boxes'``, (B, 4) int64 ``(x0, y0, x1, y1)``; ``'apply'`` is all True."""
        b, _, h, w = img.shape
        boxes = sample_crop_boxes(b, h, w, self.scale, self.ratio, self.max_attempts, img.device)
        return {'apply': torch.ones(b, dtype=torch.bool, device=img.device), 'boxes': boxes}

    def apply(self, img: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Crop ``params['boxes']`` and resize to :attr:`size`."""
        return resized_crop(img, params['boxes'], self.size)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.size}, scale={self.scale}, ratio={self.ratio})'
