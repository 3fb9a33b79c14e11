# Copyright (c) mmssl_ext contributors. All rights reserved.
"""RandomResizedCrop that records its crop box, and MultiView that keeps per-view keys (APS views)."""

import copy
from typing import Dict, List, Sequence

import mmcv
import numpy as np
from mmpretrain.datasets.transforms import MultiView, RandomResizedCrop

from mmssl_ext.registry import TRANSFORMS

__all__ = ['RandomResizedCropWithBox', 'MultiViewWithKeys']


@TRANSFORMS.register_module()
class RandomResizedCropWithBox(RandomResizedCrop):
    """mmpretrain's ``RandomResizedCrop`` that also stores ``crop_bbox = (i, j, h, w)``.

    ``i, j`` are the top and left pixel of the crop and ``h, w`` its height and width, in the pixels of the
    image it received (the order of torchvision's ``RandomResizedCrop.get_params`` and of APS's
    ``augmentation.py``). Asymmetric patch sampling (Shen et al., arXiv:2306.02854) uses the boxes of two
    views to find which patches they share.

    Args:
        *args: :class:`mmpretrain.datasets.transforms.RandomResizedCrop` arguments (``scale``,
            ``crop_ratio_range``, ...).
        **kwargs: Its keyword arguments.
    """

    def transform(self, results: dict) -> dict:
        """Crop, resize and record the box.

        Args:
            results (dict): Needs ``img``.

        Returns:
            dict: ``img``, ``img_shape`` and ``crop_bbox`` (a tuple of 4 ints) updated.
        """
        img = results['img']
        top, left, height, width = self.rand_crop_params(img)
        img = mmcv.imcrop(img, bboxes=np.array([left, top, left + width - 1, top + height - 1]))
        img = mmcv.imresize(img, tuple(self.scale[::-1]), interpolation=self.interpolation, backend=self.backend)
        results['img'] = img
        results['img_shape'] = img.shape
        results['crop_bbox'] = (int(top), int(left), int(height), int(width))
        return results


@TRANSFORMS.register_module()
class MultiViewWithKeys(MultiView):
    """mmpretrain's ``MultiView`` that also collects chosen keys of every view into lists.

    ``MultiView`` keeps only each view's ``img``; APS needs each view's crop box and flip flag. With
    ``keys=('crop_bbox', 'flip')`` the output holds ``results['crop_bbox'] = [box_view0, box_view1, ...]``
    and the same for ``flip`` (a view without the key contributes ``None``).

    Args:
        transforms (list[list[dict]]): View pipelines, as ``MultiView``.
        num_views (int | list[int]): Views per pipeline, as ``MultiView``.
        keys (Sequence[str]): Per-view keys to collect. Defaults to ('crop_bbox', 'flip').
    """

    def __init__(self, transforms: list, num_views, keys: Sequence[str] = ('crop_bbox', 'flip')) -> None:
        super().__init__(transforms, num_views)
        self.keys = tuple(keys)

    def transform(self, results: dict) -> dict:
        """Run every view pipeline on a copy of ``results``.

        Args:
            results (dict): Result dict of the previous transforms.

        Returns:
            dict: ``img`` and every key of ``keys`` as lists over views.
        """
        outputs: Dict[str, List] = {key: [] for key in ('img',) + self.keys}
        for trans in self.transforms:
            view = trans(copy.deepcopy(results))
            for key in outputs:
                outputs[key].append(view.get(key))
        results.update(outputs)
        return results
