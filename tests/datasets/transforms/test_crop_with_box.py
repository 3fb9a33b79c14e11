"""APS view transforms: crop boxes and per-view keys (RandomResizedCropWithBox, MultiViewWithKeys), fed through
a pipeline into the patch sampler."""

import numpy as np
from mmcv.transforms import Compose

from mmssl_ext.datasets.transforms import (
    MultiViewWithKeys,
    RandomResizedCropWithBox,
)
from mmssl_ext.utils import register_all_modules

register_all_modules(init_default_scope=True)


def test_crop_with_box_records_the_cropped_region():
    np.random.seed(3)
    img = np.arange(40 * 50 * 3, dtype=np.uint8).reshape(40, 50, 3)
    crop = RandomResizedCropWithBox(
        scale=(20, 10),  # (h, w)
        crop_ratio_range=(0.2, 1.0),
        interpolation='nearest',
    )
    out = crop({'img': img.copy()})
    top, left, height, width = out['crop_bbox']
    assert 0 <= top and top + height <= 40 and 0 <= left and left + width <= 50
    assert out['img'].shape == (20, 10, 3)
    # nearest-neighbour resize of the recorded region reproduces the output
    import mmcv

    expected = mmcv.imresize(img[top : top + height, left : left + width], (10, 20), interpolation='nearest')
    np.testing.assert_array_equal(out['img'], expected)


def test_multiview_with_keys_feeds_the_sampler_through_a_pipeline():
    np.random.seed(4)
    view = [
        dict(type='RandomResizedCropWithBox', scale=16, crop_ratio_range=(0.15, 1.0)),
        dict(type='RandomFlip', prob=0.5),
    ]
    pipeline = Compose(
        [
            dict(type='MultiViewWithKeys', num_views=2, transforms=[view]),
            dict(type='APSPatchSampler', img_size=16, patch_size=2, ratio=0.25, nsampling=4),
            dict(type='PackInputs', algorithm_keys=['idx_view1', 'idx_view2']),
        ]
    )
    out = pipeline({'img': np.random.randint(0, 255, (32, 32, 3), dtype=np.uint8)})
    assert len(out['inputs']) == 2 and tuple(out['inputs'][0].shape) == (3, 16, 16)
    sample = out['data_samples']
    assert tuple(sample.idx_view1.shape) == (4, 16) and tuple(sample.idx_view2.shape) == (4, 16)
    collected = MultiViewWithKeys(transforms=[view], num_views=2)({'img': np.zeros((32, 32, 3), np.uint8)})
    assert len(collected['crop_bbox']) == 2 and all(len(b) == 4 for b in collected['crop_bbox'])
    assert all(isinstance(f, bool) for f in collected['flip'])
