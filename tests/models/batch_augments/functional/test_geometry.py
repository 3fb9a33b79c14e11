"""Batched geometric ops against the per-image mmcv / mmpretrain / Pillow references, sample by sample, exactly."""

import mmcv
import numpy as np
import pytest
import torch

from mmssl_ext.datasets.transforms.clsa_randaugment import CLSA_OPS, op_parameter
from mmssl_ext.models.batch_augments.functional import geometry, resize
from tests.models.batch_augments.functional.geometry_helpers import (
    SIZES,
    assert_samples_equal,
    from_pil,
    mixed_images,
    pil,
    pil_affine,
    to_tensor,
)

# --- hflip -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('c', [1, 3])
def test_hflip_matches_mmcv_imflip(c):
    imgs = mixed_images(9, 24, 32, seed=1, c=c)
    flip = torch.tensor([True, False, True, True, False, False, True, False, True])
    out = geometry.hflip(to_tensor(imgs), flip)
    refs = [mmcv.imflip(img, 'horizontal') if f else img for img, f in zip(imgs, flip.tolist())]
    assert_samples_equal(out, refs)


# --- rotate / shear / translate (the CLSA RandAugment geometric ops) --------------------------------------------


def clsa(name, img, param):
    return from_pil(CLSA_OPS[name](pil(img), param), img.shape[2])


@pytest.mark.parametrize('hw', SIZES)
@pytest.mark.parametrize('c', [1, 3])
def test_rotate_matches_pil(hw, c):
    h, w = hw
    rng = np.random.RandomState(h + c)
    deg = np.concatenate([[0, 30, -30, 12, -27, 0.5, -0.25], rng.uniform(-30, 30, 7)]).astype(np.float32)
    imgs = mixed_images(len(deg), h, w, seed=w + c, c=c)
    out = geometry.rotate(to_tensor(imgs), torch.from_numpy(deg))
    assert_samples_equal(out, [clsa('Rotate', img, float(d)) for img, d in zip(imgs, deg)])


@pytest.mark.parametrize('hw', [(32, 32), (24, 32)])
def test_rotate_large_and_special_angles(hw):
    """Pillow's copy / transpose fast paths (0, 180, and 90 / 270 when square) and angles beyond 360."""
    deg = np.array([90, 180, 270, -90, 360, -360, 450, 725.5, -200, 1e-7], dtype=np.float64)
    imgs = mixed_images(len(deg), *hw, seed=12)
    out = geometry.rotate(to_tensor(imgs), torch.from_numpy(deg))
    assert_samples_equal(out, [from_pil(pil(img).rotate(float(d)), 3) for img, d in zip(imgs, deg)])


@pytest.mark.parametrize('hw', SIZES)
@pytest.mark.parametrize('name', ['ShearX', 'ShearY'])
def test_shear_matches_clsa(hw, name):
    h, w = hw
    rng = np.random.RandomState(w)
    factor = np.concatenate([[0, 0.3, -0.3, 0.03, -0.27], rng.uniform(-0.3, 0.3, 5)]).astype(np.float32)
    imgs = mixed_images(len(factor), h, w, seed=h)
    fn = geometry.shear_x if name == 'ShearX' else geometry.shear_y
    out = fn(to_tensor(imgs), torch.from_numpy(factor))
    assert_samples_equal(out, [clsa(name, img, float(s)) for img, s in zip(imgs, factor)])


@pytest.mark.parametrize('hw', SIZES)
@pytest.mark.parametrize('name', ['TranslateX', 'TranslateY'])
def test_translate_matches_clsa(hw, name):
    h, w = hw
    size = w if name == 'TranslateX' else h
    # CLSA's fractions +-0.03 v (v = 1..9) and 0
    frac = [0.0] + [sign * op_parameter(name, v) for v, sign in zip(range(1, 10), [1, -1] * 5)]
    pixels = np.array([int(f * size) for f in frac])  # as CLSA_OPS computes it
    assert np.abs(pixels).max() <= 9 and len(set(pixels.tolist())) > 5
    imgs = mixed_images(len(frac), h, w, seed=w)
    fn = geometry.translate_x if name == 'TranslateX' else geometry.translate_y
    out = fn(to_tensor(imgs), torch.from_numpy(pixels).float())
    assert_samples_equal(out, [clsa(name, img, float(f)) for img, f in zip(imgs, frac)])


