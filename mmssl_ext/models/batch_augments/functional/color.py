# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched photometric blends (brightness, contrast, saturation, sharpness) and grayscale, bit-exact to PIL / mmcv.

The hue rotation is in :mod:`.hue`, the lookup-table ops (solarize, posterize, autocontrast, equalize) in
:mod:`.tone`; the conventions below hold for all of them.

Every op takes and returns a ``torch.float32`` batch ``(B, C, H, W)`` of integral values in ``[0, 255]`` (a uint8
image cast to float, RGB channel order) and reproduces, sample by sample, the uint8 result of the per-image op named
in its docstring, including the way PIL's C code rounds and clips. Per-sample parameters are ``(B,)`` tensors.

The ops are vectorised over the batch and never synchronise with the device: they contain no Python loop over
samples and never read a tensor value on the host. For this reason parameter *values* are not range-checked (only
their shapes); the documented ranges are the caller's responsibility.

Exactness relies on evaluating PIL's float expressions with the same IEEE operations in the same order (one torch
op per C operation, float32 where the C code uses ``float`` and float64 where it uses ``double``), either per pixel
or once per possible value into a lookup table; steps that only involve integers (below 2**24 in float32) are
evaluated in whatever way is fastest, in uint8 / int32 arithmetic included. Do not run these ops under a compiler
that fuses multiply-adds (e.g. ``torch.compile``), which would change the rounding of the float steps.

For speed on the CPU the ops avoid float64 per pixel, work in place on the tensors they create and use uint8
arithmetic and small lookup tables where the result is exact (see :func:`.hue.adjust_hue`).
"""

from collections import abc
from typing import Optional, Sequence

import torch

__all__ = [
    'adjust_brightness',
    'adjust_contrast',
    'adjust_saturation',
    'adjust_sharpness',
    'to_grayscale',
]

# PIL's RGB -> L conversion: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16 (ITU-R 601-2 luma in 16-bit fixed point).
_L_WEIGHTS = (19595.0, 38470.0, 7471.0)
_L_ROUND = 32768.0
_L_SHIFT = 65536.0


def _check_img(img: torch.Tensor, op: str, channels: Sequence[int] = (1, 3)) -> None:
    """Raise ValueError unless ``img`` is a float32 ``(B, C, H, W)`` tensor with C in ``channels``."""
    if not isinstance(img, torch.Tensor) or img.dim() != 4:
        shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        raise ValueError(f'{op}: img must be a (B, C, H, W) tensor, got {shape}')
    if img.dtype != torch.float32:
        raise ValueError(f'{op}: img must have dtype torch.float32, got {img.dtype}')
    if img.shape[1] not in channels:
        raise ValueError(f'{op}: img must have C in {tuple(channels)} channels, got C={img.shape[1]}')


def _per_sample(param: torch.Tensor, name: str, op: str, img: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Check that ``param`` is a ``(B,)`` tensor and return it as ``(B, 1, 1, 1)`` of ``dtype`` on ``img.device``."""
    batch = img.shape[0]
    if not isinstance(param, torch.Tensor) or param.shape != (batch,):
        shape = tuple(param.shape) if isinstance(param, torch.Tensor) else type(param).__name__
        raise ValueError(f'{op}: {name} must be a tensor of shape (B,) = ({batch},), got {shape}')
    return param.to(device=img.device, dtype=dtype).view(batch, 1, 1, 1)


