"""BatchRandomResizedCrop: equal to mmpretrain's RandomResizedCrop given the box, the box distribution, errors."""

import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import RandomResizedCrop

from mmssl_ext.models.batch_augments import BatchRandomResizedCrop, sample_crop_boxes
from tests.models.batch_augments.augment_helpers import (
    ks_critical,
    ks_statistic,
    per_image_bgr,
    smooth_images,
    to_batch,
    to_rgb_arrays,
)


def test_random_resized_crop_fixed_boxes_equal_mmpretrain():
    rgb = smooth_images(6, 32, 32, seed=3)
    boxes = torch.tensor([[0, 0, 32, 32], [3, 5, 12, 9], [10, 2, 31, 30], [0, 20, 7, 32], [5, 5, 6, 6], [1, 0, 30, 32]])
    crop = BatchRandomResizedCrop(size=24)
    out = to_rgb_arrays(crop.apply(to_batch(rgb), {'boxes': boxes}))
    for i, (x0, y0, x1, y1) in enumerate(boxes.tolist()):
        ref = RandomResizedCrop(scale=24, backend='pillow')
        ref.rand_crop_params = lambda img, p=(y0, x0, y1 - y0, x1 - x0): p
        np.testing.assert_array_equal(out[i], per_image_bgr(ref, rgb[i]), err_msg=f'box {i}')


def test_crop_boxes_follow_mmpretrain_distribution():
    n = 3000
    np.random.seed(0)
    torch.manual_seed(0)
    ref = RandomResizedCrop(scale=32, crop_ratio_range=(0.08, 1.0))
    img = np.zeros((32, 40, 3), np.uint8)
    ref_boxes = np.array([ref.rand_crop_params(img) for _ in range(n)])  # (oh, ow, th, tw)
    ours = sample_crop_boxes(n, 32, 40, (0.08, 1.0), (3 / 4, 4 / 3)).numpy()  # (x0, y0, x1, y1)
    ours_h, ours_w = ours[:, 3] - ours[:, 1], ours[:, 2] - ours[:, 0]
    assert (ours[:, 0] >= 0).all() and (ours[:, 2] <= 40).all() and (ours[:, 1] >= 0).all() and (ours[:, 3] <= 32).all()
    crit = ks_critical(n, n)
    for name, a, b in [
        ('area', ours_h * ours_w, ref_boxes[:, 2] * ref_boxes[:, 3]),
        ('log ratio', np.log(ours_w / ours_h), np.log(ref_boxes[:, 3] / ref_boxes[:, 2])),
        ('x0', ours[:, 0], ref_boxes[:, 1]),
        ('y centre', ours[:, 1] + ours_h / 2, ref_boxes[:, 0] + ref_boxes[:, 2] / 2),
    ]:
        assert ks_statistic(a, b) < crit, name
    # and the check has power: a crop scale of (0.2, 1.0) is caught
    wrong = sample_crop_boxes(n, 32, 40, (0.2, 1.0), (3 / 4, 4 / 3)).numpy()
    wrong_area = (wrong[:, 3] - wrong[:, 1]) * (wrong[:, 2] - wrong[:, 0])
    assert ks_statistic(wrong_area, ref_boxes[:, 2] * ref_boxes[:, 3]) > crit


@pytest.mark.parametrize('h, w, ratio', [(32, 32, (2.0, 3.0)), (32, 96, (0.75, 1.33)), (96, 20, (0.75, 1.33))])
def test_crop_boxes_fallback_is_mmpretrain_central_crop(h, w, ratio):
    """A full-area crop of an aspect ratio the image cannot hold never fits: the central fallback."""
    ref = RandomResizedCrop(scale=8, crop_ratio_range=(1.0, 1.0), aspect_ratio_range=ratio)
    oh, ow, th, tw = ref.rand_crop_params(np.zeros((h, w, 3), np.uint8))
    assert (th, tw) != (h, w) or ratio[0] <= w / h <= ratio[1]
    ours = sample_crop_boxes(4, h, w, (1.0, 1.0), ratio)
    assert ours.tolist() == [[ow, oh, ow + tw, oh + th]] * 4


@pytest.mark.parametrize(
    'make, match',
    [
        (lambda: BatchRandomResizedCrop(size=0), 'size'),
        (lambda: BatchRandomResizedCrop(scale=(0.5, 1.5)), 'scale'),
    ],
)
def test_bad_arguments_name_the_field(make, match):
    with pytest.raises(ValueError, match=match):
        make()
