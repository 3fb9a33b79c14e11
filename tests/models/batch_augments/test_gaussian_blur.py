"""BatchGaussianBlur: equal to mmpretrain's GaussianBlur given the sigma, errors."""

import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import GaussianBlur

from mmssl_ext.models.batch_augments import BatchGaussianBlur
from tests.models.batch_augments.augment_helpers import per_image_bgr, smooth_images, to_batch, to_rgb_arrays


def test_gaussian_blur_fixed_sigma_equals_mmpretrain():
    rgb = smooth_images(6, seed=5)
    sigma = torch.tensor([0.1, 0.5, 0.93, 1.4, 1.77, 2.0])
    params = {'apply': torch.tensor([True, True, True, False, True, True]), 'sigma': sigma}
    out = to_rgb_arrays(BatchGaussianBlur().apply(to_batch(rgb), params))
    for i in range(len(rgb)):
        ref = (
            rgb[i] if not params['apply'][i] else per_image_bgr(GaussianBlur(radius=float(sigma[i]), prob=1.0), rgb[i])
        )
        np.testing.assert_array_equal(out[i], ref, err_msg=f'sigma {float(sigma[i])}')


@pytest.mark.parametrize(
    'make, match',
    [
        (lambda: BatchGaussianBlur(sigma_range=(2.0, 0.1)), 'sigma_range'),
    ],
)
def test_bad_arguments_name_the_field(make, match):
    with pytest.raises(ValueError, match=match):
        make()
