# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched photometric ops, bit-exact to the per-image PIL / mmcv references.

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
arithmetic and small lookup tables where the result is exact (see :func:`adjust_hue`).
"""

import functools
import sys
from collections import abc
from typing import Optional, Sequence, Tuple

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

# For an integer 0 <= x < 2**23, the float32 2**23 + x has the int32 bits _FLOAT_INT_BITS + x.
_FLOAT_INT_BASE = float(1 << 23)
_FLOAT_INT_BITS = 0x4B000000

# PIL's RGB -> L conversion: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16 (ITU-R 601-2 luma in 16-bit fixed point).
_L_WEIGHTS = (19595.0, 38470.0, 7471.0)
_L_ROUND = 32768.0
_L_SHIFT = 65536.0

# Fractional bits of the fixed-point factor of hsv2rgb's "mid" value (see _hsv_tables).
_MID_BITS = 23


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


# Byte positions of the least significant bytes of an int32, whose bytes are written one by one to build indices.
_BYTE = (0, 1, 2, 3) if sys.byteorder == 'little' else (3, 2, 1, 0)


def _bytes(words: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """The 4 byte planes of an int32 tensor (least significant first), uint8 views."""
    as_bytes = words.view(torch.uint8).view(*words.shape, 4)
    return tuple(as_bytes[..., k] for k in _BYTE)


def _hue_key(code: int, chroma: torch.Tensor, spread: torch.Tensor) -> Optional[Tuple[torch.Tensor, ...]]:
    """Pixels ``(r, g, b)`` (float32) of maximum 255, channel order ``code`` and the given max - min, mid - min.

    ``code`` is that of :func:`_rgb_to_hsv_u8`; ties keep its order (``>=`` holds with equality). Returns ``None``
    for the two impossible codes.
    """
    ge_rg, ge_gb, ge_rb = code & 1, code >> 1 & 1, code >> 2 & 1
    top = torch.full_like(chroma, 255.0)
    low = top - chroma
    mid = low + spread
    if ge_rg and ge_rb:  # R is PIL's maximum
        return (top, mid, low) if ge_gb else (top, low, mid)
    if not ge_rg and ge_gb:  # G is the maximum
        return (mid, top, low) if ge_rb else (low, top, mid)
    if (ge_rg and not ge_rb) or (not ge_rg and not ge_gb):  # B is the maximum
        return (mid, low, top) if ge_rg else (low, mid, top)
    return None


@functools.cache
def _hsv_tables(device: torch.device) -> Tuple[torch.Tensor, ...]:
    """Lookup tables of PIL's RGB <-> HSV conversions on ``device`` (computed on the CPU, then moved).

    PIL's hue depends only on which channel is the maximum (R first, then G, then B), the sign of the difference of
    the other two and, through float operations on ``max - channel`` values, on ``c = max - min`` and ``e = mid -
    min``: the channel order ``code = [r >= g] + 2 [g >= b] + 4 [r >= b]`` and ``(c, e)`` determine it. Its
    saturation depends on ``c`` and ``v = max``.

    ``hsv2rgb`` computes, with ``i = floor(6 h / 255)``, ``f = 6 h / 255 - i`` (float) and ``fs = s / 255`` (float),
    ``p = round(v (1 - fs))``, ``q = round(v (1 - fs * f))`` (``fs * f`` in float) and ``t = round(v (1 - fs (1 -
    f)))`` in double, and writes (v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v) or (v, p, q) for ``i = 0..5``
    (``i % 6``): one "mid" value, ``t`` for even ``i``, ``q`` for odd ones, equal to ``round(v K(h, s))`` with a
    double ``K``; ``(v K * 2**23 + 2**22) >> 23`` with ``K * 2**23`` rounded to an integer equals it for all ``h, s,
    v`` (checked when building the table) and fits in int32.

    Returns:
        tuple: ``hue`` (uint8, at ``code * 2**16 + c * 256 + e``), ``sat_low`` (int32 ``p + 256 s``, at ``c * 256 +
        v``), ``low`` (uint8 ``p``, at ``s * 256 + v``), ``mid`` (int32 fixed-point ``K``, at ``s * 256 + h``) and
        ``thresholds`` (uint8 ``(5, 1, 1, 1)``, the hues where the sector ``i`` steps up to 1..5).
    """
    f64, f32 = torch.float64, torch.float32
    chroma = torch.arange(256.0).view(256, 1).expand(256, 256)
    spread = torch.minimum(torch.arange(256.0).view(1, 256), chroma)
    hue = torch.zeros(8, 256, 256)
    for code in range(8):
        key = _hue_key(code, chroma, spread)
        if key is not None:
            hue[code] = _pil_rgb_to_hs(*key)[0]
    value = torch.arange(256.0).view(1, 256)
    low = (value - chroma).clamp(min=0.0)
    sat = _pil_rgb_to_hs(value.expand(256, 256), low, low)[1]  # [c, v]

    h = torch.arange(256.0, dtype=f64).view(256, 1)
    s = torch.arange(256.0, dtype=f64).view(1, 256)
    h6 = h * 6.0 / 255.0
    sector = torch.floor(h6)
    frac = (h6 - sector).to(f32)
    fs = (s / 255.0).to(f32)
    mid_q = 1.0 - (fs * frac).to(f64)
    mid_t = 1.0 - fs.to(f64) * (1.0 - frac.to(f64))
    factor = torch.where(sector.remainder(2) == 0, mid_t, mid_q)  # [h, s]
    v = torch.arange(256.0, dtype=f64)
    low_sv = torch.floor(v.view(1, 256) * (1.0 - fs.view(256, 1).to(f64)) + 0.5).clamp_(0.0, 255.0)  # [s, v]
    fixed = torch.round(factor * (1 << _MID_BITS)).to(torch.int64)  # [h, s]
    exact = torch.floor(v.view(1, 1, 256) * factor.unsqueeze(-1) + 0.5).to(torch.int64)
    if not torch.equal(
        (torch.arange(256).view(1, 1, 256) * fixed.unsqueeze(-1) + (1 << _MID_BITS - 1)) >> _MID_BITS, exact
    ):
        raise AssertionError('the fixed-point hsv2rgb factor differs from the double computation')
    # The hues where the sector steps up to 1..5 (h = 255 alone has sector 6, which PIL treats as 0: there f = 0,
    # so t = p and both sector roles give (v, p, p), "mid" included).
    steps = (torch.nonzero(sector.view(-1)[1:] > sector.view(-1)[:-1]).view(-1) + 1)[:5]
    sat_int = sat.to(torch.int32)
    sat_low = low_sv.to(torch.int32)[sat_int.long(), torch.arange(256)] + sat_int * 256  # p + 256 s at [c, v]
    return (
        hue.to(torch.uint8).view(-1).to(device),
        sat_low.view(-1).to(device),
        low_sv.to(torch.uint8).view(-1).to(device),
        fixed.t().to(torch.int32).reshape(-1).to(device),
        steps.to(torch.uint8).view(-1, 1, 1, 1).to(device),
    )


def _gather(table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``table[index]`` for an int32 ``index``, same shape."""
    return torch.index_select(table, 0, index.view(-1)).view(index.shape)


