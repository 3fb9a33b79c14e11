"""BaseBatchAugment and the subset helpers: both subset paths agree, inputs are checked, the interface is abstract."""

import pytest
import torch

from mmssl_ext.models.batch_augments import BaseBatchAugment, BatchRandomFlip
from mmssl_ext.models.batch_augments.base import _subset_by_index, _subset_by_where
from tests.models.batch_augments.augment_helpers import smooth_images, to_batch


def test_subset_by_index_equals_subset_by_where():
    img = to_batch(smooth_images(6))
    mask = torch.tensor([True, False, True, True, False, False])
    factor = torch.linspace(0.2, 1.8, 6)

    def fn(x, f):
        return (x * f.view(-1, 1, 1, 1)).round().clamp(0, 255)

    by_index = _subset_by_index(img, mask, fn, (factor,), False)
    assert torch.equal(by_index, _subset_by_where(img, mask, fn, (factor,)))
    assert torch.equal(by_index[~mask], img[~mask]) and not torch.equal(by_index[mask], img[mask])


def test_call_rejects_uint8_and_wrong_rank():
    with pytest.raises(ValueError, match='float32'):
        BatchRandomFlip()(torch.zeros(2, 3, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match='float32'):
        BatchRandomFlip()(torch.zeros(3, 4, 4))


def test_base_needs_sample_and_apply():
    class OnlySample(BaseBatchAugment):
        def sample(self, img):
            return {'apply': torch.ones(img.shape[0], dtype=torch.bool)}

    with pytest.raises(TypeError, match='apply'):
        OnlySample()
