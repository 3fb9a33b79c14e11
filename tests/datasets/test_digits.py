"""Embedded digits dataset: disjoint stratified splits, determinism, resizing, split names."""

import numpy as np
import pytest

from mmssl_ext.datasets import DigitsDataset


def test_digits_splits_are_disjoint_stratified_and_complete():
    train, test = DigitsDataset(split='train'), DigitsDataset(split='test')
    assert len(train) + len(test) == 1797
    assert len(test) == pytest.approx(0.2 * 1797, abs=10)
    train_imgs = {train.get_data_info(i)['img'].tobytes() for i in range(len(train))}
    overlap = sum(test.get_data_info(i)['img'].tobytes() in train_imgs for i in range(len(test)))
    assert overlap <= 2  # the digits set itself holds a couple of exact duplicates
    counts = np.bincount(test.get_gt_labels(), minlength=10)
    assert counts.min() >= 30 and counts.max() <= 40  # every class in the test split
    sample = train.get_data_info(0)
    assert sample['img'].shape == (32, 32, 3) and sample['img'].dtype == np.uint8
    assert sample['img'].max() > 200  # scaled from 16 grey levels to uint8


def test_digits_is_deterministic_and_resizes():
    a, b = DigitsDataset(split='test', img_size=16), DigitsDataset(split='test', img_size=16)
    assert a.get_data_info(5)['img'].shape == (16, 16, 3)
    np.testing.assert_array_equal(a.get_data_info(5)['img'], b.get_data_info(5)['img'])


def test_digits_rejects_bad_split():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        DigitsDataset(split='val')
