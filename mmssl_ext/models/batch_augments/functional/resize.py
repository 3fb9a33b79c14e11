# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched crop + resize, pixel for pixel ``mmcv.imresize(mmcv.imcrop(img, bbox), size, 'bilinear', backend='pillow')``.

Pillow's separable antialiased bilinear resampling with its 22-bit fixed-point coefficients and its choice of pass
order, computed exactly in float64 (which holds every fixed-point sum exactly). Conventions as in :mod:`.geometry`;
only CPU tensors are read on the host (the box check and the per-sample pass order).
"""

import math
from typing import Sequence, Tuple

import torch

from .geometry import _check_img

__all__ = ['resized_crop']

# Pillow's Resample.c: 8-bit images use integer coefficients scaled by 1 << PRECISION_BITS.
_PRECISION_BITS = 22
_COEF_ONE = float(1 << _PRECISION_BITS)
_ROUND_HALF = float(1 << (_PRECISION_BITS - 1))


def _check_size(size: Sequence[int]) -> Tuple[int, int]:
    """Check that ``size`` is a pair of positive ints ``(out_h, out_w)``."""
    ok = isinstance(size, (tuple, list)) and len(size) == 2
    ok = ok and all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)
    if not ok:
        raise ValueError(f'resized_crop: size must be a pair of positive ints (out_h, out_w), got {size!r}')
    return int(size[0]), int(size[1])


def _check_boxes(boxes: torch.Tensor, b: int, h: int, w: int) -> None:
    """Check the shape and dtype of ``boxes``, and on CPU that every box is non-empty and inside the image."""
    if not isinstance(boxes, torch.Tensor) or tuple(boxes.shape) != (b, 4):
        got = tuple(boxes.shape) if isinstance(boxes, torch.Tensor) else type(boxes).__name__
        raise ValueError(f'resized_crop: boxes must be a tensor of shape ({b}, 4), got {got}')
    if boxes.is_floating_point() or boxes.is_complex() or boxes.dtype == torch.bool:
        raise ValueError(f'resized_crop: boxes must be an integer tensor, got dtype {boxes.dtype}')
    if boxes.device.type != 'cpu':
        return  # reading the values on the host would synchronise with the device
    x0, y0, x1, y1 = boxes.long().unbind(1)
    inside = (x0 >= 0) & (y0 >= 0) & (x1 > x0) & (y1 > y0) & (x1 <= w) & (y1 <= h)
    if not bool(inside.all()):
        bad = boxes[~inside][0].tolist()
        raise ValueError(
            f'resized_crop: boxes must satisfy 0 <= x0 < x1 <= {w} and 0 <= y0 < y1 <= {h} (end exclusive), '
            f'got {bad}'
        )


def _bilinear_weights(start: torch.Tensor, length: torch.Tensor, out_size: int, in_size: int) -> torch.Tensor:
    """Pillow's ``precompute_coeffs`` + ``normalize_coeffs_8bpc`` for the bilinear filter, per sample.

    Args:
        start (torch.Tensor): (B,) int64 first pixel of the crop along the axis.
        length (torch.Tensor): (B,) int64 crop length along the axis (Pillow's input size).
        out_size (int): Output length.
        in_size (int): Image size along the axis, which bounds ``start + length``.

    Returns:
        torch.Tensor: (B, out_size, in_size) float64 integer coefficients (scaled by ``1 << 22``), zero outside
        each output pixel's taps, hence outside the crop.
    """
    f64 = torch.float64
    ksize = int(math.ceil(max(in_size / out_size, 1.0))) * 2 + 1  # Pillow's ksize for the largest crop
    scale = length.to(f64) / out_size
    filterscale = torch.clamp(scale, min=1.0)
    support = filterscale  # the bilinear support 1.0 times the filter scale
    ss = 1.0 / filterscale
    center = (torch.arange(out_size, dtype=f64, device=start.device) + 0.5)[None, :] * scale[:, None]
    # C's (int) truncation equals floor here: a negative xmin is clamped to 0 and xmax is positive
    xmin = torch.clamp(torch.floor(center - support[:, None] + 0.5), min=0.0)
    xmax = torch.minimum(torch.floor(center + support[:, None] + 0.5), length.to(f64)[:, None]) - xmin
    taps = torch.arange(ksize, dtype=f64, device=start.device)
    pos = xmin[..., None] + taps  # Pillow's x + xmin, an exact integer
    dist = torch.abs(((pos - center[..., None]) + 0.5) * ss[:, None, None])
    weight = torch.where((taps < xmax[..., None]) & (dist < 1.0), 1.0 - dist, torch.zeros_like(dist))
    total = torch.zeros_like(center)
    for k in range(ksize):  # Pillow sums the weights left to right; keep its rounding
        total = total + weight[..., k]
    norm = weight / torch.where(total != 0.0, total, torch.ones_like(total))[..., None]
    coef = torch.floor(norm * _COEF_ONE + 0.5)  # (int)(0.5 + k * (1 << 22)), k >= 0
    index = torch.clamp(pos.long() + start[:, None, None], 0, in_size - 1)  # unused taps have coef 0
    dense = torch.zeros(start.shape[0], out_size, in_size, dtype=f64, device=start.device)
    return dense.scatter_add_(2, index, coef)


def _round_pass(acc: torch.Tensor) -> torch.Tensor:
    """Pillow's ``clip8((1 << 21) + sum) = clip((1 << 21 + sum) >> 22, 0, 255)``, in place on exact sums."""
    return acc.add_(_ROUND_HALF).div_(_COEF_ONE).floor_().clamp_(0.0, 255.0)


def _horizontal_pass(x: torch.Tensor, weight_x: torch.Tensor) -> torch.Tensor:
    """(B, C, R, W) float64 -> (B, C, R, out_w): one batched matmul with the (B, out_w, W) coefficients."""
    b, c, r, w = x.shape
    acc = torch.bmm(x.reshape(b, c * r, w), weight_x.transpose(1, 2))
    return _round_pass(acc).view(b, c, r, weight_x.shape[1])


def _vertical_pass(x: torch.Tensor, weight_y: torch.Tensor) -> torch.Tensor:
    """(B, C, H, N) float64 -> (B, C, out_h, N): a batched matmul per channel (no copies of the coefficients)."""
    return _round_pass(torch.stack([torch.bmm(weight_y, x[:, i]) for i in range(x.shape[1])], dim=1))


def _two_pass(x: torch.Tensor, weight_x: torch.Tensor, weight_y: torch.Tensor, vertical_first: bool) -> torch.Tensor:
    """Both 8-bit passes in one order, as float64 matmuls: (B, C, H, W) -> (B, C, out_h, out_w).

    Every product and partial sum is an integer below 2 ** 53, so the matmuls are exact whatever their order of
    summation.
    """
    if vertical_first:
        return _horizontal_pass(_vertical_pass(x, weight_y), weight_x)
    return _vertical_pass(_horizontal_pass(x, weight_x), weight_y)


def _pass_order_select(
    img: torch.Tensor, weight_x: torch.Tensor, weight_y: torch.Tensor, vertical_first: torch.Tensor, split: bool
) -> torch.Tensor:
    """Run each sample of ``img`` in its own pass order; returns float64.

    With ``split`` (CPU tensors, where reading the mask costs no device sync) each order runs on its own samples
    only; otherwise both orders run on the whole batch and :func:`torch.where` keeps the right one.
    """
    f64 = torch.float64
    if not split:
        first_h = _two_pass(img.to(f64), weight_x, weight_y, False)
        first_v = _two_pass(img.to(f64), weight_x, weight_y, True)
        return torch.where(vertical_first[:, None, None, None], first_v, first_h)
    all_vertical = bool(vertical_first.all())
    if all_vertical or not bool(vertical_first.any()):  # one order for the whole batch (the usual case)
        return _two_pass(img.to(f64), weight_x, weight_y, all_vertical)
    b, c = img.shape[:2]
    out = img.new_empty((b, c, weight_y.shape[1], weight_x.shape[1]), dtype=f64)
    for order in (False, True):
        keep = vertical_first == order
        out[keep] = _two_pass(img[keep].to(f64), weight_x[keep], weight_y[keep], order)
    return out


def resized_crop(img: torch.Tensor, boxes: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Crop each sample to its box and resize it with Pillow's bilinear filter.

    Reproduces mmpretrain's ``RandomResizedCrop(..., backend='pillow')`` once the box is drawn, i.e. per sample
    ``mmcv.imresize(mmcv.imcrop(img, np.array([x0, y0, x1 - 1, y1 - 1])), (out_w, out_h),
    interpolation='bilinear', backend='pillow')``: mmcv's bbox is inclusive, ``boxes`` here is end exclusive, so
    the crop is ``img[..., y0:y1, x0:x1]``. Pillow's ``Image.resize(BILINEAR)`` is separable: a triangle filter
    whose support grows with the scale factor when shrinking (antialiasing), truncated at the crop edges and
    renormalised; coefficients are rounded to 22-bit fixed point; each pass is rounded and clipped to uint8.
    Pillow (>= 13) runs the vertical pass first when the crop height shrinks by more than twice the width
    shrink, ``crop_h - out_h > max(0, 2 (crop_w - out_w))``, else the horizontal pass first; that choice is
    made per sample here too. Everything runs in float64, which holds every fixed-point sum exactly, so the
    result is bit-exact.

    Boxes are checked (non-empty, inside the image) only for CPU tensors, since reading them from another device
    would synchronise; elsewhere an invalid box gives unspecified values.

    Args:
        img (torch.Tensor): (B, C, H, W) floating, integral values in [0, 255].
        boxes (torch.Tensor): (B, 4) integer ``(x0, y0, x1, y1)`` crop boxes in pixels, end exclusive, with
            ``0 <= x0 < x1 <= W`` and ``0 <= y0 < y1 <= H``.
        size (Tuple[int, int]): Output size ``(out_h, out_w)``.

    Returns:
        torch.Tensor: (B, C, out_h, out_w) of ``img.dtype``, integral values in [0, 255].
    """
    b, _, h, w = _check_img('resized_crop', img)
    out_h, out_w = _check_size(size)
    _check_boxes(boxes, b, h, w)
    boxes = boxes.to(device=img.device, dtype=torch.int64)
    x0, y0, x1, y1 = boxes.unbind(1)
    crop_w, crop_h = x1 - x0, y1 - y0
    weight_x = _bilinear_weights(x0, crop_w, out_w, w)
    weight_y = _bilinear_weights(y0, crop_h, out_h, h)
    vertical_first = (crop_h - out_h > 0) & (crop_h - out_h > 2 * (crop_w - out_w))
    out = _pass_order_select(img, weight_x, weight_y, vertical_first, img.device.type == 'cpu')
    return out.to(img.dtype)
