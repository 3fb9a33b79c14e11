# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Batched geometric ops that reproduce the per-image mmcv / Pillow references pixel for pixel.

Every op takes ``img``, a floating (B, C, H, W) tensor of integral values in [0, 255] (a uint8 image cast to
float), and per-sample parameters of length B on ``img.device``, and returns a new tensor of the same dtype.
The ops are vectorised over the batch and never wait for the device. The crop + resize is in :mod:`.resize`.

* :func:`hflip` is ``mmcv.imflip(img, 'horizontal')``.
* :func:`affine_nearest` is Pillow's ``Image.transform(size, AFFINE, coeffs)`` (nearest, black fill), with the
  three code paths of Pillow's ``ImagingTransformAffine``: pure scaling (double coordinates accumulated pixel by
  pixel), 16.16 fixed point (the usual case) and the double fallback for coordinates beyond 32768. The warp is
  in :mod:`.affine_warp`.
* :func:`rotate`, :func:`shear_x`, :func:`shear_y`, :func:`translate_x`, :func:`translate_y` build Pillow's
  coefficients for ``Image.rotate`` (:mod:`.rotation_matrix`) and the CLSA RandAugment affine ops and call
  :func:`affine_nearest`.
"""

from typing import Tuple

import torch

from .affine_warp import _affine
from .rotation_matrix import _rotate_coeffs

__all__ = ['hflip', 'affine_nearest', 'rotate', 'shear_x', 'shear_y', 'translate_x', 'translate_y']


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


def affine_nearest(img: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
    """Pillow's ``im.transform(im.size, Image.Transform.AFFINE, coeffs)``: nearest neighbour, black fill.

    Output pixel (x, y) takes the input pixel at ``(a (x + .5) + b (y + .5) + c, d (x + .5) + e (y + .5) + f)``
    rounded down (pixel centres at +0.5), or 0 in every channel when that is outside the image. Pillow's three
    paths are reproduced: pure scaling (``b == d == 0``: double coordinates accumulated pixel by pixel), 16.16
    fixed point (``FIX(v) = floor(v * 65536 + .5)``, used while the four corners map within +-32768 pixels) and
    the double fallback beyond; bit-exact except in that fallback (see :func:`.affine_warp._coordinate_terms`).
    The coefficients are used as float64 values of ``coeffs`` (so float32 coefficients match Pillow given those
    float32 values).

    Args:
        img (torch.Tensor): (B, C, H, W) floating.
        coeffs (torch.Tensor): (B, 6) ``(a, b, c, d, e, f)``, the output-to-input map, in PIL's convention.

    Returns:
        torch.Tensor: (B, C, H, W), a new tensor.
    """
    b = _check_img('affine_nearest', img)[0]
    a = _check_param('affine_nearest', 'coeffs', coeffs, (b, 6)).to(img.device)
    return _affine(img, a)


def rotate(img: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Pillow's ``im.rotate(degrees)``: counter-clockwise about the centre, nearest, same size, black fill.

    Builds the matrix of ``Image.rotate`` (see :func:`.rotation_matrix._rotate_coeffs`) and warps with
    :func:`affine_nearest`; pixel-exact (the matrix itself can differ from Pillow's by 1e-15, which has not been
    seen to change a pixel).

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
