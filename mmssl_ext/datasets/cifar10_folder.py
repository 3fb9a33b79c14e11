# Copyright (c) mmssl_ext contributors. All rights reserved.
"""CIFAR-10 read from an ImageNet-style folder tree (``data/cifar10/{train,test}/<class>/*.jpg``)."""

import os.path as osp
from typing import List

from mmpretrain.datasets import CustomDataset

from mmssl_ext.registry import DATASETS

__all__ = ['CIFAR10Folder', 'CIFAR10_CLASSES']

CIFAR10_CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')

PREPARE_HINT = (
    'Prepare it with:\n  python tools/dataset_converters/prepare_cifar10.py '
    '--src /path/to/cifar10-download --out data/cifar10\n'
    '(--src: the folder holding cifar10-jpg-train.tar.gz and cifar10-jpg-test.tar.gz)\n'
    '(or point data_root at an existing copy, e.g. '
    '--cfg-options train_dataloader.dataset.data_root=/path/to/cifar10).'
)


@DATASETS.register_module()
class CIFAR10Folder(CustomDataset):
    """CIFAR-10 in folder layout, as unpacked by ``tools/dataset_converters/prepare_cifar10.py``.

    A :class:`mmpretrain.datasets.CustomDataset` whose class list is fixed to the ten CIFAR-10 names
    (alphabetical, which is the standard label order 0..9), and which fails with instructions when
    the folder is missing instead of a bare file-system error.

    Args:
        data_root (str): Root holding ``train/`` and ``test/``. Defaults to ``'data/cifar10'``.
        data_prefix (str): Sub-folder of the split. Defaults to ``'train'``.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.CustomDataset`.
    """

    METAINFO = {'classes': CIFAR10_CLASSES}

    def __init__(self, data_root: str = 'data/cifar10', data_prefix: str = 'train', **kwargs) -> None:
        super().__init__(data_root=data_root, data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Check the split folder, then list its images with labels from the folder names."""
        folder = self.img_prefix
        if not osp.isdir(folder):
            raise FileNotFoundError(f'CIFAR10Folder: split folder {folder!r} does not exist. ' + PREPARE_HINT)
        missing = [c for c in CIFAR10_CLASSES if not osp.isdir(osp.join(folder, c))]
        if missing:
            raise FileNotFoundError(f'CIFAR10Folder: {folder!r} lacks the class folders {missing}. ' + PREPARE_HINT)
        return super().load_data_list()
