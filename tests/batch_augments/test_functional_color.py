"""The batched photometric ops equal the per-image PIL / mmcv references, sample by sample and bit for bit."""

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmcv.transforms import RandomGrayscale
from PIL import Image, ImageEnhance, ImageOps

from mmssl_ext.compat import adjust_hue as mmcv_adjust_hue  # mmcv.adjust_hue, numpy-2-safe hue rotation
from mmssl_ext.models.batch_augments.functional import color, hue, tone

HEIGHT, WIDTH = 20, 24  # 480 pixels: equalize's step is 1 there, so its LUT clipping is exercised


def make_images(seed, height=HEIGHT, width=WIDTH):
    """(10, H, W, 3) uint8 RGB: noise, blurred noise, upsampled low-res, constant, constant channel, narrow range."""
    rng = np.random.default_rng(seed)

    def noise(shape=(height, width, 3), low=0, high=256):
        return rng.integers(low, high, shape, dtype=np.uint8)

    constant_channel = noise()
    constant_channel[..., 1] = 41
    images = [
        noise(),
        noise(),
        noise(),
        cv2.GaussianBlur(noise(), (0, 0), 1.5),
        cv2.GaussianBlur(noise(), (0, 0), 4.0),
        cv2.resize(noise((3, 4, 3)), (width, height), interpolation=cv2.INTER_LINEAR),
        cv2.resize(noise((5, 6, 3)), (width, height), interpolation=cv2.INTER_CUBIC),
        np.full((height, width, 3), 173, np.uint8),
        constant_channel,
        noise(low=100, high=141),
    ]
    return np.stack(images)


def to_tensor(images):
    """(B, H, W, C) or (B, H, W) uint8 -> (B, C, H, W) float32."""
    if images.ndim == 3:
        images = images[..., None]
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2))).float()


def reference(fn, images, params=None):
    """Apply the per-image ``fn(image, param)`` sample by sample; returns the (B, C, H, W) float32 result."""
    outs = [fn(img, None if params is None else params[i]) for i, img in enumerate(images)]
    return to_tensor(np.stack([np.asarray(o, dtype=np.uint8) for o in outs]))


def assert_same(out, expected):
    assert out.dtype == torch.float32 and out.shape == expected.shape
    diff = (out - expected).abs()
    assert torch.equal(out, expected), f'{int((diff > 0).sum())} values differ, max {float(diff.max())}'


def pil_enhance(cls):
    return lambda img, f: getattr(ImageEnhance, cls)(Image.fromarray(img)).enhance(float(f))


def factors(seed, low, high, n=10):
    """n float32 factors in [low, high] with both ends included."""
    values = np.random.default_rng(seed).uniform(low, high, n).astype(np.float32)
    values[:2] = (low, high)
    return torch.from_numpy(values)


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
