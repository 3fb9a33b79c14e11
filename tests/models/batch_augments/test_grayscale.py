"""BatchRandomGrayscale: equal to mmcv's RandomGrayscale (BGR weights, channels kept), errors."""

import numpy as np
import pytest
from mmcv.transforms import RandomGrayscale

from mmssl_ext.models.batch_augments import BatchRandomGrayscale
from tests.models.batch_augments.augment_helpers import (
    BGR_WEIGHTS,
    per_image_bgr,
    smooth_images,
    to_batch,
    to_rgb_arrays,
)


@pytest.mark.parametrize(
    'batched, per_image',
    [
        (BatchRandomGrayscale(prob=1.0), RandomGrayscale(prob=1.0, keep_channels=True, channel_weights=BGR_WEIGHTS)),
    ],
)
def test_parameter_free_ops_equal_per_image(batched, per_image):
    rgb = smooth_images(5, 20, 28, seed=4)
    out = to_rgb_arrays(batched(to_batch(rgb)))
    for i in range(len(rgb)):
        np.testing.assert_array_equal(out[i], per_image_bgr(per_image, rgb[i]))


@pytest.mark.parametrize(
    'make, match',
    [
        (lambda: BatchRandomGrayscale(prob=1.5), 'prob'),
        (lambda: BatchRandomGrayscale(rgb_weights=(1, 2)), 'rgb_weights'),
    ],
)
def test_bad_arguments_name_the_field(make, match):
    with pytest.raises(ValueError, match=match):
        make()
