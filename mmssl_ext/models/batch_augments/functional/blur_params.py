# Copyright (c) mmssl_ext contributors. All rights reserved.
"""PIL's box approximation of a Gaussian: the per-pass box radius and 24-bit fixed-point weights.

PIL approximates a Gaussian of standard deviation ``sigma`` by 3 passes of an "extended box blur" along the rows,
then 3 passes along the columns, rounding to uint8 after every pass (``ImagingGaussianBlur`` / ``ImagingBoxBlur``
in ``BoxBlur.c``). The fractional box radius for 3 passes (Gwosdek et al., SSVM 2011) is, in C float arithmetic
(``sqrt`` and ``floor`` in double)::

    sigma2 = sigma * sigma / 3
    L = sqrt(12 * sigma2 + 1)
    l = floor((L - 1) / 2)
    a = (2 l + 1) (l (l + 1) - 3 sigma2) / (6 (sigma2 - (l + 1)^2))
    radius = l + a

and one pass with integer radius ``r = int(radius)`` uses the 24-bit fixed-point weights
``ww = (uint32)(2**24 / (2 radius + 1))`` for the ``n = 2 r + 1`` pixels of the box and
``fw = (2**24 - n ww) // 2`` for the two pixels just outside it, with the edge pixels replicated::

    out[i] = (ww * sum(in[i - r .. i + r]) + fw * (in[i - r - 1] + in[i + r + 1]) + 2**23) >> 24
"""

from typing import List, Tuple

import torch

__all__: List[str] = []

_PASSES = 3
_ONE_BITS = 24
_ONE = 1 << _ONE_BITS
_HALF = 1 << (_ONE_BITS - 1)


def _box_params(sigma: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PIL's per-pass box parameters ``(r, ww, fw)`` (int64, same shape as ``sigma``) for a Gaussian of ``sigma``.

    Evaluates ``_gaussian_blur_radius`` and the weights of ``ImagingHorizontalBoxBlur`` with the same float32 /
    double operations as the C code.
    """
    f32, f64 = torch.float32, torch.float64
    sigma = sigma.to(f32)
    # IEEE divisions need tensor divisors: ``c / t`` is ``c * t.reciprocal()`` in torch, and CUDA multiplies
    # ``t / c`` by ``1 / c`` for a Python scalar ``c``.
    sigma2 = torch.div(sigma * sigma, torch.full_like(sigma, float(_PASSES)))
    box_len = torch.sqrt(12.0 * sigma2.to(f64) + 1.0).to(f32)
    whole = torch.floor((box_len.to(f64) - 1.0) / 2.0).to(f32)
    frac = (2.0 * whole + 1.0) * (whole * (whole + 1.0) - 3.0 * sigma2)
    frac = frac / (6.0 * (sigma2 - (whole + 1.0) * (whole + 1.0)))
    radius = whole + frac
    r = torch.trunc(radius).to(torch.int64)
    ww = torch.trunc(torch.div(torch.full_like(radius, float(_ONE)), radius * 2.0 + 1.0)).to(torch.int64)
    fw = torch.div(_ONE - (2 * r + 1) * ww, 2, rounding_mode='floor')
    return r, ww, fw


def _to_int32(value: torch.Tensor) -> torch.Tensor:
    """Reduce an int64 tensor modulo ``2**32`` into the int32 range (two's complement)."""
    return (value & 0xFFFFFFFF).sub_(((value >> 31) & 1) << 32).to(torch.int32)
