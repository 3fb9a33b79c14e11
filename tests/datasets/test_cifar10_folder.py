"""CIFAR-10 folder dataset: labels in class order, and the errors of a missing or empty folder."""

import os
import os.path as osp

import numpy as np
import pytest

from mmssl_ext.datasets import CIFAR10Folder


def test_missing_cifar10_folder_says_how_to_prepare(tmp_path):
    with pytest.raises(FileNotFoundError, match='prepare_cifar10.py'):
        CIFAR10Folder(data_root=str(tmp_path / 'nowhere'), data_prefix='train')


def _write_jpg(path, value):
    import cv2

    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.full((32, 32, 3), value, dtype=np.uint8))


def test_cifar10_folder_labels_follow_class_order(tmp_path):
    from mmssl_ext.datasets import CIFAR10_CLASSES

    for idx, name in enumerate(CIFAR10_CLASSES):
        _write_jpg(str(tmp_path / 'train' / name / f'{idx:04d}.jpg'), idx * 20)
    ds = CIFAR10Folder(
        data_root=str(tmp_path), data_prefix='train', pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    )
    assert len(ds) == 10
    assert sorted(ds.get_gt_labels().tolist()) == list(range(10))
    assert ds[3]['data_samples'].gt_label.item() == 3


def test_a_dataset_folder_without_images_is_named(tmp_path):
    from mmssl_ext.datasets import CIFAR10_CLASSES

    for name in CIFAR10_CLASSES:
        os.makedirs(tmp_path / 'train' / name)
    with pytest.raises(RuntimeError, match=r'Found 0 files in subfolders of: .*train'):
        CIFAR10Folder(data_root=str(tmp_path), data_prefix='train')
