"""Batched geometric ops against the per-image mmcv / mmpretrain / Pillow references, sample by sample, exactly."""

import mmcv
import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import RandomResizedCrop
from PIL import Image

from mmssl_ext.datasets.transforms.clsa_randaugment import CLSA_OPS, op_parameter
from mmssl_ext.models.batch_augments.functional import geometry, resize

SIZES = ((24, 32), (37, 29), (32, 32))  # (H, W)


# --- helpers ---------------------------------------------------------------------------------------------------


def noise_images(n, h, w, seed, c=3):
    return np.random.RandomState(seed).randint(0, 256, (n, h, w, c), dtype=np.uint8)


def smooth_images(n, h, w, seed, c=3):
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((n, h, w, c), np.uint8)
    for i in range(n):
        for ch in range(c):
            fx, fy, phase = rng.uniform(0.02, 0.3), rng.uniform(0.02, 0.3), rng.uniform(0, 6.3)
            wave = 127.5 + 127.5 * np.sin(fx * xx + fy * yy + phase) * rng.uniform(0.3, 1.0)
            out[i, :, :, ch] = np.clip(np.round(wave + rng.uniform(-40, 40) * xx / w), 0, 255)
    return out


def mixed_images(n, h, w, seed, c=3):
    """Noise in the even samples, smooth images in the odd ones."""
    out = noise_images(n, h, w, seed, c)
    out[1::2] = smooth_images(n, h, w, seed + 1, c)[1::2]
    return out


def to_tensor(batch):
    """(B, H, W, C) uint8 -> (B, C, H, W) float32."""
    return torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float()


def to_uint8(out):
    """(B, C, H, W) float32 of integral values in [0, 255] -> (B, H, W, C) uint8; fails on anything else."""
    assert out.dtype == torch.float32
    assert torch.equal(out, out.round()) and out.min() >= 0 and out.max() <= 255
    return out.permute(0, 2, 3, 1).numpy().astype(np.uint8)


def pil(img):
    """HxWx1 or HxWx3 uint8 -> PIL image ('L' or 'RGB')."""
    return Image.fromarray(img[..., 0] if img.shape[2] == 1 else img)


def from_pil(im, c):
    arr = np.asarray(im)
    return arr[..., None] if c == 1 else arr


def assert_samples_equal(out, refs):
    got = to_uint8(out)
    assert got.shape[0] == len(refs)
    for i, ref in enumerate(refs):
        ref = ref if ref.ndim == 3 else ref[..., None]
        assert got[i].shape == ref.shape, f'sample {i}'
        diff = np.abs(got[i].astype(int) - ref.astype(int))
        assert diff.max() == 0, f'sample {i}: {np.count_nonzero(diff)} values differ, max {diff.max()}'


# --- resized_crop ----------------------------------------------------------------------------------------------


def mmcv_resized_crop(img, box, size):
    """mmpretrain's RandomResizedCrop after its box draw: mmcv.imcrop (inclusive bbox) + Pillow bilinear resize."""
    x0, y0, x1, y1 = box
    patch = mmcv.imcrop(img, np.array([x0, y0, x1 - 1, y1 - 1]))
    return mmcv.imresize(patch, (size[1], size[0]), interpolation='bilinear', backend='pillow')


def random_boxes(n, h, w, rng):
    boxes = []
    for _ in range(n):
        bw, bh = rng.randint(1, w + 1), rng.randint(1, h + 1)
        x0, y0 = rng.randint(0, w - bw + 1), rng.randint(0, h - bh + 1)
        boxes.append([x0, y0, x0 + bw, y0 + bh])
    return boxes


def vertical_first(box, size):
    """Pillow 13 (checked against its binary) resamples vertically first when the height shrinks by more than
    twice the width shrink; used here only to check that both orders are covered."""
    cw, ch = box[2] - box[0], box[3] - box[1]
    return ch - size[0] > 0 and ch - size[0] > 2 * (cw - size[1])


def check_resized_crop(imgs, boxes, size):
    out = resize.resized_crop(to_tensor(imgs), torch.tensor(boxes), size)
    assert out.shape == (len(boxes), imgs.shape[3], *size)
    assert_samples_equal(out, [mmcv_resized_crop(img, box, size) for img, box in zip(imgs, boxes)])


@pytest.mark.parametrize('hw', SIZES)
@pytest.mark.parametrize('size', [(32, 32), (28, 28), (16, 16), (20, 12)])
def test_resized_crop_random_boxes(hw, size):
    h, w = hw
    rng = np.random.RandomState(h * 1000 + w + size[0])
    boxes = random_boxes(12, h, w, rng)
    boxes[0] = [0, 0, w, h]  # the full image
    boxes[1] = [w - 5, h - 3, w, h]  # a tiny crop in the corner (5x3 -> upscaled)
    boxes[2] = [2, 0, 3, h]  # a one-pixel-wide column (aspect extreme)
    boxes[3] = [0, 4, w, 5]  # a one-pixel-high row
    check_resized_crop(mixed_images(12, h, w, seed=h + w), boxes, size)


def test_resized_crop_tiny_crops_upscaled():
    imgs = mixed_images(8, 24, 32, seed=3)
    boxes = [
        [0, 0, 5, 3],
        [27, 21, 32, 24],
        [10, 10, 13, 15],
        [4, 7, 5, 8],
        [0, 0, 2, 24],
        [0, 0, 32, 2],
        [30, 1, 32, 4],
        [11, 12, 14, 17],
    ]
    check_resized_crop(imgs, boxes, (32, 32))


