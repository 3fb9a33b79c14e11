# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The RandAugment of CLSA's strong views (the FixMatch op pool, no Cutout)."""

from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageEnhance, ImageOps

from mmssl_ext.registry import TRANSFORMS
from mmssl_ext.utils.clsa_ops import OP_NAMES, SIGNED_OPS, check_randaugment_args, op_parameter

__all__ = ['CLSARandAugment', 'CLSA_OPS', 'OP_NAMES', 'SIGNED_OPS', 'op_parameter']


def _affine(img: Image.Image, coeffs: tuple) -> Image.Image:
    # PIL maps each output pixel (x, y) to the input (a x + b y + c, d x + e y + f); nearest, black fill.
    return img.transform(img.size, Image.Transform.AFFINE, coeffs)


# The parameter is Any: an int, a float or None depending on the op (see ``op_parameter``).
CLSA_OPS: Dict[str, Callable[[Image.Image, Any], Image.Image]] = {
    'AutoContrast': lambda img, _: ImageOps.autocontrast(img),
    'Brightness': lambda img, f: ImageEnhance.Brightness(img).enhance(f),
    'Color': lambda img, f: ImageEnhance.Color(img).enhance(f),
    'Contrast': lambda img, f: ImageEnhance.Contrast(img).enhance(f),
    'Equalize': lambda img, _: ImageOps.equalize(img),
    'Identity': lambda img, _: img,
    'Posterize': lambda img, bits: ImageOps.posterize(img, bits),
    'Rotate': lambda img, deg: img.rotate(deg),
    'Sharpness': lambda img, f: ImageEnhance.Sharpness(img).enhance(f),
    'ShearX': lambda img, s: _affine(img, (1, s, 0, 0, 1, 0)),
    'ShearY': lambda img, s: _affine(img, (1, 0, 0, s, 1, 0)),
    'Solarize': lambda img, t: ImageOps.solarize(img, t),
    'TranslateX': lambda img, frac: _affine(img, (1, 0, int(frac * img.size[0]), 0, 1, 0)),
    'TranslateY': lambda img, frac: _affine(img, (1, 0, 0, 0, 1, int(frac * img.size[1]))),
}
"""Each op as a pure function of (PIL image, parameter); the parameter is the signed value of
:func:`~mmssl_ext.utils.clsa_ops.op_parameter` (a factor, bits, degrees, shear, a fraction of the width/height, or
a threshold). The op names, parameters and checks live in :mod:`mmssl_ext.utils.clsa_ops`."""

assert tuple(CLSA_OPS) == OP_NAMES  # the table's order


@TRANSFORMS.register_module()
class CLSARandAugment(BaseTransform):
    """RandAugment of Contrastive Learning with Stronger Augmentations (CLSA), Wang & Qi, arXiv:2104.07713.

    Re-implements the class ``RandAugment`` (not ``RandAugmentPC``) of the official
    ``data_processing/RandAugment.py``, used with ``n=aug_times=5, m=10``: ``num_ops`` ops are picked
    uniformly with replacement from the 14 of ``fixmatch_augment_pool``; then for each pick, in order, a
    magnitude ``v = randint(1, magnitude_max)`` (numpy, high exclusive: 1..9) is drawn, the op is applied
    with probability ``prob`` and, when applied, Rotate/Shear/Translate flip their sign with probability
    0.5. Parameters for v = 1..9: Brightness/Color/Contrast/Sharpness factor 0.09 v + 0.05 (0.14..0.86);
    Posterize bits int(0.4 v) + 4 (4..7); Rotate int(3 v) degrees; Shear 0.03 v (top-left anchored
    affine); Translate int(+-0.03 v * size) pixels, a positive value moving the content left/up; Solarize
    threshold 256 - int(25.6 v) (231..26). Rotate, Shear and Translate use nearest sampling and black fill.

    Differences from the official code: every draw uses ``numpy.random`` (the official picks, coins and
    signs use Python's ``random``), so ``np.random.seed`` fixes the output; ``prob`` is fixed at 0.5 there.
    The input is mmcv's BGR (or grayscale) uint8 array rather than an RGB PIL image.

    Args:
        num_ops (int): Ops drawn per image (``n``). Defaults to 5.
        magnitude_max (int): Exclusive upper bound ``m`` of the magnitude draw, 2..10. Defaults to 10.
        prob (float): Probability of applying each drawn op. Defaults to 0.5.
        ops (Sequence[str], optional): The pool, a subset of :data:`OP_NAMES`; None uses all 14.
            Defaults to None.
    """

    def __init__(
        self, num_ops: int = 5, magnitude_max: int = 10, prob: float = 0.5, ops: Optional[Sequence[str]] = None
    ) -> None:
        checked = check_randaugment_args(num_ops, magnitude_max, prob, ops)
        self.num_ops, self.magnitude_max, self.prob, self.ops = checked

    def _augment(self, img: Image.Image) -> Image.Image:
        picks = np.random.randint(len(self.ops), size=self.num_ops)
        for idx in picks:
            name = self.ops[idx]
            v = np.random.randint(1, self.magnitude_max)
            if np.random.rand() < self.prob:
                param = op_parameter(name, v)
                if name in SIGNED_OPS and np.random.rand() < 0.5:
                    assert param is not None  # every signed op has a parameter
                    param = -param
                img = CLSA_OPS[name](img, param)
        return img

    def transform(self, results: dict) -> dict:
        """Augment ``results['img']``, an HxWx3 BGR or HxW grayscale uint8 array.

        Args:
            results (dict): The sample.

        Returns:
            dict: The sample with the augmented ``img`` (same shape and dtype) and ``img_shape``.
        """
        img = results['img']
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
            raise ValueError(
                f'CLSARandAugment: img must be a uint8 numpy array, got {type(img).__name__} '
                f'{getattr(img, "dtype", "")}'
            )
        if img.ndim == 3 and img.shape[2] == 3:
            out = np.asarray(self._augment(Image.fromarray(np.ascontiguousarray(img[..., ::-1]))))[..., ::-1]
        elif img.ndim == 2:
            out = np.asarray(self._augment(Image.fromarray(img)))
        else:
            raise ValueError(f'CLSARandAugment: img must be HxWx3 (BGR) or HxW, got shape {img.shape}')
        results['img'] = np.ascontiguousarray(out)
        results['img_shape'] = out.shape[:2]
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(num_ops={self.num_ops}, magnitude_max={self.magnitude_max}, '
            f'prob={self.prob}, ops={list(self.ops)})'
        )
