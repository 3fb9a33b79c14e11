"""BatchSolarize: equal to mmpretrain's Solarize, errors."""

import numpy as np
import pytest
from mmpretrain.datasets.transforms import Solarize

from mmssl_ext.models.batch_augments import BatchSolarize
from tests.models.batch_augments.augment_helpers import per_image_bgr, smooth_images, to_batch, to_rgb_arrays


@pytest.mark.parametrize(
    'batched, per_image',
    [
        (BatchSolarize(threshold=128, prob=1.0), Solarize(thr=128, prob=1.0)),
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
        (lambda: BatchSolarize(threshold=300), 'threshold'),
    ],
)
def test_bad_arguments_name_the_field(make, match):
    with pytest.raises(ValueError, match=match):
        make()
