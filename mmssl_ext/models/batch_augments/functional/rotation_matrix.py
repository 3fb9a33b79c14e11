# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The matrix of Pillow's ``Image.rotate`` (with Python's ``round(v, 15)``) in float64, for :func:`.geometry.rotate`."""

import math
from typing import List

import torch

__all__: List[str] = []

# Python's round(v, 15) (Image.rotate): 1e15 split into two halves of at most 26 bits for Dekker's two-product.
_TEN15 = 1e15
_SPLITTER = 134217729.0  # 2 ** 27 + 1
_TEN15_LO = float((5**15 % 2**9) * 2**15)
_TEN15_HI = _TEN15 - _TEN15_LO


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