def _blend(
    degenerate: torch.Tensor, img: torch.Tensor, factor: torch.Tensor, out: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """PIL's ``Image.blend(degenerate, img, factor)`` on uint8 data.

    The C code computes ``degenerate + factor * (img - degenerate)`` in float32 and truncates toward zero, clipping to
    [0, 255] (truncation equals floor once the negative values are clipped to 0). Evaluated with the same float32
    operations, in place on one new tensor.

    Args:
        degenerate (torch.Tensor): The image at factor 0, broadcastable to ``img``.
        img (torch.Tensor): The image at factor 1, ``(B, C, H, W)``.
        factor (torch.Tensor): ``(B, 1, 1, 1)`` float32 blend factors.
        out (torch.Tensor, optional): The ``(B, C, H, W)`` float32 tensor to write the result to; it may not overlap
            ``degenerate`` or ``img``. Defaults to None (a new tensor).

    Returns:
        torch.Tensor: The blended image, ``(B, C, H, W)`` float32.
    """
    return torch.sub(img, degenerate, out=out).mul_(factor).add_(degenerate).floor_().clamp_(0.0, 255.0)


def _luma(img: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """PIL's 'L' conversion of an RGB batch, ``(B, 1, H, W)``, written to ``out`` if given (of that shape).

    All intermediate values are integers below 2**24, so float32 evaluates the fixed-point formula exactly (in any
    order, fused multiply-adds included); the division by 2**16 is exact too.
    """
    r, g, b = img.unbind(1)
    weighted = torch.mul(r, _L_WEIGHTS[0], out=None if out is None else out.squeeze(1))
    weighted.add_(g, alpha=_L_WEIGHTS[1]).add_(b, alpha=_L_WEIGHTS[2])
    return weighted.add_(_L_ROUND).mul_(1.0 / _L_SHIFT).floor_().unsqueeze(1)


def adjust_brightness(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Scale the brightness: PIL ``ImageEnhance.Brightness(im).enhance(factor)`` per sample (bit-exact).

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].
        factor (torch.Tensor): ``(B,)`` enhance factors (any real value; 0 gives black, 1 the input).

    Returns:
        torch.Tensor: The adjusted batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'adjust_brightness')
    factor = _per_sample(factor, 'factor', 'adjust_brightness', img, torch.float32)
    # The blend with a black image: 0 + factor * (img - 0) is exactly factor * img.
    return torch.mul(img, factor).floor_().clamp_(0.0, 255.0)


def adjust_contrast(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Scale the contrast: PIL ``ImageEnhance.Contrast(im).enhance(factor)`` per sample (bit-exact).

    PIL blends with a constant grey image whose value is the mean of the image's 'L' conversion rounded half up
    (``int(mean + 0.5)``); it is computed here exactly in integer arithmetic (the sum of the integral luma values is
    exact in float64).

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].
        factor (torch.Tensor): ``(B,)`` enhance factors (any real value; 0 gives the mean grey, 1 the input).

    Returns:
        torch.Tensor: The adjusted batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'adjust_contrast')
    factor = _per_sample(factor, 'factor', 'adjust_contrast', img, torch.float32)
    out = torch.empty_like(img, memory_format=torch.contiguous_format)
    luma = img if img.shape[1] == 1 else _luma(img, out=out[:, :1])  # the output buffer as scratch
    luma_sum = luma.sum(dim=(1, 2, 3), keepdim=True, dtype=torch.float64).to(torch.int64)
    count = img.shape[2] * img.shape[3]
    mean = torch.div(2 * luma_sum + count, 2 * count, rounding_mode='floor').to(img.dtype)
    return _blend(mean, img, factor, out=out)


def adjust_saturation(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Scale the saturation: PIL ``ImageEnhance.Color(im).enhance(factor)`` per sample (bit-exact).

    PIL blends with the image's 'L' conversion (the same grey in all three channels).

    Args:
        img (torch.Tensor): ``(B, 3, H, W)`` float32 RGB batch, integral values in [0, 255].
        factor (torch.Tensor): ``(B,)`` enhance factors (any real value; 0 gives greyscale, 1 the input).

    Returns:
        torch.Tensor: The adjusted batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'adjust_saturation', channels=(3,))
    factor = _per_sample(factor, 'factor', 'adjust_saturation', img, torch.float32)
    return _blend(_luma(img), img, factor)


