# Copyright (c) mmssl_ext contributors. All rights reserved.
"""CIFAR-10 from the standard python release (mmpretrain's ``CIFAR10``) or from a class-per-folder tree."""

import os
import os.path as osp
from typing import List, Optional

from mmengine.logging import print_log
from mmpretrain.datasets import CIFAR10

from mmssl_ext.registry import DATASETS

from .cifar10_folder import CIFAR10_CLASSES, PREPARE_HINT

__all__ = ['CIFAR10AnyLayout', 'LAYOUTS']

#: ``layout`` values: pick by what is on disk, the python release, the folder tree.
LAYOUTS = ('auto', 'release', 'folder')
_IMG_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif', '.tiff', '.webp')


@DATASETS.register_module()
class CIFAR10AnyLayout(CIFAR10):
    """mmpretrain's ``CIFAR10``, which also reads CIFAR-10 unpacked as ``{train,test}/<class>/*.jpg``.

    With the standard release (``data_root/cifar-10-batches-py``, the python pickles that mmpretrain downloads
    with ``download=True``) it is mmpretrain's ``CIFAR10`` unchanged: images decoded in memory, RGB. With the
    folder tree written by ``tools/dataset_converters/prepare_cifar10.py`` (or any ImageNet-style copy of CIFAR-10)
    it lists ``data_root/<split>/<class>/*`` with the ten class folders in the standard label order; the pipeline's
    ``LoadImageFromFile(channel_order='rgb')`` reads them, also RGB, and passes the release's in-memory images
    through, so one pipeline and one ``to_rgb=False`` preprocessor serve both layouts.

    ``layout='auto'`` takes the release when its folder exists, else the folder tree when ``data_root/<split>``
    exists, else the release (which mmpretrain downloads when ``download`` is set). The layout read is logged.

    Args:
        data_root (str): Root holding ``cifar-10-batches-py/`` or ``train/`` and ``test/``.
            Defaults to ``'data/cifar10'``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        layout (str): One of ``LAYOUTS``. Defaults to ``'auto'``.
        download (bool): Download the release when neither layout is there (mmpretrain's behaviour).
            Defaults to True.
        **kwargs: Other arguments of mmpretrain's ``CIFAR10`` (``pipeline``, ``indices``, ``test_mode``, ...).
    """

    def __init__(
        self,
        data_root: str = 'data/cifar10',
        split: str = 'train',
        layout: str = 'auto',
        download: bool = True,
        **kwargs,
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f'CIFAR10AnyLayout: layout must be one of {list(LAYOUTS)}, got {layout!r}')
        if split not in ('train', 'test'):
            raise ValueError(f"CIFAR10AnyLayout: split must be 'train' or 'test', got {split!r}")
        self.layout_arg = layout
        self.layout: Optional[str] = None  # the layout read, set by load_data_list
        super().__init__(data_root=data_root, split=split, download=download, **kwargs)

    def resolve_layout(self) -> str:
        """The layout this dataset reads: ``'release'`` or ``'folder'``."""
        if self.layout_arg != 'auto':
            return self.layout_arg
        root = self.data_prefix['root']
        if osp.isdir(osp.join(root, self.base_folder)):
            return 'release'
        if osp.isdir(osp.join(root, self.split)):
            return 'folder'
        return 'release'

    def load_data_list(self) -> List[dict]:
        """The release's in-memory images, or the folder tree's files with labels from the class folders."""
        self.layout = self.resolve_layout()
        root = self.data_prefix['root']
        print_log(f'CIFAR10AnyLayout: {self.split} split of {root} ({self.layout} layout)', logger='current')
        if self.layout == 'release':
            if not self.download and not osp.isdir(osp.join(root, self.base_folder)):
                raise FileNotFoundError(
                    f'CIFAR10AnyLayout: no CIFAR-10 python release at {osp.join(root, self.base_folder)!r} '
                    f'(download=False) and no folder tree at {osp.join(root, self.split)!r}. Put the release '
                    f'there (cifar-10-python.tar.gz unpacked), set download=True, or use the folder layout. '
                    + PREPARE_HINT
                )
            return super().load_data_list()
        return self._folder_data_list(osp.join(root, self.split))

    def _folder_data_list(self, folder: str) -> List[dict]:
        if not osp.isdir(folder):
            raise FileNotFoundError(f'CIFAR10AnyLayout: split folder {folder!r} does not exist. ' + PREPARE_HINT)
        missing = [c for c in CIFAR10_CLASSES if not osp.isdir(osp.join(folder, c))]
        if missing:
            raise FileNotFoundError(f'CIFAR10AnyLayout: {folder!r} lacks the class folders {missing}. ' + PREPARE_HINT)
        data_list: List[dict] = []
        for label, name in enumerate(CIFAR10_CLASSES):
            class_dir = osp.join(folder, name)
            files = sorted(f for f in os.listdir(class_dir) if f.lower().endswith(_IMG_EXTS))
            data_list.extend(dict(img_path=osp.join(class_dir, f), gt_label=label) for f in files)
        return data_list
