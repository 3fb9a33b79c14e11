"""The batched Gaussian blur equals mmpretrain's ``GaussianBlur`` (PIL's ``ImageFilter.GaussianBlur``) bit for bit."""

import cv2
import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import GaussianBlur
from PIL import Image, ImageFilter

from mmssl_ext.models.batch_augments.functional import blur
from mmssl_ext.models.batch_augments.functional.blur import gaussian_blur


def make_images(seed, height=21, width=26):
    """(10, H, W, 3) uint8 RGB: noise, blurred noise, upsampled low-res, constant, constant channel, two-level."""
    rng = np.random.default_rng(seed)

    def noise(shape=(height, width, 3), low=0, high=256):
        return rng.integers(low, high, shape, dtype=np.uint8)

    constant_channel = noise()
    constant_channel[..., 2] = 250
    images = [
        noise(),
        noise(),
        noise(),
        cv2.GaussianBlur(noise(), (0, 0), 1.5),
        cv2.resize(noise((3, 4, 3)), (width, height), interpolation=cv2.INTER_LINEAR),
        cv2.resize(noise((5, 6, 3)), (width, height), interpolation=cv2.INTER_CUBIC),
        np.full((height, width, 3), 91, np.uint8),
        constant_channel,
        np.where(rng.random((height, width, 1)) < 0.5, 0, 255).astype(np.uint8).repeat(3, axis=2),
        noise(low=120, high=136),
    ]
    return np.stack(images)


def to_tensor(images):
    """(B, H, W, C) or (B, H, W) uint8 -> (B, C, H, W) float32."""
    if images.ndim == 3:
        images = images[..., None]
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2))).float()


def mmpretrain_blur(images, sigmas):
    """mmpretrain's GaussianBlur(radius=sigma, prob=1) per image; images are BGR/RGB alike (channels blur alone)."""
    outs = [
        GaussianBlur(radius=float(s), prob=1.0).transform({'img': img.copy()})['img'] for img, s in zip(images, sigmas)
    ]
    return to_tensor(np.stack(outs))


def pil_blur(images, sigmas):
    outs = [
        np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(float(s)))) for img, s in zip(images, sigmas)
    ]
    return to_tensor(np.stack(outs))


def assert_same(out, expected):
    assert out.dtype == torch.float32 and out.shape == expected.shape
    diff = (out - expected).abs()
    assert torch.equal(out, expected), f'{int((diff > 0).sum())} values differ, max {float(diff.max())}'


def sigmas(seed, low, high, n):
    values = np.random.default_rng(seed).uniform(low, high, n).astype(np.float32)
    values[:2] = (low, high)
    return torch.from_numpy(values)


def test_blur_equals_mmpretrain_gaussian_blur():
    images = make_images(0)
    for seed in range(4):  # each image meets several sigmas of the configs' range
        sigma = sigmas(seed, 0.1, 2.0, len(images))
        assert_same(gaussian_blur(to_tensor(images), sigma), mmpretrain_blur(images, sigma.tolist()))


def test_blur_sigma_sweep_equals_pil():
    # One noise image per sigma: box radii 0..3 in 0..2.5 and wider ones up to 30, each with its own weights.
    sigma = torch.cat([torch.linspace(0.0, 2.5, 251), torch.tensor([3.0, 4.7, 6.0, 8.5, 12.5, 30.0])])
    images = np.random.default_rng(1).integers(0, 256, (len(sigma), 9, 14, 3), dtype=np.uint8)
    assert_same(gaussian_blur(to_tensor(images), sigma), pil_blur(images, sigma.tolist()))


@pytest.mark.parametrize('size', [(1, 1), (1, 6), (2, 3), (5, 2), (4, 4)])
def test_blur_box_wider_than_image_equals_pil(size):
    sigma = torch.tensor([0.1, 0.8, 1.5, 2.0, 3.3, 7.0, 15.0, 40.0])
    images = np.random.default_rng(2).integers(0, 256, (len(sigma), *size, 3), dtype=np.uint8)
    assert_same(gaussian_blur(to_tensor(images), sigma), pil_blur(images, sigma.tolist()))


