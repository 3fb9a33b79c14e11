# Copyright (c) mmssl_ext contributors. All rights reserved.
"""The embedded default dataset: scikit-learn's bundled handwritten digits."""

from typing import List, Optional, Sequence, Union

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmssl_ext.registry import DATASETS

__all__ = ['DigitsDataset']

DIGIT_CLASSES = tuple(str(i) for i in range(10))


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """Real handwritten digits that ship with scikit-learn (UCI optical digits, 1,797 images).

    The 8x8 images (16 grey levels) are scaled to uint8, resized to ``img_size`` and repeated over
    three channels, so every colour transform of an RGB pipeline applies. The split is a fixed,
    class-stratified permutation, identical on every machine. Needs no file and no network: this is
    the dataset of ``make demo``, ``tools/misc/smoke_run.py`` and the integration tests.

    Args:
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        img_size (int): Side of the square output image. Defaults to 32.
        test_ratio (float): Fraction of every class kept for the test split. Defaults to 0.2.
        split_seed (int): Seed of the fixed split permutation. Defaults to 0.
        pipeline (Sequence): Transforms applied to each sample. Defaults to ().
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``indices``, ``test_mode``, ...).
    """

    METAINFO = {'classes': DIGIT_CLASSES}

    def __init__(
        self,
        split: str = 'train',
        img_size: int = 32,
        test_ratio: float = 0.2,
        split_seed: int = 0,
        pipeline: Sequence = (),
        metainfo: Optional[dict] = None,
        indices: Optional[Union[int, Sequence[int]]] = None,
        **kwargs,
    ) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"DigitsDataset: split must be 'train' or 'test', got {split!r}")
        if not 0.0 < test_ratio < 1.0:
            raise ValueError(f'DigitsDataset: test_ratio must be in (0, 1), got {test_ratio}')
        if img_size < 8:
            raise ValueError(f'DigitsDataset: img_size must be >= 8, got {img_size}')
        self.split = split
        self.img_size = img_size
        self.test_ratio = test_ratio
        self.split_seed = split_seed
        super().__init__(ann_file='', metainfo=metainfo, pipeline=pipeline, indices=indices, **kwargs)

    def _split_indices(self, labels: np.ndarray) -> np.ndarray:
        """Pick this split's sample indices: per class, the first ``test_ratio`` go to test."""
        rng = np.random.RandomState(self.split_seed)
        chosen = []
        for cls in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == cls))
            n_test = int(round(len(idx) * self.test_ratio))
            chosen.append(idx[:n_test] if self.split == 'test' else idx[n_test:])
        return np.sort(np.concatenate(chosen))

    def load_data_list(self) -> List[dict]:
        """Load the images into memory as HxWx3 uint8 arrays with integer labels."""
        import cv2
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = np.clip(np.round(digits.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
        labels = digits.target.astype(np.int64)
        data_list = []
        for i in self._split_indices(labels):
            img = cv2.resize(images[i], (self.img_size, self.img_size), interpolation=cv2.INTER_LINEAR)
            img = np.ascontiguousarray(np.repeat(img[:, :, None], 3, axis=2))
            data_list.append(dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], gt_label=int(labels[i])))
        return data_list
