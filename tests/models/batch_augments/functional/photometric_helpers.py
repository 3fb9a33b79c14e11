"""Shared by the tests of the photometric ops (color, hue, tone): test images, the per-image reference, checks."""

import cv2
import numpy as np
import torch

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


def factors(seed, low, high, n=10):
    """n float32 factors in [low, high] with both ends included."""
    values = np.random.default_rng(seed).uniform(low, high, n).astype(np.float32)
    values[:2] = (low, high)
    return torch.from_numpy(values)