def adjust_sharpness(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Scale the sharpness: PIL ``ImageEnhance.Sharpness(im).enhance(factor)`` per sample (bit-exact).

    PIL blends with the image filtered by ``ImageFilter.SMOOTH`` (3x3 kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13,
    interior rounded half up, the one-pixel border copied from the input), so the border is unchanged for any factor;
    an image narrower or shorter than 3 pixels is returned unchanged. The smoothed interior is ``floor((sum + 6.5) /
    13)``, never within 1/26 of an integer before the floor, so float32 (with a multiplication by 1/13) gives PIL's
    value; the blend is :func:`_blend`'s, on the interior of a copy of the input.

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].
        factor (torch.Tensor): ``(B,)`` enhance factors (any real value; 0 gives the smoothed image, 1 the input).

    Returns:
        torch.Tensor: The adjusted batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'adjust_sharpness')
    factor = _per_sample(factor, 'factor', 'adjust_sharpness', img, torch.float32)
    if img.shape[2] < 3 or img.shape[3] < 3:
        return img.clone(memory_format=torch.contiguous_format)
    out = torch.empty_like(img, memory_format=torch.contiguous_format)
    # Column sums of 3 rows, in the output buffer (as scratch), then the 3x3 sums.
    rows = torch.add(img[:, :, :-2], img[:, :, 1:-1], out=out[:, :, :-2]).add_(img[:, :, 2:])
    centre = img[:, :, 1:-1, 1:-1]
    smooth = torch.add(rows[..., :-2], rows[..., 1:-1]).add_(rows[..., 2:]).add_(centre, alpha=4.0)
    smooth.add_(6.5).mul_(1.0 / 13.0).floor_()
    interior = out[:, :, 1:-1, 1:-1]
    torch.sub(centre, smooth, out=interior).mul_(factor).add_(smooth).floor_().clamp_(0.0, 255.0)
    height, width = img.shape[2:]
    out[:, :, :: height - 1] = img[:, :, :: height - 1]  # the first and last rows
    out[:, :, 1:-1, :: width - 1] = img[:, :, 1:-1, :: width - 1]  # and columns
    return out


def _check_weights(weights: Sequence[float]) -> None:
    """Raise ValueError unless ``weights`` are 3 non-negative numbers with a positive sum."""
    if (
        not isinstance(weights, abc.Sequence)
        or len(weights) != 3
        or any(isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 for w in weights)
        or sum(weights) <= 0
    ):
        raise ValueError(
            f'to_grayscale: weights must be 3 non-negative numbers (R, G, B) with a positive sum, got {weights!r}'
        )


def to_grayscale(img: torch.Tensor, weights: Sequence[float] = (0.2989, 0.587, 0.114)) -> torch.Tensor:
    """Weighted grey in all 3 channels: mmcv ``RandomGrayscale(prob=1, keep_channels=True, channel_weights=w)``.

    mmcv works on the BGR image with BGR ``channel_weights``, i.e. ``w = weights[::-1]``: it normalises the weights
    by their (Python) sum, sums ``B w0 + G w1 + R w2`` in float64 in that order and truncates to uint8. The same
    float64 operations are evaluated here, so the result is bit-exact.

    Args:
        img (torch.Tensor): ``(B, 3, H, W)`` float32 RGB batch, integral values in [0, 255].
        weights (Sequence[float]): R, G and B weights (normalised by their sum). Defaults to
            (0.2989, 0.587, 0.114).

    Returns:
        torch.Tensor: ``(B, 3, H, W)`` float32, the grey value repeated in the 3 channels.
    """
    _check_img(img, 'to_grayscale', channels=(3,))
    _check_weights(weights)
    bgr_weights = [float(w) for w in reversed(weights)]
    total = sum(bgr_weights)
    wb, wg, wr = (w / total for w in bgr_weights)
    r, g, b = img.unbind(1)
    grey = b.to(torch.float64).mul_(wb)
    term = g.to(torch.float64).mul_(wg)
    grey.add_(term).add_(term.copy_(r).mul_(wr)).trunc_().clamp_(0.0, 255.0)
    out = torch.empty(img.shape, dtype=img.dtype, device=img.device)
    return out.copy_(grey.unsqueeze(1).expand(-1, 3, -1, -1))
