"""The batched crop + resize equals mmcv's crop + Pillow bilinear resize (mmpretrain's RandomResizedCrop) exactly."""

import mmcv
import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import RandomResizedCrop
from PIL import Image

from mmssl_ext.models.batch_augments.functional import resize
from tests.models.batch_augments.functional.geometry_helpers import (
    SIZES,
    assert_samples_equal,
    mixed_images,
    pil,
    to_tensor,
)


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
