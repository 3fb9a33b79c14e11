"""numpy-2-safe mmcv.adjust_hue: same results as the wrap-around rotation, and ColorJitter runs."""

import cv2
import mmcv
import numpy as np
import pytest

from mmssl_ext.compat import adjust_hue


def reference_hue(img, hue_factor):
    """numpy-1 semantics: rotate the 8-bit hue by int(f * 255) modulo 256 (OpenCV full-range HSV)."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL).astype(np.int64)
    hsv[..., 0] = (hsv[..., 0] + int(hue_factor * 255)) % 256
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR_FULL)


@pytest.mark.parametrize('factor', [-0.5, -0.23, -0.01, 0.0, 0.17, 0.5])
def test_cv2_backend_matches_reference(factor):
    img = np.random.RandomState(0).randint(0, 256, (16, 16, 3), dtype=np.uint8)
    np.testing.assert_array_equal(adjust_hue(img, factor, backend='cv2'), reference_hue(img, factor))


def test_pillow_negative_and_positive_shifts_are_inverse_rotations():
    img = np.random.RandomState(1).randint(0, 256, (16, 16, 3), dtype=np.uint8)
    there = adjust_hue(img, 0.2, backend='pillow')
    back = adjust_hue(there, -0.2, backend='pillow')  # int(51.0)=51 and int(-51.0)=-51: exact inverse on H
    assert np.abs(back.astype(int) - img.astype(int)).mean() < 3.0
    assert np.abs(there.astype(int) - img.astype(int)).mean() > 10.0


def test_mmcv_is_patched_and_colorjitter_with_hue_runs():
    from mmpretrain.datasets.transforms import ColorJitter

    assert mmcv.adjust_hue is adjust_hue
    jitter = ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.5, backend='pillow')
    img = np.random.RandomState(2).randint(0, 256, (8, 8, 3), dtype=np.uint8)
    for _ in range(50):  # a negative hue factor came up with probability 1/2 each time
        assert jitter(dict(img=img.copy()))['img'].shape == (8, 8, 3)


def test_bad_arguments():
    img = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match='hue_factor'):
        adjust_hue(img, 0.7)
    with pytest.raises(ValueError, match='backend'):
        adjust_hue(img, 0.1, backend='tf')