def _rgb_to_hsv_u8(r: torch.Tensor, g: torch.Tensor, b: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """PIL's RGB -> HSV of uint8 planes ``(B, H, W)``, by table lookups (:func:`_hsv_tables`).

    The int32 table indices are assembled byte by byte: ``e + 256 c + 2**16 code`` for the hue and ``v + 256 c`` for
    the saturation.

    Returns:
        tuple: ``h`` and ``v`` (uint8) and ``sat_low``, the int32 word ``p + 256 s`` (``p`` is hsv2rgb's ``p`` of
        ``(s, v)``).
    """
    hue_table, sat_low_table, _, _, _ = _hsv_tables(r.device)
    v = torch.maximum(torch.maximum(r, g), b)
    low = torch.minimum(torch.minimum(r, g), b)
    index = torch.zeros(r.shape, dtype=torch.int32, device=r.device)
    b0, b1, b2, _ = _bytes(index)
    torch.sub(v, low, out=b1)  # c
    # e = mid - min = r + g + b - max - 2 min (modulo 256, exact since 0 <= e <= 255).
    b0.copy_(torch.add(r, g).add_(b).sub_(v).sub_(low, alpha=2))
    code = torch.add(torch.ge(r, g).view(torch.uint8), torch.ge(g, b).view(torch.uint8), alpha=2)
    torch.add(code, torch.ge(r, b).view(torch.uint8), alpha=4, out=b2)
    h = _gather(hue_table, index)
    b0.copy_(v)
    b2.zero_()
    return h, v, _gather(sat_low_table, index)


def _hsv_to_rgb_u8(h: torch.Tensor, v: torch.Tensor, sat_low: torch.Tensor, out: torch.Tensor) -> None:
    """PIL's HSV -> RGB of uint8 planes ``h, v`` and the int32 ``sat_low = p + 256 s``, into ``out`` (B, 3, H, W).

    ``mid`` comes from the fixed-point factor of :func:`_hsv_tables` (looked up at ``s * 256 + h``, the index made by
    overwriting ``p`` in ``sat_low``, which is thus modified), and each channel is ``mid + (v - mid) [is v] + (p -
    mid) [is p]`` in uint8 arithmetic with the sector masks of its role.
    """
    _, _, _, mid_table, thresholds = _hsv_tables(h.device)
    p = sat_low.to(torch.uint8)  # the low byte
    _bytes(sat_low)[0].copy_(h)
    mid = _gather(mid_table, sat_low)  # at s * 256 + h
    mid.mul_(v.to(torch.int32)).add_(1 << (_MID_BITS - 1)).bitwise_right_shift_(_MID_BITS)
    mid = mid.to(torch.uint8)
    # Sector i = number of thresholds <= h; the channel roles (v, mid, p) per sector (see _hsv_tables).
    # (Comparisons with a full tensor are much faster than with a broadcast one on the CPU.)
    levels = thresholds.expand(thresholds.shape[0], *h.shape).contiguous()
    ge = [torch.ge(h, level) for level in levels]
    roles = (
        (~ge[0] | ge[4], ge[1] & ~ge[3]),  # R: v in sectors 0, 5; p in 2, 3
        (ge[0] & ~ge[2], ge[3]),  # G: v in 1, 2; p in 4, 5
        (ge[2] & ~ge[4], ~ge[1]),  # B: v in 3, 4; p in 0, 1
    )
    to_v, to_p = v - mid, p - mid  # modulo 256
    for k, (is_v, is_p) in enumerate(roles):
        torch.addcmul(mid, to_v, is_v.view(torch.uint8), out=out[:, k])
        out[:, k].addcmul_(to_p, is_p.view(torch.uint8))


def _rgb_to_hsv(img: torch.Tensor) -> torch.Tensor:
    """PIL's ``convert('HSV')`` of an RGB batch, ``(B, 3, H, W)`` float32 holding the uint8 H, S, V bands.

    Equal to :func:`_pil_rgb_to_hs` (checked for all 2**24 colours), through :func:`_hsv_tables`.
    """
    h, v, sat_low = _rgb_to_hsv_u8(*img.to(torch.uint8).unbind(1))
    s = _bytes(sat_low)[1]
    return torch.stack([h, s, v], dim=1).to(img.dtype)


def _hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """PIL's ``convert('RGB')`` of an HSV batch (uint8 bands in float32), ``(B, 3, H, W)``.

    Evaluates PIL's ``hsv2rgb`` through :func:`_hsv_tables` (checked equal to PIL for all 2**24 HSV triples). A
    zero saturation needs no special case: then ``p``, ``q`` and ``t`` all equal ``v``.
    """
    _, _, low_table, _, _ = _hsv_tables(hsv.device)
    h, s, v = hsv.to(torch.uint8).unbind(1)
    index = torch.zeros(h.shape, dtype=torch.int32, device=h.device)
    b0, b1, _, _ = _bytes(index)
    b0.copy_(v)
    b1.copy_(s)
    sat_low = _gather(low_table, index).to(torch.int32)
    _bytes(sat_low)[1].copy_(s)
    out = torch.empty(hsv.shape, dtype=torch.uint8, device=hsv.device)
    _hsv_to_rgb_u8(h, v, sat_low, out)
    return out.to(hsv.dtype)


def adjust_hue(img: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate the hue: ``mmcv.adjust_hue(bgr_img, shift, backend='pillow')`` per sample (bit-exact).

    mmcv converts to PIL 'HSV', adds ``uint8(shift * 255)`` to the hue band with uint8 wrap-around and converts
    back. The rotation is ``int(shift * 255) % 256`` (truncation toward zero, then wrap), as in mmcv on numpy 1 and in
    the numpy-2-safe :func:`mmssl_ext.utils.compat.adjust_hue` (mmcv 2.1.0 itself raises ``OverflowError`` on
    numpy 2 for negative shifts). Shifts are meant to lie in [-0.5, 0.5] (not checked).

    The conversions run on uint8 planes with table lookups (:func:`_hsv_tables`).

    Args:
        img (torch.Tensor): ``(B, 3, H, W)`` float32 RGB batch, integral values in [0, 255].
        shift (torch.Tensor): ``(B,)`` hue shifts in turns, in [-0.5, 0.5].

    Returns:
        torch.Tensor: The hue-rotated batch, same shape, float32 integral values in [0, 255].
    """
    _check_img(img, 'adjust_hue', channels=(3,))
    shift = _per_sample(shift, 'shift', 'adjust_hue', img, torch.float64).view(-1, 1, 1)
    rotation = torch.remainder(torch.trunc(shift * 255.0), 256.0).to(torch.uint8)
    planes = img.to(torch.uint8)
    h, v, sat_low = _rgb_to_hsv_u8(*planes.unbind(1))
    _hsv_to_rgb_u8(h.add_(rotation), v, sat_low, planes)
    return planes.to(img.dtype)


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
