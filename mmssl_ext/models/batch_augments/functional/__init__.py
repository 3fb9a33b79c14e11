# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Pure batched image ops on float (B, C, H, W) RGB tensors with integral values in [0, 255], per-sample params.

Each op equals a per-image uint8 op (PIL / mmcv / mmpretrain) sample by sample; its docstring names it.
"""

from .blur import gaussian_blur
from .color import adjust_brightness, adjust_contrast, adjust_saturation, adjust_sharpness, to_grayscale
from .geometry import affine_nearest, hflip, rotate, shear_x, shear_y, translate_x, translate_y
from .hue import adjust_hue
from .resize import resized_crop
from .tone import autocontrast, equalize, posterize, solarize

__all__ = [
    'gaussian_blur',
    'adjust_brightness',
    'adjust_contrast',
    'adjust_hue',
    'adjust_saturation',
    'adjust_sharpness',
    'autocontrast',
    'equalize',
    'posterize',
    'solarize',
    'to_grayscale',
    'affine_nearest',
    'hflip',
    'resized_crop',
    'rotate',
    'shear_x',
    'shear_y',
    'translate_x',
    'translate_y',
]
