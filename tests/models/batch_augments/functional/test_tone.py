"""The batched tone ops (solarize, posterize, autocontrast, equalize) equal PIL ``ImageOps`` / mmcv bit for bit."""

import mmcv
import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from mmssl_ext.models.batch_augments.functional import tone
from tests.models.batch_augments.functional.photometric_helpers import (
    HEIGHT,
    WIDTH,
    assert_same,
    factors,
    make_images,
    reference,
    to_tensor,
)


def lut_cases():
    thresholds = torch.tensor([0.0, 256.0, 128.0, 127.5, 1.0, 255.0, 200.0, 64.0, 100.3, 173.0])
    bits = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 4, 1])
    return [
        ('solarize', tone.solarize, lambda img, t: ImageOps.solarize(Image.fromarray(img), t), thresholds),
        ('posterize', tone.posterize, lambda img, b: ImageOps.posterize(Image.fromarray(img), int(b)), bits),
        ('autocontrast', tone.autocontrast, lambda img, _: ImageOps.autocontrast(Image.fromarray(img)), None),
        ('equalize', tone.equalize, lambda img, _: ImageOps.equalize(Image.fromarray(img)), None),
    ]


@pytest.mark.parametrize('name,op,pil_op,params', lut_cases(), ids=[c[0] for c in lut_cases()])
@pytest.mark.parametrize('channels', [3, 1])
@pytest.mark.parametrize('size', [(HEIGHT, WIDTH), (47, 40)])
def test_lut_ops_equal_pil(name, op, pil_op, params, channels, size):
    images = make_images(11, *size)
    if channels == 1:
        images = images[..., 1]
    args = () if params is None else (params,)
    expected = reference(pil_op, images, None if params is None else params.tolist())
    assert_same(op(to_tensor(images), *args), expected)


def test_solarize_equals_mmcv_solarize():
    images = make_images(12)
    thresholds = factors(13, 0.0, 256.0)
    expected = reference(lambda img, t: mmcv.solarize(img[..., ::-1], t)[..., ::-1], images, thresholds.tolist())
    assert_same(tone.solarize(to_tensor(images), thresholds), expected)


def test_equalize_lut_clipping_and_identity_like_pil():
    # 200 x 0, 200 x 7, 100 x 255: step = 400 // 255 = 1 and the LUT of 255 is 400 (PIL clips it to 255).
    # 100 x 0, 400 x 9: step = 100 // 255 = 0, the channel is left unchanged.
    images = np.zeros((2, 1, 500), np.uint8)
    images[0, 0, 200:400], images[0, 0, 400:] = 7, 255
    images[1, 0, 100:] = 9
    expected = reference(lambda img, _: ImageOps.equalize(Image.fromarray(img)), images)
    assert expected[0].unique().tolist() == [0.0, 200.0, 255.0] and torch.equal(expected[1], to_tensor(images)[1])
    assert_same(tone.equalize(to_tensor(images)), expected)
