# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Compatibility fixes for the pinned OpenMMLab stack on numpy 2.

mmcv 2.1.0's ``adjust_hue`` shifts the hue channel with ``np.uint8(hue_factor * 255)``. numpy >= 2
(NEP 50) raises ``OverflowError`` for a negative value instead of wrapping, so every
``ColorJitter(hue>0)`` (mmpretrain's, used by all SimCLR/MoCo pipelines) fails on about half of
the images. :func:`patch_mmcv_adjust_hue` installs a version that computes the wrap-around shift
explicitly, giving numpy 1's (and torchvision's) results.
"""

from typing import Optional

import cv2
import mmcv
import numpy as np
from PIL import Image

__all__ = ['adjust_hue', 'patch_mmcv_adjust_hue']


def _hue_shift(hue_factor: float) -> np.uint8:
    """The uint8 hue rotation for ``hue_factor`` (truncate toward zero, wrap modulo 256)."""
    return np.uint8(int(hue_factor * 255) % 256)


def adjust_hue(img: np.ndarray, hue_factor: float, backend: Optional[str] = None) -> np.ndarray:
    """Mmcv's ``adjust_hue`` with a numpy-2-safe hue rotation (same arguments and results).

    Args:
        img (np.ndarray): BGR image, ``[H, W, 3]`` (or ``[H, W]``).
        hue_factor (float): Rotation of the hue channel in ``[-0.5, 0.5]`` turns.
        backend (str, optional): ``'cv2'`` or ``'pillow'``; mmcv's image backend when None.
            Defaults to None.

    Returns:
        np.ndarray: The hue-adjusted image, same dtype as ``img``.
    """
    if backend is None:
        backend = mmcv.image.io.imread_backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f"adjust_hue: backend must be 'cv2' or 'pillow', got {backend!r}")
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'adjust_hue: hue_factor {hue_factor} is not in [-0.5, 0.5]')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('adjust_hue: img must be an ndarray with 2 or 3 dims')
    shift = _hue_shift(hue_factor)
    if backend == 'pillow':
        if img.dtype != np.uint8:
            raise TypeError('adjust_hue: the pillow backend needs a uint8 image')
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        h, s, v = pil_image.convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over='ignore'):
            np_h += shift
        out = Image.merge('HSV', (Image.fromarray(np_h, 'L'), s, v)).convert('RGB')
        return np.array(out, dtype=img.dtype)[..., ::-1]
    dtype = img.dtype
    hue: np.ndarray
    hue, sat, val = cv2.split(cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL))
    hue = hue.astype(np.uint8)
    with np.errstate(over='ignore'):
        hue += shift
    return cv2.cvtColor(cv2.merge([hue, sat, val]), cv2.COLOR_HSV2BGR_FULL).astype(dtype)


def patch_mmcv_adjust_hue() -> bool:
    """Install :func:`adjust_hue` as ``mmcv.adjust_hue`` when mmcv 2.1.0 runs on numpy >= 2.

    Returns:
        bool: True when the patch was (or already is) installed.
    """
    if int(np.__version__.split('.')[0]) < 2 or mmcv.__version__ != '2.1.0':
        return False
    from mmcv import image as mmcv_image
    from mmcv.image import photometric

    for module in (mmcv, mmcv_image, photometric):
        module.adjust_hue = adjust_hue
    return True
