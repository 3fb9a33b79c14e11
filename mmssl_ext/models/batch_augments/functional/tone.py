# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched tone ops through per-value lookup tables: solarize, posterize, autocontrast and equalize (PIL ImageOps).

The conventions of :mod:`.color` hold (float32 ``(B, C, H, W)`` batches of integral values, ``(B,)`` parameters,
no device sync).
"""

import torch

from .color import _check_img, _per_sample

__all__ = ['solarize', 'posterize', 'autocontrast', 'equalize']

# For an integer 0 <= x < 2**23, the float32 2**23 + x has the int32 bits _FLOAT_INT_BITS + x.
_FLOAT_INT_BASE = float(1 << 23)
_FLOAT_INT_BITS = 0x4B000000


def solarize(img: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """Invert the pixels ``>= threshold``: PIL ``ImageOps.solarize(im, threshold)`` (= ``mmcv.solarize``), bit-exact.

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].
        threshold (torch.Tensor): ``(B,)`` thresholds; 0 inverts everything, 256 nothing.

    Returns:
        torch.Tensor: The solarized batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'solarize')
    threshold = _per_sample(threshold, 'threshold', 'solarize', img, torch.float32)
    # For integral x: x >= threshold iff x >= ceil(threshold) iff clamp(x - ceil(threshold) + 1, 0, 1) = 1, and the
    # result is |x - 255 m| for that 0 / 1 mask m.
    inverted = torch.sub(img, torch.ceil(threshold) - 1.0).clamp_(0.0, 1.0)
    return inverted.mul_(-255.0).add_(img).abs_()


def posterize(img: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Keep the ``bits`` high bits of each value: PIL ``ImageOps.posterize(im, bits)`` per sample (bit-exact).

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].
        bits (torch.Tensor): ``(B,)`` integer tensor (int64) of kept bits, in 1..8 (not checked).

    Returns:
        torch.Tensor: The posterized batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'posterize')
    if isinstance(bits, torch.Tensor) and (bits.is_floating_point() or bits.is_complex() or bits.dtype == torch.bool):
        raise ValueError(f'posterize: bits must be an integer tensor (torch.int64), got {bits.dtype}')
    bits = _per_sample(bits, 'bits', 'posterize', img, torch.int64)
    step = torch.bitwise_left_shift(torch.ones_like(bits), 8 - bits).to(img.dtype)
    return torch.div(img, step).floor_().mul_(step)


def _lut_index(img: torch.Tensor) -> torch.Tensor:
    """The int32 index ``x + 256 (b C + c)`` of each value ``x`` of a ``(B, C, H, W)`` batch, contiguous.

    For an integer ``0 <= x < 2**23`` the float32 ``x + 2**23`` has the int32 bits ``_FLOAT_INT_BITS + x``.
    """
    batch, channels = img.shape[:2]
    index = torch.add(img, _FLOAT_INT_BASE, out=torch.empty(img.shape, dtype=img.dtype, device=img.device))
    base = torch.arange(batch * channels, dtype=torch.int32, device=img.device).view(batch, channels, 1, 1)
    return index.view(torch.int32).add_(base * 256 - _FLOAT_INT_BITS)


def _apply_lut(index: torch.Tensor, lut: torch.Tensor) -> torch.Tensor:
    """Map each channel of each sample through its own table.

    ``lut`` is ``(B, C, 256)``, ``index`` the :func:`_lut_index` of the batch; returns the float32 ``(B, C, H, W)``
    result.
    """
    flat = lut.to(torch.float32).view(-1)
    return torch.index_select(flat, 0, index.view(-1)).view(index.shape)


def autocontrast(img: torch.Tensor) -> torch.Tensor:
    """Stretch each channel to [0, 255]: PIL ``ImageOps.autocontrast(im)`` (cutoff 0) per sample (bit-exact).

    Per channel, with ``lo``/``hi`` its minimum/maximum, PIL maps ``x`` to ``int(x * scale + offset)`` clipped to
    [0, 255], with ``scale = 255.0 / (hi - lo)`` and ``offset = -lo * scale`` in double; a constant channel is left
    unchanged. The same double operations build a per-channel table, applied with a gather.

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].

    Returns:
        torch.Tensor: The stretched batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'autocontrast')
    if img.numel() == 0:
        return img.clone()
    lo = img.amin(dim=(2, 3)).to(torch.float64).unsqueeze(-1)
    hi = img.amax(dim=(2, 3)).to(torch.float64).unsqueeze(-1)
    # A tensor numerator: ``255.0 / t`` would be ``255.0 * t.reciprocal()``, not an IEEE division. A constant channel
    # gets scale 1 and offset 0, i.e. the identity table.
    stretch = hi > lo
    scale = torch.where(stretch, torch.div(torch.full_like(lo, 255.0), torch.where(stretch, hi - lo, 1.0)), 1.0)
    offset = torch.where(stretch, -lo * scale, 0.0)
    values = torch.arange(256, dtype=torch.float64, device=img.device)
    lut = torch.mul(values, scale).add_(offset).trunc_().clamp_(0.0, 255.0)
    return _apply_lut(_lut_index(img), lut)


def equalize(img: torch.Tensor) -> torch.Tensor:
    """Equalize each channel's histogram: PIL ``ImageOps.equalize(im)`` per sample (bit-exact).

    PIL's algorithm per channel with histogram ``h`` of ``n`` pixels and maximum value ``m``: ``step = (n - h[m]) //
    255``; if ``step == 0`` (which includes a constant channel) the channel is unchanged, else value ``i`` maps to
    ``(step // 2 + sum(h[:i])) // step``, clipped to 255 by ``Image.point``. All in exact integer arithmetic.

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].

    Returns:
        torch.Tensor: The equalized batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'equalize')
    if img.numel() == 0:
        return img.clone()
    batch, channels, height, width = img.shape
    index = _lut_index(img)
    hist = torch.zeros(batch * channels * 256, dtype=torch.int32, device=img.device)
    hist.index_add_(0, index.view(-1), torch.ones(1, dtype=torch.int32, device=img.device).expand(index.numel()))
    # The table in float64: integers below 2**53 are exact, and so is floor(a / b) of two of them with a tensor
    # divisor (an IEEE division: the quotient is at least 1 / b from the next integer, far more than the rounding
    # error); step / 2 is exact.
    hist = hist.view(batch, channels, 256)
    top = img.amax(dim=(2, 3)).to(torch.int64).unsqueeze(-1)
    step = torch.div(height * width - hist.gather(2, top).to(torch.int64), 255, rounding_mode='floor')
    step = step.to(torch.float64)
    hist = hist.to(torch.float64)
    equalized = (step > 0).to(torch.float64)
    below = torch.cumsum(hist, dim=2).sub_(hist)
    lut = below.add_(torch.floor(step / 2.0)).div_(step.clamp(min=1.0)).floor_().clamp_(max=255.0)
    # Channels with step 0 keep their values.
    identity = torch.arange(256, dtype=torch.float64, device=img.device)
    lut = lut.sub_(identity).mul_(equalized).add_(identity)
    return _apply_lut(index, lut)
