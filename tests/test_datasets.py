"""Embedded digits dataset, CIFAR-10 folder dataset and image loading errors."""

import os
import os.path as osp

import numpy as np
import pytest

from mmssl_ext.datasets import CIFAR10Folder, CorruptImageError, DigitsDataset, LoadImageFromFile


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


def test_corrupt_image_names_the_file(tmp_path):
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'\xff\xd8\xff\xe0 definitely not a jpeg body')
    with pytest.raises(CorruptImageError, match='bad.jpg'):
        LoadImageFromFile()(dict(img_path=str(bad)))
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    with pytest.raises(CorruptImageError, match='empty.jpg'):
        LoadImageFromFile()(dict(img_path=str(empty)))
    assert LoadImageFromFile(ignore_empty=True)(dict(img_path=str(bad))) is None


def test_missing_image_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='gone.jpg'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'gone.jpg')))


def test_loading_a_good_image_and_in_memory_passthrough(tmp_path):
    path = str(tmp_path / 'ok.jpg')
    _write_jpg(path, 77)
    out = LoadImageFromFile()(dict(img_path=path))
    assert out['img'].shape == (32, 32, 3) and abs(int(out['img'].mean()) - 77) <= 2
    img = np.zeros((8, 8, 3), np.uint8)
    assert LoadImageFromFile()(dict(img=img, img_path=None))['img'] is img


def test_grayscale_and_16_bit_images_load_as_8_bit_rgb(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / 'gray.png'), np.full((8, 8), 100, np.uint8))
    cv2.imwrite(str(tmp_path / 'deep.png'), np.full((8, 8, 3), 60000, np.uint16))
    gray = LoadImageFromFile()(dict(img_path=str(tmp_path / 'gray.png')))['img']
    deep = LoadImageFromFile()(dict(img_path=str(tmp_path / 'deep.png')))['img']
    assert gray.shape == (8, 8, 3) and gray.dtype == np.uint8 and (gray == 100).all()  # channels replicated
    assert deep.shape == (8, 8, 3) and deep.dtype == np.uint8 and (deep == 60000 >> 8).all()  # scaled to 8 bits


def test_a_dataset_folder_without_images_is_named(tmp_path):
    from mmssl_ext.datasets import CIFAR10_CLASSES

    for name in CIFAR10_CLASSES:
        os.makedirs(tmp_path / 'train' / name)
    with pytest.raises(RuntimeError, match=r'Found 0 files in subfolders of: .*train'):
        CIFAR10Folder(data_root=str(tmp_path), data_prefix='train')
