"""The nearest-neighbour affine warp equals Pillow's ``Image.transform(AFFINE)`` on its three code paths exactly."""

import numpy as np
import pytest
import torch

from mmssl_ext.models.batch_augments.functional import geometry
from tests.models.batch_augments.functional.geometry_helpers import (
    SIZES,
    assert_samples_equal,
    mixed_images,
    pil_affine,
    to_tensor,
    to_uint8,
)


def check_affine(imgs, coeffs):
    out = geometry.affine_nearest(to_tensor(imgs), torch.tensor(coeffs, dtype=torch.float64))
    assert_samples_equal(out, [pil_affine(img, c) for img, c in zip(imgs, coeffs)])


@pytest.mark.parametrize('hw', SIZES)
def test_affine_general_coefficients(hw):
    """Pillow's 16.16 fixed-point path (any b or d != 0)."""
    h, w = hw
    rng = np.random.RandomState(w)
    coeffs = [list(rng.uniform(-1.5, 1.5, 6) * [1, 1, w, 1, 1, h]) for _ in range(10)]
    coeffs += [[round(v, 2) for v in rng.uniform(-1, 1, 6) * [1, 1, w, 1, 1, h]] for _ in range(6)]  # decimals
    coeffs.append([1, 0.25, -0.5, -0.125, 1, 1.5])  # dyadic: coordinates exactly on pixel edges
    check_affine(mixed_images(len(coeffs), h, w, seed=h), coeffs)


def test_affine_pure_scaling_accumulates_like_pillow():
    """b == d == 0: Pillow adds ``a`` pixel after pixel in double; x = 5 below lands on 0.9999999999999999."""
    h, w = 24, 32
    coeffs = [
        [0.1, 0, 0.45, 0, 1, 0],
        [0.7, 0, 0.3, 0, 0.3, 0.1],
        [-1, 0, 32, 0, -1, 24],
        [2, 0, -3, 0, 0.5, 2],
        [0.3, 0, 1.1, 0, 1.7, -0.2],
        [1, 0, 4, 0, 1, -3],
        [-0.6, 0, 17.3, 0, 0.9, 0.05],
        [1.5, 0, 0, 0, 1, 0],
    ]
    imgs = mixed_images(len(coeffs), h, w, seed=7)
    # a naive x_in = floor(c + a (x + 0.5)) would take pixel 1 at x = 5 for the first sample; Pillow takes 0
    assert int(np.floor(0.45 + 0.1 * 5.5)) == 1
    assert np.array_equal(pil_affine(imgs[0], coeffs[0])[:, 5], imgs[0][:, 0])
    check_affine(imgs, coeffs)


def test_affine_out_of_range_is_black_in_every_channel():
    imgs = mixed_images(4, 24, 32, seed=8)
    coeffs = [[1, 0, 100, 0, 1, 0], [1, 0.2, 0, 0, 1, -50], [-1, 0, -1, 0.1, 1, 0], [1, 0.5, -16, 0.5, 1, -12]]
    out = geometry.affine_nearest(to_tensor(imgs), torch.tensor(coeffs))
    assert out[:3].abs().sum() == 0
    # the last map is dyadic, so the pixel centres map exactly: x_in = x + (y + 1) / 2 - 15.75, y_in likewise
    yy, xx = np.mgrid[0:24, 0:32] + 0.5
    x_in, y_in = np.floor(xx + 0.5 * yy - 16).astype(int), np.floor(0.5 * xx + yy - 12).astype(int)
    inside = (x_in >= 0) & (x_in < 32) & (y_in >= 0) & (y_in < 24)
    assert inside.any() and (~inside).any()
    got = to_uint8(out[3:])[0]
    assert (got[~inside] == 0).all()
    assert np.array_equal(got[inside], imgs[3][y_in[inside], x_in[inside]])
    check_affine(imgs, coeffs)


def test_affine_fixed_point_versus_double_paths():
    """Pillow rounds the coefficients to 16.16 fixed point unless a corner maps beyond +-32768 pixels.

    With ``a = 0.75 - 2 ** -20`` the exact input x of pixel 4 is just below 3: the fixed-point path (a rounded
    to 0.75) takes pixel 3, the double path pixel 2. The first map stays in fixed point (b != 0); the second
    has a corner at -33510 so Pillow uses doubles (its visible row 20 starts at x_in = a x, all dyadic).
    """
    a = 0.75 - 2**-20
    fixed = [a, 2**-10, -(a / 2) - 2**-11, 0, 1, 0]
    fallback = [a, 1634.625, -33509.8125 - a / 2, 0, 1, 0]
    imgs = mixed_images(4, 24, 32, seed=9)
    coeffs = [fixed, fallback, [1, 2000, -41000, 0, 1, 0], [1, 0, 0, 1500, 1, -33750]]
    check_affine(imgs, coeffs)
    out = to_uint8(geometry.affine_nearest(to_tensor(imgs), torch.tensor(coeffs, dtype=torch.float64)))
    assert np.array_equal(out[0][0, 4], imgs[0][0, 3]) and np.array_equal(out[1][20, 4], imgs[1][20, 2])
    assert out[1][20].any() and not out[1][:20].any() and not out[1][21:].any()
    assert out[2][20].any() and out[3][:, 22].any()  # the other fallback maps show a row / a column


def test_affine_float32_coefficients():
    imgs = mixed_images(8, 37, 29, seed=10)
    coeffs = torch.from_numpy(np.random.RandomState(0).uniform(-1, 1, (8, 6)).astype(np.float32))
    coeffs[:, 2] *= 29
    coeffs[:, 5] *= 37
    out = geometry.affine_nearest(to_tensor(imgs), coeffs)
    assert_samples_equal(out, [pil_affine(img, c.tolist()) for img, c in zip(imgs, coeffs)])
