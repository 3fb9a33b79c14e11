"""LoadImageFromFile: image loading errors name the file; grayscale and 16-bit images load as 8-bit RGB."""

import os
import os.path as osp

import numpy as np
import pytest

from mmssl_ext.datasets import CorruptImageError, LoadImageFromFile


def _write_jpg(path, value):
    import cv2

    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.full((32, 32, 3), value, dtype=np.uint8))


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