def test_resized_crop_downscale_224_sources():
    h, w = 224, 256
    imgs = mixed_images(8, h, w, seed=5)
    boxes = [
        [0, 0, w, h],
        [20, 30, 220, 180],
        [56, 0, 206, 224],
        [0, 12, 256, 112],
        [3, 4, 203, 204],
        [100, 10, 196, 220],
        [0, 0, 40, 224],
        [10, 100, 250, 130],
    ]
    size = (96, 96)
    orders = {vertical_first(b, size) for b in boxes}
    assert orders == {True, False}  # both of Pillow's pass orders are exercised
    check_resized_crop(imgs, boxes, size)


@pytest.mark.parametrize('size', [(16, 16), (28, 40), (7, 96)])
def test_resized_crop_mixed_orders_random(size):
    h, w = 120, 90
    rng = np.random.RandomState(size[1])
    boxes = random_boxes(16, h, w, rng)
    boxes[0], boxes[1] = [0, 0, w, 5], [0, 0, 10, h]  # a short crop (horizontal first) and a tall one
    assert {vertical_first(b, size) for b in boxes} == {True, False}
    check_resized_crop(mixed_images(16, h, w, seed=9), boxes, size)


def test_resized_crop_device_path_both_orders(monkeypatch):
    """The non-CPU code path (both orders on the whole batch, then torch.where) is exact too."""
    select = resize._pass_order_select
    monkeypatch.setattr(resize, '_pass_order_select', lambda *args: select(*args[:-1], False))
    h, w = 60, 44
    boxes = random_boxes(10, h, w, np.random.RandomState(2))
    boxes[0] = [0, 0, 10, 60]  # tall: vertical pass first
    boxes[1] = [0, 0, 44, 12]  # wide: horizontal pass first
    check_resized_crop(mixed_images(10, h, w, seed=4), boxes, (24, 20))


def test_resized_crop_matches_mmpretrain_random_resized_crop():
    """End to end: mmpretrain's own transform with its drawn box (same numpy seed) equals resized_crop."""
    transform = RandomResizedCrop(scale=32, crop_ratio_range=(0.08, 1.0), backend='pillow')
    imgs = mixed_images(8, 37, 29, seed=11)
    boxes, refs = [], []
    for i, img in enumerate(imgs):
        np.random.seed(100 + i)
        oh, ow, th, tw = transform.rand_crop_params(img)
        np.random.seed(100 + i)
        refs.append(transform.transform({'img': img.copy()})['img'])
        boxes.append([ow, oh, ow + tw, oh + th])
    assert_samples_equal(resize.resized_crop(to_tensor(imgs), torch.tensor(boxes), (32, 32)), refs)


def test_resized_crop_single_channel_and_int32_boxes():
    imgs = mixed_images(8, 37, 29, seed=6, c=1)
    boxes = random_boxes(8, 37, 29, np.random.RandomState(6))
    out = resize.resized_crop(to_tensor(imgs), torch.tensor(boxes, dtype=torch.int32), (28, 28))
    refs = [np.asarray(pil(img).crop(tuple(b)).resize((28, 28), Image.BILINEAR)) for img, b in zip(imgs, boxes)]
    assert_samples_equal(out, refs)


def test_resized_crop_empty_batch():
    out = resize.resized_crop(torch.zeros(0, 3, 8, 8), torch.zeros(0, 4, dtype=torch.int64), (4, 4))
    assert out.shape == (0, 3, 4, 4)


# --- hflip -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('c', [1, 3])
def test_hflip_matches_mmcv_imflip(c):
    imgs = mixed_images(9, 24, 32, seed=1, c=c)
    flip = torch.tensor([True, False, True, True, False, False, True, False, True])
    out = geometry.hflip(to_tensor(imgs), flip)
    refs = [mmcv.imflip(img, 'horizontal') if f else img for img, f in zip(imgs, flip.tolist())]
    assert_samples_equal(out, refs)


# --- affine_nearest --------------------------------------------------------------------------------------------


def pil_affine(img, coeffs):
    im = pil(img)
    return from_pil(im.transform(im.size, Image.Transform.AFFINE, tuple(float(v) for v in coeffs)), img.shape[2])


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


def test_rotate_matrix_matches_pillow(monkeypatch):
    """The matrix Image.rotate hands to Image.transform (captured), within one unit of round(., 15)."""
    captured = []
    transform = Image.Image.transform

    def spy(self, size, method, data=None, *args, **kwargs):
        captured.append(tuple(data))
        return transform(self, size, method, data, *args, **kwargs)

    monkeypatch.setattr(Image.Image, 'transform', spy)
    deg = np.random.RandomState(0).uniform(-400, 400, 300).astype(np.float32)
    im = Image.new('L', (29, 37))
    for d in deg:
        im.rotate(float(d))
    ref = torch.tensor(captured, dtype=torch.float64)
    got = geometry._rotate_coeffs(torch.from_numpy(deg).double(), 37, 29)
    assert ref.shape == got.shape == (300, 6)
    assert (ref - got).abs().max() <= 2e-14  # c, f: one unit of 1e-15 in a, b times the half size
    assert (ref == got).all(1).float().mean() > 0.97


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
