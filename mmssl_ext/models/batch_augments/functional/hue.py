# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched hue rotation, bit-exact to mmcv's pillow-backend ``adjust_hue`` (PIL's integer RGB <-> HSV round trip).

The conventions of :mod:`.color` hold (float32 ``(B, 3, H, W)`` batches of integral values, ``(B,)`` parameters,
no device sync, no fused multiply-adds). For speed the round trip works on uint8 planes with small lookup tables
built once per device.
"""

import functools
import sys
from typing import Optional, Tuple

import torch

from .color import _check_img, _per_sample

__all__ = ['adjust_hue']

# Fractional bits of the fixed-point factor of hsv2rgb's "mid" value (see _hsv_tables).
_MID_BITS = 23


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
    the numpy-2-safe :func:`mmssl_ext.compat.adjust_hue` (mmcv 2.1.0 itself raises ``OverflowError`` on
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