@pytest.mark.parametrize('axis', [0, 1])
def test_translate_full_pixel_range(axis):
    pixels = np.arange(-9, 10)
    imgs = mixed_images(len(pixels), 37, 29, seed=13)
    fn = geometry.translate_x if axis == 0 else geometry.translate_y
    out = fn(to_tensor(imgs), torch.from_numpy(pixels).float())
    coeffs = [[1, 0, p, 0, 1, 0] if axis == 0 else [1, 0, 0, 0, 1, p] for p in pixels.tolist()]
    assert_samples_equal(out, [pil_affine(img, c) for img, c in zip(imgs, coeffs)])


def test_translate_positive_moves_content_left_and_up():
    img = torch.arange(5.0).repeat(1, 1, 5, 1)  # each row 0..4
    assert geometry.translate_x(img, torch.tensor([2.0]))[0, 0, 0].tolist() == [2, 3, 4, 0, 0]
    assert geometry.translate_y(img.transpose(2, 3), torch.tensor([2.0]))[0, 0, :, 0].tolist() == [2, 3, 4, 0, 0]


# --- contract: no input modification, errors -------------------------------------------------------------------


def all_ops(img):
    b = img.shape[0]
    boxes = torch.tensor([[0, 0, 5, 7]] * b)
    param = torch.linspace(-0.3, 0.3, b)
    return [
        resize.resized_crop(img, boxes, (9, 9)),
        geometry.hflip(img, param > 0),
        geometry.affine_nearest(img, torch.tensor([[1.0, 0.1, 0.5, -0.2, 1.0, 0.0]] * b)),
        geometry.rotate(img, param * 100),
        geometry.shear_x(img, param),
        geometry.shear_y(img, param),
        geometry.translate_x(img, (param * 10).round()),
        geometry.translate_y(img, (param * 10).round()),
    ]


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_inputs_not_modified(dtype):
    img = to_tensor(mixed_images(4, 12, 10, seed=0)).to(dtype)
    before = img.clone()
    outs = all_ops(img)
    assert torch.equal(img, before)
    assert all(o.dtype == dtype and o.data_ptr() != img.data_ptr() for o in outs)


def test_errors_name_the_argument():
    img = torch.zeros(2, 3, 8, 8)
    cases = [
        (lambda: resize.resized_crop(img, torch.zeros(2, 3, dtype=torch.long), (4, 4)), 'boxes'),
        (lambda: resize.resized_crop(img, torch.zeros(3, 4, dtype=torch.long), (4, 4)), 'boxes'),
        (lambda: resize.resized_crop(img, torch.zeros(2, 4), (4, 4)), 'boxes'),
        (lambda: resize.resized_crop(img, torch.tensor([[0, 0, 4, 4], [0, 0, 9, 4]]), (4, 4)), 'boxes'),
        (lambda: resize.resized_crop(img, torch.tensor([[0, 0, 4, 4], [-1, 0, 4, 4]]), (4, 4)), 'boxes'),
        (lambda: resize.resized_crop(img, torch.tensor([[0, 0, 4, 4], [3, 0, 3, 4]]), (4, 4)), 'boxes'),
        (lambda: resize.resized_crop(img, torch.tensor([[0, 0, 4, 4], [0, 5, 4, 9]]), (4, 4)), 'boxes'),
        (lambda: resize.resized_crop(img, torch.tensor([[0, 0, 4, 4]] * 2), (4, 0)), 'size'),
        (lambda: resize.resized_crop(img, torch.tensor([[0, 0, 4, 4]] * 2), 4), 'size'),
        (lambda: resize.resized_crop(img[0], torch.tensor([[0, 0, 4, 4]]), (4, 4)), 'img'),
        (lambda: geometry.hflip(img, torch.tensor([1, 0])), 'flip'),
        (lambda: geometry.hflip(img, torch.tensor([True])), 'flip'),
        (lambda: geometry.affine_nearest(img, torch.zeros(2, 5)), 'coeffs'),
        (lambda: geometry.affine_nearest(img.long(), torch.zeros(2, 6)), 'img'),
        (lambda: geometry.rotate(img, torch.zeros(2, 1)), 'degrees'),
        (lambda: geometry.rotate(img, torch.zeros(3)), 'degrees'),
        (lambda: geometry.rotate(img, torch.tensor([True, False])), 'degrees'),
        (lambda: geometry.shear_x(img, torch.zeros(1)), 'factor'),
        (lambda: geometry.shear_y(img, [0.1, 0.2]), 'factor'),
        (lambda: geometry.translate_x(img, torch.zeros(2, 2)), 'pixels'),
        (lambda: geometry.translate_y(img, torch.zeros(4)), 'pixels'),
    ]
    for fn, name in cases:
        with pytest.raises(ValueError, match=name):
            fn()
