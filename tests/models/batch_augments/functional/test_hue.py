"""The batched hue rotation equals mmcv's pillow-backend ``adjust_hue`` (PIL's HSV round trip) bit for bit."""

import numpy as np
import torch
from PIL import Image

from mmssl_ext.compat import adjust_hue as mmcv_adjust_hue  # mmcv.adjust_hue, numpy-2-safe hue rotation
from mmssl_ext.models.batch_augments.functional import hue
from tests.models.batch_augments.functional.photometric_helpers import (
    assert_same,
    factors,
    make_images,
    reference,
    to_tensor,
)


def bgr_hue(img, shift):
    return mmcv_adjust_hue(np.ascontiguousarray(img[..., ::-1]), float(shift), backend='pillow')[..., ::-1]


def test_hue_equals_mmcv_pillow():
    images = make_images(5)
    shifts = [
        torch.tensor([-0.5, 0.5, 0.0, 1 / 255, -1 / 255, 0.003, -0.004, 0.25, -0.25, 0.1]),
        factors(6, -0.5, 0.5),
    ]
    for shift in shifts:
        assert_same(hue.adjust_hue(to_tensor(images), shift), reference(bgr_hue, images, shift.tolist()))


def test_hue_equals_mmcv_pillow_on_random_colours():
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (8, 128, 256, 3), dtype=np.uint8)  # 2**18 colours
    shift = factors(8, -0.5, 0.5, n=8)
    assert_same(hue.adjust_hue(to_tensor(images), shift), reference(bgr_hue, images, shift.tolist()))


def colour_cube():
    """All 2**24 uint8 triples as one (4096, 4096, 3) image."""
    code = np.arange(1 << 24, dtype=np.uint32)
    return np.stack([code >> 16, (code >> 8) & 255, code & 255], -1).astype(np.uint8).reshape(4096, 4096, 3)


def test_hsv_conversions_equal_pil_for_all_triples():
    # adjust_hue = HSV -> RGB of (RGB -> HSV with a rotated H): both conversions equal PIL's on every input, so the op
    # is exact for every colour and shift (the rotation itself is checked above).
    cube = colour_cube()
    as_tensor = to_tensor(cube[None])
    assert_same(hue._rgb_to_hsv(as_tensor), to_tensor(np.asarray(Image.fromarray(cube).convert('HSV'))[None]))
    as_rgb = np.asarray(Image.fromarray(cube, 'HSV').convert('RGB'))
    assert_same(hue._hsv_to_rgb(as_tensor), to_tensor(as_rgb[None]))


def test_hue_equals_mmcv_pillow_for_all_colours():
    # The rotation fused with both conversions (and the uint8 arithmetic around the lookups), on every colour.
    cube = colour_cube()
    as_tensor = to_tensor(cube[None])
    for shift in (0.25, -0.4, 0.5, -1 / 255):
        expected = reference(bgr_hue, cube[None], [shift])
        assert_same(hue.adjust_hue(as_tensor, torch.tensor([shift])), expected)
