"""Shared by the tests of the geometric ops: test images, layout conversions, exact per-sample comparison, Pillow."""

import numpy as np
import torch
from PIL import Image

SIZES = ((24, 32), (37, 29), (32, 32))  # (H, W)


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


def pil_affine(img, coeffs):
    im = pil(img)
    return from_pil(im.transform(im.size, Image.Transform.AFFINE, tuple(float(v) for v in coeffs)), img.shape[2])
