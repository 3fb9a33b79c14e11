# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched geometric ops that reproduce the per-image mmcv / Pillow references pixel for pixel.

Every op takes ``img``, a floating (B, C, H, W) tensor of integral values in [0, 255] (a uint8 image cast to
float), and per-sample parameters of length B on ``img.device``, and returns a new tensor of the same dtype.
The ops are vectorised over the batch and never wait for the device. The crop + resize is in :mod:`.resize`.

* :func:`hflip` is ``mmcv.imflip(img, 'horizontal')``.
* :func:`affine_nearest` is Pillow's ``Image.transform(size, AFFINE, coeffs)`` (nearest, black fill), with the
  three code paths of Pillow's ``ImagingTransformAffine``: pure scaling (double coordinates accumulated pixel by
  pixel), 16.16 fixed point (the usual case) and the double fallback for coordinates beyond 32768.
* :func:`rotate`, :func:`shear_x`, :func:`shear_y`, :func:`translate_x`, :func:`translate_y` build Pillow's
  coefficients for ``Image.rotate`` and the CLSA RandAugment affine ops and call :func:`affine_nearest`.
"""

import math
from typing import Tuple

import torch

__all__ = ['hflip', 'affine_nearest', 'rotate', 'shear_x', 'shear_y', 'translate_x', 'translate_y']

# Pillow's Geometry.c: 16.16 fixed point, used while the four corners map within +-32768 pixels.
_FIX_ONE = 65536.0
_FIXED_LIMIT = 32768.0
# Python's round(v, 15) (Image.rotate): 1e15 split into two halves of at most 26 bits for Dekker's two-product.
_TEN15 = 1e15
_SPLITTER = 134217729.0  # 2 ** 27 + 1
_TEN15_LO = float((5**15 % 2**9) * 2**15)
_TEN15_HI = _TEN15 - _TEN15_LO


def _check_img(fn: str, img: torch.Tensor) -> Tuple[int, int, int, int]:
    """Check that ``img`` is a floating (B, C, H, W) tensor and return its shape."""
    if not isinstance(img, torch.Tensor) or img.dim() != 4 or not img.is_floating_point():
        shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        dtype = getattr(img, 'dtype', None)
        raise ValueError(f'{fn}: img must be a floating (B, C, H, W) tensor, got {shape} of dtype {dtype}')
    b, c, h, w = img.shape
    return b, c, h, w


def _check_param(fn: str, name: str, value: torch.Tensor, shape: Tuple[int, ...]) -> torch.Tensor:
    """Check that ``value`` is a real (not bool) tensor of ``shape`` and return it as float64."""
    if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(f'{fn}: {name} must be a tensor of shape {shape}, got {got}')
    if value.dtype == torch.bool or value.is_complex():
        raise ValueError(f'{fn}: {name} must be a real (float or integer) tensor, got dtype {value.dtype}')
    return value.to(torch.float64)


# --------------------------------------------------------------------------------------------------------------
# resized_crop: Pillow's bilinear resampling of the crop
# --------------------------------------------------------------------------------------------------------------


def hflip(img: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """Flip the samples where ``flip`` holds horizontally: ``mmcv.imflip(img, 'horizontal')``; bit-exact.

    Args:
        img (torch.Tensor): (B, C, H, W) floating.
        flip (torch.Tensor): (B,) bool, the samples to flip.

    Returns:
        torch.Tensor: (B, C, H, W), a new tensor.
    """
    b = _check_img('hflip', img)[0]
    if not isinstance(flip, torch.Tensor) or tuple(flip.shape) != (b,) or flip.dtype != torch.bool:
        got = f'{tuple(flip.shape)} of dtype {flip.dtype}' if isinstance(flip, torch.Tensor) else type(flip).__name__
        raise ValueError(f'hflip: flip must be a bool tensor of shape ({b},), got {got}')
    return torch.where(flip.to(img.device)[:, None, None, None], img.flip(3), img)


# --------------------------------------------------------------------------------------------------------------
# affine_nearest: Pillow's ImagingTransformAffine (nearest neighbour)
# --------------------------------------------------------------------------------------------------------------


def _accumulate(start: torch.Tensor, step: torch.Tensor, n: int) -> torch.Tensor:
    """``[start, start + step, (start + step) + step, ...]``: ``n`` values added one at a time, as C's ``+=``.

    Args:
        start (torch.Tensor): (...) float64.
        step (torch.Tensor): (...) float64.
        n (int): Number of values.

    Returns:
        torch.Tensor: (..., n) float64.
    """
    values = [start]
    for _ in range(n - 1):  # sequential on purpose: ``start + k * step`` rounds differently
        values.append(values[-1] + step)
    return torch.stack(values, dim=-1)


def _fix(v: torch.Tensor) -> torch.Tensor:
    """Pillow's ``FIX(v) = FLOOR(v * 65536.0 + 0.5)``, kept in float64 (exact integers)."""
    return torch.floor(v * _FIX_ONE + 0.5)


