"""BatchRandomFlip: equal to mmcv's horizontal RandomFlip."""

import numpy as np
import pytest
from mmcv.transforms import RandomFlip

from mmssl_ext.models.batch_augments import BatchRandomFlip
from tests.models.batch_augments.augment_helpers import per_image_bgr, smooth_images, to_batch, to_rgb_arrays


@pytest.mark.parametrize(
    'batched, per_image',
    [
        (BatchRandomFlip(prob=1.0), RandomFlip(prob=1.0, direction='horizontal')),
    ],
)
def test_parameter_free_ops_equal_per_image(batched, per_image):
    rgb = smooth_images(5, 20, 28, seed=4)
    out = to_rgb_arrays(batched(to_batch(rgb)))
    for i in range(len(rgb)):
        np.testing.assert_array_equal(out[i], per_image_bgr(per_image, rgb[i]))
