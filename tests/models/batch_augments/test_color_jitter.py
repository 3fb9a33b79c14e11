"""BatchColorJitter: equal to mmpretrain's ColorJitter given the same draws, per-sample order, the draws, errors."""

import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import ColorJitter

from mmssl_ext.models.batch_augments import BatchColorJitter
from tests.models.batch_augments.augment_helpers import per_image_bgr, smooth_images, to_batch, to_rgb_arrays


def test_color_jitter_fixed_parameters_equal_mmpretrain():
    rgb = smooth_images(8, seed=1)
    jitter = BatchColorJitter(brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2, prob=0.8)
    torch.manual_seed(0)
    params = jitter.sample(to_batch(rgb))
    params['apply'][:2] = torch.tensor([False, True])
    out = to_rgb_arrays(jitter.apply(to_batch(rgb), params))
    for i in range(len(rgb)):
        if not params['apply'][i]:
            np.testing.assert_array_equal(out[i], rgb[i])
            continue
        ref = ColorJitter(brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2)
        draws = (
            params['order'][i].numpy(),
            *(float(params[k][i]) for k in ('brightness', 'contrast', 'saturation', 'hue')),
        )
        ref._rand_params = lambda draws=draws: draws
        np.testing.assert_array_equal(out[i], per_image_bgr(ref, rgb[i]), err_msg=f'sample {i}')


def test_color_jitter_order_is_per_sample():
    """The same image twice, brightness-then-hue on one and hue-then-brightness on the other."""
    rgb = np.repeat(smooth_images(1, seed=2), 2, 0)
    jitter = BatchColorJitter(brightness=0.8, hue=0.3)
    params = {
        'apply': torch.ones(2, dtype=torch.bool),
        'brightness': torch.tensor([1.8, 1.8]),
        'contrast': torch.ones(2),
        'saturation': torch.ones(2),
        'hue': torch.tensor([0.3, 0.3]),
        'order': torch.tensor([[0, 3, 1, 2], [3, 0, 1, 2]]),
    }
    out = to_rgb_arrays(jitter.apply(to_batch(rgb), params))
    for i, order in enumerate(([0, 3, 1, 2], [3, 0, 1, 2])):
        ref = ColorJitter(brightness=0.8, hue=0.3)
        ref._rand_params = lambda order=order: (np.array(order), 1.8, None, None, 0.3)
        np.testing.assert_array_equal(out[i], per_image_bgr(ref, rgb[i]))
    assert not np.array_equal(out[0], out[1])  # the order matters (brightness clips), and is per sample


def test_jitter_draws():
    jitter = BatchColorJitter(brightness=0.8, contrast=(0.5, 0.9), hue=0.2, prob=0.8)
    torch.manual_seed(4)
    p = jitter.sample(torch.zeros(6000, 3, 2, 2))
    assert abs(p['apply'].float().mean().item() - 0.8) < 0.02
    assert p['brightness'].min() >= 0.2 and p['brightness'].max() <= 1.8 and abs(p['brightness'].mean() - 1) < 0.02
    assert p['contrast'].min() >= 0.5 and p['contrast'].max() <= 0.9
    assert torch.equal(p['saturation'], torch.ones(6000)) and p['hue'].abs().max() <= 0.2
    perms = p['order'] @ torch.tensor([64, 16, 4, 1])
    counts = torch.bincount(perms, minlength=256)[torch.bincount(perms, minlength=256) > 0]
    assert len(counts) == 24 and counts.min() > 0.8 * 6000 / 24
    assert jitter.ranges[2] is None  # saturation 0: the op is skipped, not run with factor 1


@pytest.mark.parametrize(
    'make, match',
    [
        (lambda: BatchColorJitter(brightness=-1), 'brightness'),
        (lambda: BatchColorJitter(hue=(0.2, 0.7)), 'hue'),
    ],
)
def test_bad_arguments_name_the_field(make, match):
    with pytest.raises(ValueError, match=match):
        make()
