# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched photometric ops, bit-exact to the per-image PIL / mmcv references.

Every op takes and returns a ``torch.float32`` batch ``(B, C, H, W)`` of integral values in ``[0, 255]`` (a uint8
image cast to float, RGB channel order) and reproduces, sample by sample, the uint8 result of the per-image op named
in its docstring, including the way PIL's C code rounds and clips. Per-sample parameters are ``(B,)`` tensors.

The ops are vectorised over the batch and never synchronise with the device: they contain no Python loop over
samples and never read a tensor value on the host. For this reason parameter *values* are not range-checked (only
their shapes); the documented ranges are the caller's responsibility.

Exactness relies on evaluating PIL's float expressions with the same IEEE operations in the same order (one torch
op per C operation, float32 where the C code uses ``float`` and float64 where it uses ``double``). Do not run these
ops under a compiler that fuses multiply-adds (e.g. ``torch.compile``), which would change the rounding.
"""

import functools
from collections import abc
from typing import Sequence, Tuple

import torch

__all__ = [
    'adjust_brightness',
    'adjust_contrast',
    'adjust_saturation',
    'adjust_sharpness',
    'adjust_hue',
    'to_grayscale',
    'solarize',
    'posterize',
    'autocontrast',
    'equalize',
]

# PIL's RGB -> L conversion: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16 (ITU-R 601-2 luma in 16-bit fixed point).
_L_WEIGHTS = (19595.0, 38470.0, 7471.0)
_L_ROUND = 32768.0
_L_SHIFT = 65536.0

# For each HSV sector i = floor(6 h / 255), which of the candidates (v, mid, p) = (0, 1, 2) PIL's hsv2rgb writes to
# R, G and B (mid is t in the even sectors and q in the odd ones).
_HSV_SECTOR_ROLES = ((0, 1, 2), (1, 0, 2), (2, 0, 1), (2, 1, 0), (1, 2, 0), (0, 2, 1))


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


def _blend(degenerate: torch.Tensor, img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """PIL's ``Image.blend(degenerate, img, factor)`` on uint8 data.

    The C code computes ``degenerate + factor * (img - degenerate)`` in float32 and truncates toward zero, clipping to
    [0, 255] (truncation equals floor once the negative values are clipped to 0).

    Args:
        degenerate (torch.Tensor): The image at factor 0, broadcastable to ``img``.
        img (torch.Tensor): The image at factor 1, ``(B, C, H, W)``.
        factor (torch.Tensor): ``(B, 1, 1, 1)`` float32 blend factors.

    Returns:
        torch.Tensor: The blended image, ``(B, C, H, W)`` float32.
    """
    return torch.floor(degenerate + factor * (img - degenerate)).clamp_(0.0, 255.0)


def _luma(img: torch.Tensor) -> torch.Tensor:
    """PIL's 'L' conversion of an RGB batch, ``(B, 1, H, W)``; a one-channel batch is returned as is.

    All intermediate values are integers below 2**24, so float32 evaluates the fixed-point formula exactly.
    """
    if img.shape[1] == 1:
        return img
    r, g, b = img.unbind(1)
    weighted = r * _L_WEIGHTS[0] + g * _L_WEIGHTS[1] + b * _L_WEIGHTS[2] + _L_ROUND
    return torch.floor(weighted / _L_SHIFT).unsqueeze(1)


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
    return torch.floor(factor * img).clamp_(0.0, 255.0)


def adjust_contrast(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Scale the contrast: PIL ``ImageEnhance.Contrast(im).enhance(factor)`` per sample (bit-exact).

    PIL blends with a constant grey image whose value is the mean of the image's 'L' conversion rounded half up
    (``int(mean + 0.5)``); it is computed here exactly in integer arithmetic.

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].
        factor (torch.Tensor): ``(B,)`` enhance factors (any real value; 0 gives the mean grey, 1 the input).

    Returns:
        torch.Tensor: The adjusted batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'adjust_contrast')
    factor = _per_sample(factor, 'factor', 'adjust_contrast', img, torch.float32)
    luma_sum = _luma(img).to(torch.int64).sum(dim=(1, 2, 3), keepdim=True)
    count = img.shape[2] * img.shape[3]
    mean = torch.div(2 * luma_sum + count, 2 * count, rounding_mode='floor').to(img.dtype)
    return _blend(mean, img, factor)


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


def _smooth(img: torch.Tensor) -> torch.Tensor:
    """PIL's ``ImageFilter.SMOOTH`` (3x3 kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13).

    PIL rounds the interior half up and copies the one-pixel border from the input. ``sum / 13 + 0.5`` is never
    within 1/26 of an integer, so ``floor((2 sum + 13) / 26)`` in float32 equals PIL's float32 result exactly.
    """
    out = img.clone()
    if img.shape[2] < 3 or img.shape[3] < 3:
        return out
    rows = img[:, :, :-2] + img[:, :, 1:-1] + img[:, :, 2:]
    box = rows[..., :-2] + rows[..., 1:-1] + rows[..., 2:]
    total = box.add_(img[:, :, 1:-1, 1:-1], alpha=4.0)
    out[:, :, 1:-1, 1:-1] = total.mul_(2.0).add_(13.0).div_(26.0).floor_()
    return out


def adjust_sharpness(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Scale the sharpness: PIL ``ImageEnhance.Sharpness(im).enhance(factor)`` per sample (bit-exact).

    PIL blends with the image filtered by ``ImageFilter.SMOOTH``, whose border pixels are the input's, so the
    border is unchanged for any factor; an image narrower or shorter than 3 pixels is returned unchanged.

    Args:
        img (torch.Tensor): ``(B, C, H, W)`` float32 batch, C in {1, 3}, integral values in [0, 255].
        factor (torch.Tensor): ``(B,)`` enhance factors (any real value; 0 gives the smoothed image, 1 the input).

    Returns:
        torch.Tensor: The adjusted batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'adjust_sharpness')
    factor = _per_sample(factor, 'factor', 'adjust_sharpness', img, torch.float32)
    return _blend(_smooth(img), img, factor)


def _pil_rgb_to_hs(r: torch.Tensor, g: torch.Tensor, b: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """The uint8 H and S bands of PIL's ``convert('HSV')`` for float32 R, G, B (V is the maximum).

    Follows PIL's ``rgb2hsv_row`` operation by operation: float32 channel ratios, the green/blue-maximum hue offsets
    and ``fmod(h / 6 + 1, 1)`` in double stored back to float, and ``(int)(x * 255.0)`` in double.
    """
    f64, f32 = torch.float64, torch.float32
    maxc = torch.maximum(torch.maximum(r, g), b)
    minc = torch.minimum(torch.minimum(r, g), b)
    grey = maxc == minc
    chroma = torch.where(grey, 1.0, maxc - minc)
    sat = chroma / torch.where(maxc == 0, 1.0, maxc)
    rc, gc, bc = (maxc - r) / chroma, (maxc - g) / chroma, (maxc - b) / chroma
    hue_g = ((2.0 + rc.to(f64)) - bc.to(f64)).to(f32)
    hue_b = ((4.0 + gc.to(f64)) - rc.to(f64)).to(f32)
    hue = torch.where(r == maxc, bc - gc, torch.where(g == maxc, hue_g, hue_b))
    hue = torch.fmod(hue.to(f64) / 6.0 + 1.0, 1.0).to(f32)
    hue8 = torch.trunc(hue.to(f64) * 255.0).clamp_(0.0, 255.0).to(f32)
    sat8 = torch.trunc(sat.to(f64) * 255.0).clamp_(0.0, 255.0).to(f32)
    return torch.where(grey, 0.0, hue8), torch.where(grey, 0.0, sat8)


@functools.cache
def _rgb_to_hs_tables(device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
    """Lookup tables of PIL's RGB -> H, S conversion, float32 on ``device``.

    PIL's hue depends only on which channel is the maximum (R first, then G, then B: ``case``), the chroma ``c =
    max - min`` and the signed difference ``d`` of the other two channels (``b - g``, ``r - b`` or ``g - r``), through
    float operations on ``max - channel`` values; the saturation only on ``c`` and ``max``. The hue table is indexed
    by ``case * 256 * 511 + c * 511 + d + 255`` and the saturation table by ``c * 256 + max``; each entry is PIL's
    result for one pixel with these values (entries no pixel reaches are filled with some valid pixel's value).
    The tables are computed on the CPU (where dividing by a Python scalar is an IEEE division) and then moved.
    """
    chroma = torch.arange(256.0).view(256, 1)
    diff = torch.arange(-255.0, 256.0).view(1, 511)
    diff = torch.minimum(torch.maximum(diff, -chroma), chroma)
    low = 255.0 - chroma
    top = torch.full_like(diff, 255.0)
    first, second = low + diff.clamp(min=0.0), low + (-diff).clamp(min=0.0)
    cases = (
        _pil_rgb_to_hs(top, second, first)[0],  # R max: d = b - g
        _pil_rgb_to_hs(first, top, second)[0],  # G max: d = r - b
        _pil_rgb_to_hs(second, first, top)[0],  # B max: d = g - r
    )
    hue_table = torch.stack(cases).reshape(-1)
    top = torch.arange(256.0).view(1, 256)
    low = (top - chroma).clamp(min=0.0)
    sat_table = _pil_rgb_to_hs(top.expand(256, 256), low, low)[1].reshape(-1)
    return hue_table.to(device), sat_table.to(device)


def _rgb_to_hsv(img: torch.Tensor) -> torch.Tensor:
    """PIL's ``convert('HSV')`` of an RGB batch, ``(B, 3, H, W)`` float32 holding the uint8 H, S, V bands.

    Equal to :func:`_pil_rgb_to_hs` (checked for all 2**24 colours), through :func:`_rgb_to_hs_tables`.
    """
    hue_table, sat_table = _rgb_to_hs_tables(img.device)
    r, g, b = img.unbind(1)
    maxc = torch.maximum(torch.maximum(r, g), b)
    chroma = maxc - torch.minimum(torch.minimum(r, g), b)
    key = torch.where(r == maxc, b - g, torch.where(g == maxc, (r - b) + 256.0 * 511.0, (g - r) + 512.0 * 511.0))
    hue = hue_table.take(torch.add(key + 255.0, chroma, alpha=511.0).to(torch.int64))
    sat = sat_table.take(torch.add(maxc, chroma, alpha=256.0).to(torch.int64))
    return torch.stack([hue, sat, maxc], dim=1)


@functools.cache
def _hsv_to_rgb_tables(device: torch.device) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Lookup tables of PIL's ``hsv2rgb``: the ``(mid, low, roles)`` tables on ``device``.

    PIL computes, with ``i = floor(6 h / 255)``, ``f = 6 h / 255 - i`` (stored as float) and ``fs = s / 255``
    (float), the candidates ``p = round(v (1 - fs))``, ``q = round(v (1 - fs * f))`` (``fs * f`` in float) and
    ``t = round(v (1 - fs (1 - f)))`` in double, and writes (v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v) or
    (v, p, q) for ``i`` = 0..5. Each sector uses exactly one of ``q``/``t`` (the "mid" value), ``t`` for even ``i``.

    Returns:
        tuple: ``mid`` (float64, ``h * 256 + s`` -> the double factor of ``v`` in the mid value), ``low`` (float32,
        ``s * 256 + v`` -> ``p``) and ``roles`` (int64 ``(256, 3)``, ``h`` -> the candidate index, 0 = v, 1 = mid,
        2 = p, of R, G and B). Computed on the CPU, then moved to ``device``.
    """
    f64, f32 = torch.float64, torch.float32
    h = torch.arange(256.0).view(256, 1)
    s = torch.arange(256.0).view(1, 256)
    h6 = h.to(f64) * 6.0 / 255.0
    sector = torch.floor(h6)
    frac = (h6 - sector).to(f32)
    fs = (s.to(f64) / 255.0).to(f32)
    mid_q = 1.0 - (fs * frac).to(f64)
    mid_t = 1.0 - fs.to(f64) * (1.0 - frac.to(f64))
    mid = torch.where(sector.remainder(2) == 0, mid_t, mid_q).reshape(-1)
    v = torch.arange(256.0, dtype=f64).view(1, 256)
    low = torch.floor(v * (1.0 - fs.view(256, 1).to(f64)) + 0.5).clamp_(0.0, 255.0).to(f32).reshape(-1)
    roles = torch.tensor(_HSV_SECTOR_ROLES, dtype=torch.int64)[sector.view(-1).to(torch.int64) % 6]
    return mid.to(device), low.to(device), roles.to(device)


def _hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """PIL's ``convert('RGB')`` of an HSV batch (uint8 bands in float32), ``(B, 3, H, W)``.

    Evaluates PIL's ``hsv2rgb`` through :func:`_hsv_to_rgb_tables` (checked equal to PIL for all 2**24 HSV
    triples). A zero saturation needs no special case: then ``p``, ``q`` and ``t`` all equal ``v``.
    """
    mid_table, low_table, roles = _hsv_to_rgb_tables(hsv.device)
    h, s, v = hsv.unbind(1)
    hue = h.to(torch.int64)
    factor = mid_table.take(torch.add(s.to(torch.int64), hue, alpha=256))
    mid = torch.floor(v.to(torch.float64) * factor + 0.5).to(hsv.dtype)
    low = low_table.take(torch.add(v, s, alpha=256.0).to(torch.int64))
    return torch.stack([v, mid, low], dim=1).gather(1, roles[hue].movedim(-1, 1))


def adjust_hue(img: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate the hue: ``mmcv.adjust_hue(bgr_img, shift, backend='pillow')`` per sample (bit-exact).

    mmcv converts to PIL 'HSV', adds ``uint8(shift * 255)`` to the hue band with uint8 wrap-around and converts
    back. The rotation is ``int(shift * 255) % 256`` (truncation toward zero, then wrap), as in mmcv on numpy 1 and in
    the numpy-2-safe :func:`mmssl_ext.utils.compat.adjust_hue` (mmcv 2.1.0 itself raises ``OverflowError`` on
    numpy 2 for negative shifts). Shifts are meant to lie in [-0.5, 0.5] (not checked).

    Args:
        img (torch.Tensor): ``(B, 3, H, W)`` float32 RGB batch, integral values in [0, 255].
        shift (torch.Tensor): ``(B,)`` hue shifts in turns, in [-0.5, 0.5].

    Returns:
        torch.Tensor: The hue-rotated batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'adjust_hue', channels=(3,))
    shift = _per_sample(shift, 'shift', 'adjust_hue', img, torch.float32)
    rotation = torch.remainder(torch.trunc(shift.to(torch.float64) * 255.0), 256.0).to(img.dtype)
    hsv = _rgb_to_hsv(img)
    hue = torch.remainder(hsv[:, :1] + rotation, 256.0)
    return _hsv_to_rgb(torch.cat([hue, hsv[:, 1:]], dim=1))


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
    r, g, b = img.to(torch.float64).unbind(1)
    grey = torch.trunc((b * wb + g * wg) + r * wr).clamp_(0.0, 255.0).to(img.dtype)
    return grey.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()


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
    return torch.where(img >= threshold, 255.0 - img, img)


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
    return torch.floor(img / step) * step


def _apply_lut(img: torch.Tensor, lut: torch.Tensor) -> torch.Tensor:
    """Map each channel of each sample through its own table: ``lut`` is ``(B, C, 256)``."""
    batch, channels, height, width = img.shape
    index = img.to(torch.int64).reshape(batch, channels, height * width)
    return lut.to(img.dtype).gather(2, index).view(batch, channels, height, width)


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
    # A tensor numerator: ``255.0 / t`` would be ``255.0 * t.reciprocal()``, not an IEEE division.
    scale = torch.div(torch.full_like(lo, 255.0), torch.where(hi > lo, hi - lo, 1.0))
    offset = -lo * scale
    values = torch.arange(256, dtype=torch.float64, device=img.device)
    lut = torch.trunc(values * scale + offset).clamp_(0.0, 255.0)
    return _apply_lut(img, torch.where(hi > lo, lut, values))


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
    index = img.to(torch.int64).reshape(batch, channels, height * width)
    hist = torch.zeros(batch, channels, 256, dtype=torch.int64, device=img.device)
    hist.scatter_add_(2, index, torch.ones_like(index))
    top = index.amax(dim=2, keepdim=True)
    step = torch.div(height * width - hist.gather(2, top), 255, rounding_mode='floor')
    below = torch.cumsum(hist, dim=2) - hist
    safe_step = step.clamp(min=1)
    lut = torch.div(torch.div(step, 2, rounding_mode='floor') + below, safe_step, rounding_mode='floor').clamp_(max=255)
    identity = torch.arange(256, dtype=torch.int64, device=img.device)
    lut = torch.where(step > 0, lut, identity)
    return _apply_lut(img, lut)