@pytest.mark.parametrize(
    'schedule',
    [
        dict(_CPU_CHUNK_ELEMENTS=1600),  # chunks of 4 samples, the last one shorter
        dict(_CPU_SINGLE_BLOCK_ELEMENTS=0, _CPU_LARGE_CHUNK_ELEMENTS=3000, _CPU_BLOCK_ELEMENTS=300),  # row blocks
        dict(_CPU_SINGLE_BLOCK_ELEMENTS=0, _CPU_LARGE_CHUNK_ELEMENTS=1, _CPU_BLOCK_ELEMENTS=1),  # 1 sample, 1 row
        'device',  # the schedule of non-CPU devices: one chunk, one block, cumsum
    ],
    ids=['chunks', 'row-blocks', 'single-rows', 'device'],
)
def test_blur_schedules_equal_pil(monkeypatch, schedule):
    if schedule == 'device':
        monkeypatch.setattr(blur, '_schedule', lambda shape, device: (shape[0], shape[3], shape[2], False))
    else:
        for name, value in schedule.items():
            monkeypatch.setattr(blur, name, value)
    sigma = torch.cat([torch.linspace(0.0, 2.5, 26), torch.tensor([3.0, 4.7, 8.5, 30.0])])
    images = np.random.default_rng(11).integers(0, 256, (len(sigma), 13, 10, 3), dtype=np.uint8)
    assert_same(gaussian_blur(to_tensor(images), sigma), pil_blur(images, sigma.tolist()))
    gray = images[:7, :, :, 0]
    assert_same(gaussian_blur(to_tensor(gray), sigma[-7:]), pil_blur(gray, sigma[-7:].tolist()))


def test_blur_one_channel_equals_pil_l_mode():
    gray = make_images(3, 30, 17)[..., 0]
    sigma = sigmas(4, 0.1, 2.0, len(gray))
    assert_same(gaussian_blur(to_tensor(gray), sigma), mmpretrain_blur(gray, sigma.tolist()))


def test_blur_zero_sigma_is_identity_and_blur_smooths():
    img = to_tensor(make_images(5))
    assert torch.equal(gaussian_blur(img, torch.zeros(len(img))), img)
    noise = img[:3]
    blurred = gaussian_blur(noise, torch.full((3,), 2.0))
    assert blurred.std() < 0.5 * noise.std()


def test_blur_input_unchanged_and_layout_independent():
    img = to_tensor(make_images(6))
    sigma = sigmas(7, 0.1, 2.0, len(img))
    before, sigma_before = img.clone(), sigma.clone()
    out = gaussian_blur(img, sigma)
    assert torch.equal(img, before) and torch.equal(sigma, sigma_before)
    assert out.dtype == torch.float32 and out.shape == img.shape and out.is_contiguous()
    assert torch.equal(gaussian_blur(img.contiguous(memory_format=torch.channels_last), sigma), out)
    assert torch.equal(gaussian_blur(img, sigma.double()), out)


def test_blur_bad_arguments_raise():
    img = to_tensor(make_images(8)[:4])
    for bad in (torch.ones(3), torch.ones(4, 1), torch.ones(5), 1.0):
        with pytest.raises(ValueError, match=r'gaussian_blur: sigma must be a tensor of shape \(B,\) = \(4,\)'):
            gaussian_blur(img, bad)
    for bad_img in (img[0], img.double(), img.to(torch.uint8)):
        with pytest.raises(ValueError, match=r'img must be a \(B, C, H, W\) float32 tensor'):
            gaussian_blur(bad_img, torch.ones(4))


def test_blur_empty_batch():
    out = gaussian_blur(torch.zeros(0, 3, 8, 8), torch.zeros(0))
    assert out.shape == (0, 3, 8, 8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_blur_cuda_matches_cpu_without_host_sync():
    img = to_tensor(make_images(9))
    sigma = sigmas(10, 0.1, 2.0, len(img))
    cuda_img, cuda_sigma = img.cuda(), sigma.cuda()
    gaussian_blur(cuda_img, cuda_sigma)
    torch.cuda.set_sync_debug_mode('error')
    try:
        out = gaussian_blur(cuda_img, cuda_sigma)
    finally:
        torch.cuda.set_sync_debug_mode('default')
    assert torch.equal(out.cpu(), gaussian_blur(img, sigma))
