"""The batched colour ops equal PIL ``ImageEnhance`` / mmcv's grayscale bit for bit, and the contract of all the
photometric ops (color, hue, tone: inputs unchanged, any memory layout, the argument checks they share with
``color``, CUDA equal to the CPU without a host sync)."""

import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import RandomGrayscale
from PIL import Image, ImageEnhance

from mmssl_ext.models.batch_augments.functional import color, hue, tone
from tests.models.batch_augments.functional.photometric_helpers import (
    HEIGHT,
    WIDTH,
    assert_same,
    factors,
    make_images,
    reference,
    to_tensor,
)


def pil_enhance(cls):
    return lambda img, f: getattr(ImageEnhance, cls)(Image.fromarray(img)).enhance(float(f))


ENHANCE = [
    (color.adjust_brightness, 'Brightness'),
    (color.adjust_contrast, 'Contrast'),
    (color.adjust_saturation, 'Color'),
    (color.adjust_sharpness, 'Sharpness'),
]


@pytest.mark.parametrize('op,cls', ENHANCE, ids=[c for _, c in ENHANCE])
@pytest.mark.parametrize('low,high', [(0.2, 1.8), (0.0, 2.0), (-0.7, 3.5)])
def test_enhance_equals_pil(op, cls, low, high):
    images = make_images(1)
    for seed in range(3):  # each image meets several factors
        f = factors(seed + 10 * int(high), low, high)
        assert_same(op(to_tensor(images), f), reference(pil_enhance(cls), images, f.tolist()))


@pytest.mark.parametrize('op,cls', [e for e in ENHANCE if e[1] != 'Color'], ids=['Brightness', 'Contrast', 'Sharpness'])
def test_enhance_grayscale_equals_pil_l_mode(op, cls):
    gray = make_images(2)[..., 0]
    f = factors(3, 0.0, 2.0)
    assert_same(op(to_tensor(gray), f), reference(pil_enhance(cls), gray, f.tolist()))


@pytest.mark.filterwarnings('ignore::UserWarning')  # mmcv.adjust_color warns that pillow only uses alpha
def test_jitter_ops_equal_mmcv_pillow_backend():
    # mmpretrain's ColorJitter (backend='pillow', the default) calls these on the BGR image.
    mmcv_ops = {
        color.adjust_brightness: lambda img, f: mmcv.adjust_brightness(img, f, backend='pillow'),
        color.adjust_contrast: lambda img, f: mmcv.adjust_contrast(img, f, backend='pillow'),
        color.adjust_saturation: lambda img, f: mmcv.adjust_color(img, alpha=f, backend='pillow'),
    }
    images = make_images(20)
    f = factors(21, 0.2, 1.8)
    for op, mmcv_op in mmcv_ops.items():
        bgr_outs = [mmcv_op(np.ascontiguousarray(img[..., ::-1]), factor) for img, factor in zip(images, f.tolist())]
        assert_same(op(to_tensor(images), f), to_tensor(np.stack(bgr_outs)[..., ::-1]))


def test_contrast_mean_rounds_like_pil():
    # L means of exactly x.5 (rounded up by PIL) and just around it; factor 0 returns the mean grey itself.
    images = np.zeros((4, 2, 2, 3), np.uint8)
    images[0, 0, 0] = 2  # L sum 2 over 4 pixels: mean 0.5 -> 1
    images[1, 0, :] = 3  # L sum 6: mean 1.5 -> 2
    images[2, 0, 0] = 1  # L sum 1: mean 0.25 -> 0
    images[3] = [[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]]
    f = torch.tensor([0.0, 0.0, 0.0, 0.5])
    expected = reference(pil_enhance('Contrast'), images, f.tolist())
    assert expected[:3, :, 0, 0].tolist() == [[1.0] * 3, [2.0] * 3, [0.0] * 3]
    assert_same(color.adjust_contrast(to_tensor(images), f), expected)


def test_sharpness_small_images_unchanged_like_pil():
    images = np.random.default_rng(4).integers(0, 256, (3, 2, 7, 3), dtype=np.uint8)
    f = torch.tensor([0.0, 1.7, 2.0])
    out = color.adjust_sharpness(to_tensor(images), f)
    assert_same(out, reference(pil_enhance('Sharpness'), images, f.tolist()))
    assert torch.equal(out, to_tensor(images))