def _uses_fixed_point(a: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(B,) bool: Pillow takes the fixed-point path (not pure scaling, all four corners within +-32768)."""
    a0, a1, a2, a3, a4, a5 = a.unbind(1)
    ok = ~((a1 == 0) & (a3 == 0))
    for cx, cy in ((0, 0), (w, h), (0, h), (w, 0)):  # check_fixed: fabs(x * a0 + y * a1 + a2) < 32768
        ok = ok & (torch.abs((cx * a0 + cy * a1) + a2) < _FIXED_LIMIT)
        ok = ok & (torch.abs((cx * a3 + cy * a4) + a5) < _FIXED_LIMIT)
    return ok


def _coordinate_terms(a: torch.Tensor, h: int, w: int) -> Tuple[torch.Tensor, ...]:
    """Separable terms of the input coordinates Pillow computes: ``x_in[y, x] = floor((rx[y] + cx[x]) * unit)``.

    * Fixed point (``affine_fixed``): ``rx = FIX(a2 + a0 / 2 + a1 / 2) + y FIX(a1)``, ``cx = x FIX(a0)``, unit
      ``2 ** -16``: the exact integers of Pillow's 16.16 sums, so ``floor`` is its ``>> 16``.
    * Pure scaling (``ImagingScaleAffine``, ``a1 == a3 == 0``): ``cx`` is ``a2 + a0 / 2`` advanced by ``a0`` with
      repeated ``+=`` (as Pillow's table), ``rx = 0``; y likewise by rows; unit 1.
    * Double fallback (a corner beyond +-32768): ``rx`` is Pillow's row start ``a2 + a1 / 2 + a0 / 2`` advanced by
      ``a1`` per row, exactly; within a row the coordinate is ``rx + x a0`` instead of Pillow's repeated
      ``+= a0``, which can differ in the last bits, so a coordinate within a few ulp of an integer may fall in the
      neighbouring pixel there (only there).

    Args:
        a (torch.Tensor): (B, 6) float64 coefficients.
        h (int): Image height.
        w (int): Image width.

    Returns:
        tuple[torch.Tensor, ...]: ``rx``, ``ry`` (B, H); ``cx``, ``cy`` (B, W); ``unit`` (B,); all float64.
    """
    a0, a1, a2, a3, a4, a5 = a.unbind(1)
    fixed = _uses_fixed_point(a, h, w)
    scaling = (a1 == 0) & (a3 == 0)
    xs = torch.arange(w, dtype=a.dtype, device=a.device)[None, :]
    ys = torch.arange(h, dtype=a.dtype, device=a.device)[None, :]
    # double paths: one loop for the row starts (steps a1, a4) and the scaling path's columns (step a0)
    xo = (a2 + a1 * 0.5) + a0 * 0.5  # == a2 + a0 * 0.5 when a1 == 0 (the scaling path's start)
    yo = (a5 + a4 * 0.5) + a3 * 0.5
    seq = _accumulate(torch.stack([xo, yo, xo], 1), torch.stack([a1, a4, a0], 1), max(h, w))
    row_x, row_y, col_x = seq[:, 0, :h], seq[:, 1, :h], seq[:, 2, :w]
    # fixed point: integers in float64
    f2, f5 = _fix((a2 + a0 * 0.5) + a1 * 0.5), _fix((a5 + a3 * 0.5) + a4 * 0.5)
    fx_row, fy_row = f2[:, None] + ys * _fix(a1)[:, None], f5[:, None] + ys * _fix(a4)[:, None]
    fx_col, fy_col = xs * _fix(a0)[:, None], xs * _fix(a3)[:, None]
    fixed_, scaling_ = fixed[:, None], scaling[:, None]
    rx = torch.where(fixed_, fx_row, torch.where(scaling_, torch.zeros_like(row_x), row_x))
    ry = torch.where(fixed_, fy_row, row_y)
    cx = torch.where(fixed_, fx_col, torch.where(scaling_, col_x, xs * a0[:, None]))
    cy = torch.where(fixed_, fy_col, xs * a3[:, None])  # 0 when scaling (a3 == 0)
    unit = torch.where(fixed, 1.0 / _FIX_ONE, 1.0)
    return rx, ry, cx, cy, unit


def _pixel_index(row: torch.Tensor, col: torch.Tensor, unit: torch.Tensor, size: int) -> torch.Tensor:
    """(B, H, W) float64 input pixel along one axis, clamped into [-1, size] (both ends are out of the image)."""
    coord = row[:, :, None] + col[:, None, :]
    return coord.mul_(unit[:, None, None]).floor_().clamp_(-1.0, float(size))


def _affine(img: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour affine warp with Pillow's semantics; ``a`` is (B, 6) float64 on ``img.device``."""
    b, c, h, w = img.shape
    rx, ry, cx, cy, unit = _coordinate_terms(a, h, w)
    ix = _pixel_index(rx, cx, unit, w)
    iy = _pixel_index(ry, cy, unit, h)
    # index a copy of the image with a zero border: an index of -1 or ``size`` lands on it (Pillow's black fill)
    flat = iy.add_(1.0).mul_(w + 2).add_(ix).add_(1.0).nan_to_num_(nan=0.0).long()
    padded = torch.nn.functional.pad(img, (1, 1, 1, 1)).reshape(b, c, (h + 2) * (w + 2))
    return padded.gather(2, flat.view(b, 1, h * w).expand(b, c, h * w)).view(b, c, h, w)


def affine_nearest(img: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
    """Pillow's ``im.transform(im.size, Image.Transform.AFFINE, coeffs)``: nearest neighbour, black fill.

    Output pixel (x, y) takes the input pixel at ``(a (x + .5) + b (y + .5) + c, d (x + .5) + e (y + .5) + f)``
    rounded down (pixel centres at +0.5), or 0 in every channel when that is outside the image. Pillow's three
    paths are reproduced: pure scaling (``b == d == 0``: double coordinates accumulated pixel by pixel), 16.16
    fixed point (``FIX(v) = floor(v * 65536 + .5)``, used while the four corners map within +-32768 pixels) and
    the double fallback beyond; bit-exact except in that fallback (see :func:`_coordinate_terms`). The coefficients
    are used as float64 values of ``coeffs`` (so float32 coefficients match Pillow given those float32 values).

    Args:
        img (torch.Tensor): (B, C, H, W) floating.
        coeffs (torch.Tensor): (B, 6) ``(a, b, c, d, e, f)``, the output-to-input map, in PIL's convention.

    Returns:
        torch.Tensor: (B, C, H, W), a new tensor.
    """
    b = _check_img('affine_nearest', img)[0]
    a = _check_param('affine_nearest', 'coeffs', coeffs, (b, 6)).to(img.device)
    return _affine(img, a)


def _round15(v: torch.Tensor) -> torch.Tensor:
    """Python's ``round(v, 15)`` for ``|v| <= 1``: ``v * 10 ** 15`` rounded half to even, exactly, over ``10 ** 15``.

    The product is formed exactly as ``p + e`` (Dekker's two-product), so a fraction of ``p`` at .5 is resolved by
    the sign of ``e`` as Python's correctly rounded decimal conversion does; the final division is correctly
    rounded, like Python's conversion of the decimal string back to a double.
    """
    p = v * _TEN15
    v_big = v * _SPLITTER
    v_hi = v_big - (v_big - v)
    v_lo = v - v_hi
    e = (((v_hi * _TEN15_HI - p) + v_hi * _TEN15_LO) + v_lo * _TEN15_HI) + v_lo * _TEN15_LO
    n = torch.floor(p)
    frac = p - n  # exact
    odd = torch.fmod(n, 2.0) != 0
    up = (frac > 0.5) | ((frac == 0.5) & ((e > 0) | ((e == 0) & odd)))
    return (n + up.to(v.dtype)) / _TEN15


def _rotate_coeffs(degrees: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """The (B, 6) float64 matrix ``Image.rotate(degrees)`` passes to ``Image.transform`` (centre, no expand).

    As Pillow's Python code: ``angle = -radians(degrees % 360)``; ``(a, b, d, e) = round((cos, sin, -sin, cos),
    15)``; ``c = a (-w / 2) + b (-h / 2) + w / 2`` and ``f = d (-w / 2) + e (-h / 2) + h / 2``. Entries can differ
    from Pillow's by one unit in the 15th decimal for rare angles (1 in 4000 in our tests): torch's cos/sin may
    differ from libm's by one ulp, which moves ``round(., 15)`` when the value is that close to a decimal tie.
    Such a difference changes the output only if one of the 16.16 fixed-point coefficients it feeds lies within
    ~1e-10 of a rounding boundary. Pillow's fast paths (0 and 180 degrees, 90 / 270 for square images) need no
    special case: the matrix then maps every pixel exactly as the copy / transpose does.
    """
    angle = torch.fmod(degrees, 360.0)
    angle = torch.where(angle < 0, angle + 360.0, angle)  # Python's float %: the sign of the divisor
    rad = -(angle * (math.pi / 180.0))  # math.radians multiplies by the double pi / 180
    cos, sin = torch.cos(rad), torch.sin(rad)
    a, b, d, e = _round15(cos), _round15(sin), _round15(-sin), _round15(cos)
    cx, cy = w / 2, h / 2
    c = ((a * -cx + b * -cy) + 0.0) + cx
    f = ((d * -cx + e * -cy) + 0.0) + cy
    return torch.stack([a, b, c, d, e, f], dim=1)


def rotate(img: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Pillow's ``im.rotate(degrees)``: counter-clockwise about the centre, nearest, same size, black fill.

    Builds the matrix of ``Image.rotate`` (see :func:`_rotate_coeffs`) and warps with :func:`affine_nearest`;
    pixel-exact (the matrix itself can differ from Pillow's by 1e-15, which has not been seen to change a pixel).

    Args:
        img (torch.Tensor): (B, C, H, W) floating.
        degrees (torch.Tensor): (B,) angles in degrees, used as their float64 values.

    Returns:
        torch.Tensor: (B, C, H, W), a new tensor.
    """
    b, _, h, w = _check_img('rotate', img)
    deg = _check_param('rotate', 'degrees', degrees, (b,)).to(img.device)
    return _affine(img, _rotate_coeffs(deg, h, w))


def _affine_of(fn: str, name: str, img: torch.Tensor, value: torch.Tensor, slot: int) -> torch.Tensor:
    """Warp with the identity coefficients ``(1, 0, 0, 0, 1, 0)`` whose entry ``slot`` is set to ``value``."""
    b = _check_img(fn, img)[0]
    v = _check_param(fn, name, value, (b,)).to(img.device)
    a = torch.zeros(b, 6, dtype=torch.float64, device=img.device)  # no host-to-device copy
    a[:, 0] = 1.0
    a[:, 4] = 1.0
    a[:, slot] = v
    return _affine(img, a)


def shear_x(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """CLSA's ShearX: ``im.transform(im.size, AFFINE, (1, s, 0, 0, 1, 0))``, anchored at the top; bit-exact.

    Args:
        img (torch.Tensor): (B, C, H, W) floating.
        factor (torch.Tensor): (B,) shear factors ``s``, used as their float64 values.

    Returns:
        torch.Tensor: (B, C, H, W), a new tensor.
    """
    return _affine_of('shear_x', 'factor', img, factor, 1)


def shear_y(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """CLSA's ShearY: ``im.transform(im.size, AFFINE, (1, 0, 0, s, 1, 0))``, anchored at the left; bit-exact.

    Args:
        img (torch.Tensor): (B, C, H, W) floating.
        factor (torch.Tensor): (B,) shear factors ``s``, used as their float64 values.

    Returns:
        torch.Tensor: (B, C, H, W), a new tensor.
    """
    return _affine_of('shear_y', 'factor', img, factor, 3)


def translate_x(img: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """CLSA's TranslateX: ``im.transform(im.size, AFFINE, (1, 0, p, 0, 1, 0))``; bit-exact.

    A positive ``p`` moves the content left by ``p`` pixels (CLSA passes ``p = int(frac * W)``).

    Args:
        img (torch.Tensor): (B, C, H, W) floating.
        pixels (torch.Tensor): (B,) integer-valued shifts ``p`` (other values are used as Pillow would use them).

    Returns:
        torch.Tensor: (B, C, H, W), a new tensor.
    """
    return _affine_of('translate_x', 'pixels', img, pixels, 2)


def translate_y(img: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """CLSA's TranslateY: ``im.transform(im.size, AFFINE, (1, 0, 0, 0, 1, p))``; bit-exact.

    A positive ``p`` moves the content up by ``p`` pixels (CLSA passes ``p = int(frac * H)``).

    Args:
        img (torch.Tensor): (B, C, H, W) floating.
        pixels (torch.Tensor): (B,) integer-valued shifts ``p`` (other values are used as Pillow would use them).

    Returns:
        torch.Tensor: (B, C, H, W), a new tensor.
    """
    return _affine_of('translate_y', 'pixels', img, pixels, 5)
