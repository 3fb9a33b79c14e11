"""CIFAR10AnyLayout: mmpretrain's CIFAR10 on the python release, or the folder tree, giving the same RGB tensors."""

import os
import os.path as osp
import pickle

import numpy as np
import pytest
from PIL import Image

from mmssl_ext.datasets import CIFAR10_CLASSES, CIFAR10AnyLayout

PIPELINE = [dict(type='LoadImageFromFile', channel_order='rgb'), dict(type='PackInputs')]
N_TRAIN, N_TEST = 20, 10


def _images(n, seed):
    rng = np.random.default_rng(seed)
    imgs = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    imgs[:, :, :, 0] = 250  # a strong red channel: a swapped order cannot pass
    labels = [i % 10 for i in range(n)]
    return imgs, labels


def _write_release(root, train, test):
    """A python release in mmpretrain's format (data as N x 3072 CHW rows, labels, batches.meta)."""
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    (imgs, labels) = train
    chunks = np.array_split(np.arange(len(imgs)), 5)
    for k, idx in enumerate(chunks, 1):
        entry = dict(data=imgs[idx].transpose(0, 3, 1, 2).reshape(len(idx), -1), labels=[labels[i] for i in idx])
        with open(osp.join(folder, f'data_batch_{k}'), 'wb') as f:
            pickle.dump(entry, f)
    timgs, tlabels = test
    with open(osp.join(folder, 'test_batch'), 'wb') as f:
        pickle.dump(dict(data=timgs.transpose(0, 3, 1, 2).reshape(len(timgs), -1), labels=tlabels), f)
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump(dict(label_names=list(CIFAR10_CLASSES)), f)


def _write_folder(root, split, data):
    imgs, labels = data
    for i, (img, label) in enumerate(zip(imgs, labels)):
        path = osp.join(root, split, CIFAR10_CLASSES[label], f'{i:05d}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(img).save(path)  # PNG: lossless, RGB on disk


@pytest.fixture
def roots(tmp_path, monkeypatch):
    train, test = _images(N_TRAIN, 0), _images(N_TEST, 1)
    release, folder = str(tmp_path / 'release'), str(tmp_path / 'folder')
    _write_release(release, train, test)
    _write_folder(folder, 'train', train)
    _write_folder(folder, 'test', test)
    # The md5 sums of the real release do not fit the synthetic files; everything else is mmpretrain's code.
    monkeypatch.setattr(CIFAR10AnyLayout, '_check_integrity', lambda self: True)
    return release, folder, train, test


def _inputs(dataset):
    return [(int(s['data_samples'].gt_label), s['inputs'].numpy()) for s in (dataset[i] for i in range(len(dataset)))]


@pytest.mark.parametrize('split', ['train', 'test'])
def test_both_layouts_give_the_same_rgb_images_and_labels(roots, split):
    release_root, folder_root, train, test = roots
    imgs, labels = train if split == 'train' else test
    release = CIFAR10AnyLayout(data_root=release_root, split=split, pipeline=PIPELINE, download=False)
    folder = CIFAR10AnyLayout(data_root=folder_root, split=split, pipeline=PIPELINE)
    assert (release.layout, folder.layout) == ('release', 'folder')
    assert len(release) == len(folder) == len(imgs)
    assert release.metainfo['classes'] == folder.metainfo['classes'] == CIFAR10_CLASSES
    # The release keeps file order; the folder tree lists class by class, names in order.
    order = sorted(range(len(imgs)), key=lambda i: (labels[i], i))
    rel, fol = _inputs(release), _inputs(folder)
    for pos, i in enumerate(order):
        assert rel[i][0] == fol[pos][0] == labels[i]
        np.testing.assert_array_equal(rel[i][1], fol[pos][1])
        np.testing.assert_array_equal(fol[pos][1], imgs[i].transpose(2, 0, 1))  # CHW, RGB
    assert folder.get_data_info(0)['img_path'].endswith(osp.join(split, 'airplane', '00000.png'))


def test_auto_prefers_the_release_and_layout_can_be_forced(roots, tmp_path):
    release_root, folder_root, train, _ = roots
    both = str(tmp_path / 'both')
    _write_release(both, train, _images(N_TEST, 1))
    _write_folder(both, 'train', (train[0][:10], train[1][:10]))
    assert CIFAR10AnyLayout(data_root=both, pipeline=PIPELINE).layout == 'release'
    forced = CIFAR10AnyLayout(data_root=both, layout='folder', pipeline=PIPELINE)
    assert forced.layout == 'folder' and len(forced) == 10
    with pytest.raises(FileNotFoundError, match='prepare_cifar10.py'):
        CIFAR10AnyLayout(data_root=release_root, layout='folder', pipeline=PIPELINE)


def test_missing_data_and_bad_arguments_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'no CIFAR-10 python release .*download=False.*no folder tree'):
        CIFAR10AnyLayout(data_root=str(tmp_path), download=False, pipeline=PIPELINE)
    with pytest.raises(ValueError, match=r"layout must be one of \['auto', 'release', 'folder'\], got 'pickle'"):
        CIFAR10AnyLayout(data_root=str(tmp_path), layout='pickle')
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        CIFAR10AnyLayout(data_root=str(tmp_path), split='val')
    (tmp_path / 'train' / 'airplane').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='lacks the class folders'):
        CIFAR10AnyLayout(data_root=str(tmp_path), pipeline=PIPELINE)


def test_loader_rejects_an_unknown_channel_order():
    from mmssl_ext.datasets import LoadImageFromFile

    with pytest.raises(ValueError, match="channel_order must be 'bgr' or 'rgb', got 'hsv'"):
        LoadImageFromFile(channel_order='hsv')
