# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Pillow's ``ImagingTransformAffine`` (nearest neighbour, black fill) on a batch: the warp of :mod:`.geometry`.

Pillow's three code paths are reproduced: pure scaling (double coordinates accumulated pixel by pixel), 16.16 fixed
point (the usual case) and the double fallback for coordinates beyond 32768.
"""

from typing import List, Tuple

import torch

__all__: List[str] = []

# Pillow's Geometry.c: 16.16 fixed point, used while the four corners map within +-32768 pixels.
_FIX_ONE = 65536.0
_FIXED_LIMIT = 32768.0


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