@pytest.mark.parametrize('rgb_weights', [(0.2989, 0.587, 0.114), (1.0, 1.0, 1.0), (0.3, 0.59, 0.11), (2, 0, 1)])
def test_to_grayscale_equals_mmcv_random_grayscale(rgb_weights):
    transform = RandomGrayscale(prob=1.0, keep_channels=True, channel_weights=tuple(reversed(rgb_weights)))

    def mmcv_gray(img, _):
        return transform.transform({'img': np.ascontiguousarray(img[..., ::-1])})['img'][..., ::-1]

    rng = np.random.default_rng(9)
    images = np.concatenate([make_images(9), rng.integers(0, 256, (4, HEIGHT, WIDTH, 3), dtype=np.uint8)])
    assert_same(color.to_grayscale(to_tensor(images), rgb_weights), reference(mmcv_gray, images))
    many = rng.integers(0, 256, (1, 512, 512, 3), dtype=np.uint8)
    assert_same(color.to_grayscale(to_tensor(many), rgb_weights), reference(mmcv_gray, many))


def all_ops(batch, gen=None):
    rng = torch.Generator().manual_seed(0) if gen is None else gen
    f = torch.rand(batch, generator=rng) * 1.6 + 0.2
    return {
        'adjust_brightness': (color.adjust_brightness, f),
        'adjust_contrast': (color.adjust_contrast, f),
        'adjust_saturation': (color.adjust_saturation, f),
        'adjust_sharpness': (color.adjust_sharpness, f),
        'adjust_hue': (hue.adjust_hue, (f - 1.0) * 0.6),
        'to_grayscale': (lambda img: color.to_grayscale(img, (0.2989, 0.587, 0.114)), None),
        'solarize': (tone.solarize, f * 128),
        'posterize': (tone.posterize, torch.randint(1, 9, (batch,), generator=rng)),
        'autocontrast': (tone.autocontrast, None),
        'equalize': (tone.equalize, None),
    }


@pytest.mark.parametrize('name', list(all_ops(1)))
def test_input_unchanged_and_layout_independent(name):
    img = to_tensor(make_images(14))
    op, param = all_ops(img.shape[0])[name]
    args = () if param is None else (param,)
    before = img.clone()
    out = op(img, *args)
    assert torch.equal(img, before)
    assert out.dtype == torch.float32 and out.shape == img.shape
    assert torch.equal(op(img.contiguous(memory_format=torch.channels_last), *args), out)


PARAM_NAMES = {
    'adjust_brightness': 'factor',
    'adjust_contrast': 'factor',
    'adjust_saturation': 'factor',
    'adjust_sharpness': 'factor',
    'adjust_hue': 'shift',
    'solarize': 'threshold',
    'posterize': 'bits',
}


@pytest.mark.parametrize('name', list(PARAM_NAMES))
def test_wrong_parameter_shape_raises(name):
    img = to_tensor(make_images(15)[:4])
    op = next(getattr(m, name) for m in (color, hue, tone) if hasattr(m, name))
    good = all_ops(4)[name][1]
    for bad in (good[:3], good.view(4, 1), torch.cat([good, good])):
        with pytest.raises(ValueError, match=rf'{name}: {PARAM_NAMES[name]} must be a tensor of shape \(B,\) = \(4,\)'):
            op(img, bad)
    with pytest.raises(ValueError, match=PARAM_NAMES[name]):
        op(img, 1.0)


def test_bad_images_and_arguments_raise():
    img = to_tensor(make_images(16)[:2])
    f = torch.ones(2)
    for op in (color.adjust_saturation, hue.adjust_hue):
        with pytest.raises(ValueError, match=r'C in \(3,\)'):
            op(img[:, :1], f)
    with pytest.raises(ValueError, match=r'C in \(3,\)'):
        color.to_grayscale(img[:, :1])
    with pytest.raises(ValueError, match='float32'):
        color.adjust_brightness(img.double(), f)
    with pytest.raises(ValueError, match=r'\(B, C, H, W\)'):
        tone.equalize(img[0])
    with pytest.raises(ValueError, match='bits must be an integer tensor'):
        tone.posterize(img, torch.full((2,), 4.0))
    for weights in ((1.0, 2.0), (1.0, -1.0, 1.0), (0, 0, 0), torch.ones(3)):
        with pytest.raises(ValueError, match='weights must be 3 non-negative numbers'):
            color.to_grayscale(img, weights)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu_without_host_sync():
    img = to_tensor(make_images(17))
    ops = all_ops(img.shape[0])
    cuda_img = img.cuda()
    for name, (op, param) in ops.items():
        args = () if param is None else (param,)
        cuda_args = () if param is None else (param.cuda(),)
        op(cuda_img, *cuda_args)  # warm-up: builds the lookup tables on the device
        torch.cuda.set_sync_debug_mode('error')
        try:
            out = op(cuda_img, *cuda_args)
        finally:
            torch.cuda.set_sync_debug_mode('default')
        assert torch.equal(out.cpu(), op(img, *args)), name
