"""Shared by the tests of the batched augmentations: images, layouts, the per-image call, KS statistics."""

import math

import numpy as np
import torch
from PIL import Image

BGR_WEIGHTS = (0.114, 0.587, 0.2989)


def smooth_images(n, h=32, w=32, seed=0):
    """uint8 RGB (n, h, w, 3): low-resolution noise upsampled, so blur, jitter and crops all change it."""
    rng = np.random.RandomState(seed)
    small = rng.randint(0, 256, (n, max(h // 4, 2), max(w // 4, 2), 3)).astype(np.uint8)
    return np.stack([np.asarray(Image.fromarray(s).resize((w, h), Image.BILINEAR)) for s in small])


def to_batch(rgb):
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(0, 3, 1, 2).float()


def to_rgb_arrays(batch):
    return batch.permute(0, 2, 3, 1).round().clamp(0, 255).to(torch.uint8).numpy()


def per_image_bgr(transform, rgb):
    """Run an mmcv-style transform on the BGR copy of an RGB image; return RGB."""
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    out = transform({'img': bgr, 'img_shape': bgr.shape[:2], 'ori_shape': bgr.shape[:2]})['img']
    return out[..., ::-1]


def ks_statistic(a, b):
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side='right') / len(a)
    cdf_b = np.searchsorted(b, grid, side='right') / len(b)
    return np.abs(cdf_a - cdf_b).max()


def ks_critical(n, m, alpha=1e-3):
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))
