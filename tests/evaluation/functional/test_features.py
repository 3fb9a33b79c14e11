"""dataset_has_labels: labelled datasets, an unlabelled image folder, wrappers looked through."""

import os

import numpy as np
from PIL import Image

from mmssl_ext.evaluation import dataset_has_labels
from mmssl_ext.registry import DATASETS


def _folder(root, labelled):
    for cls in ('a', 'b'):
        os.makedirs(os.path.join(root, cls), exist_ok=True)
        for i in range(2):
            Image.fromarray(np.full((8, 8, 3), 40 * i, dtype=np.uint8)).save(os.path.join(root, cls, f'{i}.png'))
    return DATASETS.build(dict(type='mmpretrain.CustomDataset', data_root=root, with_label=labelled, pipeline=[]))


class _Wrapper:
    """A subset-like wrapper that holds its dataset as ``.dataset`` (no get_data_info of its own)."""

    def __init__(self, dataset):
        self.dataset = dataset


def test_labelled_and_unlabelled_folders(tmp_path):
    labelled = _folder(str(tmp_path / 'l'), True)
    unlabelled = _folder(str(tmp_path / 'u'), False)
    assert dataset_has_labels(labelled) is True
    assert dataset_has_labels(unlabelled) is False
    assert dataset_has_labels(_Wrapper(unlabelled)) is False
    assert dataset_has_labels(_Wrapper(labelled)) is True


def test_datasets_it_cannot_inspect_count_as_labelled():
    assert dataset_has_labels([1, 2, 3]) is True
    assert dataset_has_labels(_Wrapper(object())) is True
