# Copyright (c) mmssl_ext contributors. All rights reserved.
"""A self-supervised data preprocessor that makes and augments the views on the model's device."""

from typing import List, Optional, Sequence, Union, cast

import torch
from mmpretrain.models.utils.data_preprocessor import SelfSupDataPreprocessor

from mmssl_ext.registry import BATCH_AUGMENTS, MODELS

__all__ = ['BatchAugDataPreprocessor']


@MODELS.register_module()
class BatchAugDataPreprocessor(SelfSupDataPreprocessor):
    """``SelfSupDataPreprocessor`` with batched view augmentations (the fast path of the multi-view pipelines).

    In training, the uint8 views the loader delivers are moved to the device, turned to RGB (``to_rgb``), cast to
    float and run through the batched ops of :mod:`mmssl_ext.models.batch_augments`, then normalised. The view
    groups follow mmpretrain's ``MultiView``: ``view_augments[i]`` (a list of ``BATCH_AUGMENTS`` configs) makes
    ``num_views[i]`` views, in order. A loader that sends one image per sample (CIFAR: ``LoadImageFromFile`` +
    ``PackInputs``) gets every view made from it here, crop included (``BatchRandomResizedCrop``); a loader that
    sends exactly ``sum(num_views)`` views (ImageNet: per-image ``RandomResizedCrop`` views of mixed source sizes)
    gets view ``k`` augmented by the ops of its group. Out of training (kNN, tests) nothing is augmented, as in
    the parent class. The per-image pipeline stays the default of our configs; this one is enabled from config.

    Args:
        mean (Sequence[float], optional): Per-channel mean (RGB when ``to_rgb``). Defaults to None.
        std (Sequence[float], optional): Per-channel std. Defaults to None.
        to_rgb (bool): Turn the loader's BGR images into RGB before augmenting (the batched ops take RGB).
            Defaults to False.
        view_augments (Sequence[Sequence[dict]]): One list of batched-op configs per view group. Defaults to ().
        num_views (int | Sequence[int]): Views per group; an int applies to every group. Defaults to 2.
        channels_last (bool): Return the views in channels-last memory format, in and out of training (with no
            ``view_augments`` this is the parent class plus channels-last). Defaults to False.
        non_blocking (bool): Copy to the device without blocking. Defaults to False.
        **kwargs: Other arguments of ``SelfSupDataPreprocessor``.
    """

    def __init__(
        self,
        mean: Optional[Sequence[float]] = None,
        std: Optional[Sequence[float]] = None,
        to_rgb: bool = False,
        view_augments: Sequence[Sequence[dict]] = (),
        num_views: Union[int, Sequence[int]] = 2,
        channels_last: bool = False,
        non_blocking: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(mean=mean, std=std, to_rgb=to_rgb, non_blocking=non_blocking, **kwargs)
        if isinstance(view_augments, dict) or not all(isinstance(g, (list, tuple)) for g in view_augments):
            raise ValueError(
                'BatchAugDataPreprocessor: view_augments must be a list with one list of batch-augment configs '
                f'per view group, got {view_augments!r}'
            )
        if isinstance(num_views, int) and not isinstance(num_views, bool):
            num_views = [num_views] * len(view_augments)
        num_views = list(cast(Sequence[int], num_views))  # an int is expanded above; a bool fails here
        if len(num_views) != len(view_augments) or any(not isinstance(n, int) or n < 1 for n in num_views):
            raise ValueError(
                f'BatchAugDataPreprocessor: num_views must be an int >= 1 or one int >= 1 per view group '
                f'({len(view_augments)} groups), got {num_views!r}'
            )
        self.num_views: List[int] = num_views
        self.view_augments = [[BATCH_AUGMENTS.build(dict(cfg)) for cfg in group] for group in view_augments]
        self.channels_last = channels_last

    @property
    def total_views(self) -> int:
        """Number of views made in training."""
        return sum(self.num_views)

    def augment_views(self, views: List[torch.Tensor]) -> List[torch.Tensor]:
        """Make and augment the training views from float RGB batches with values in [0, 255].

        Args:
            views (List[torch.Tensor]): One (B, 3, H, W) batch, or ``total_views`` of them.

        Returns:
            List[torch.Tensor]: ``total_views`` augmented batches, in group order.
        """
        if len(views) not in (1, self.total_views):
            raise ValueError(
                f'BatchAugDataPreprocessor: the loader sent {len(views)} views per sample; expected 1 (every view is '
                f'made here) or sum(num_views) = {self.total_views}'
            )
        out: List[torch.Tensor] = []
        for group, count in zip(self.view_augments, self.num_views):
            for _ in range(count):
                img = views[len(out)] if len(views) > 1 else views[0]
                for op in group:
                    img = op(img)
                out.append(img)
        return out

    def forward(self, data: dict, training: bool = False) -> dict:
        """Move, convert, augment (training only) and normalise the views.

        Args:
            data (dict): A collated batch with ``inputs`` (a uint8 tensor or a list of them) and ``data_samples``.
            training (bool): Whether to make the augmented training views. Defaults to False.

        Returns:
            dict: ``inputs`` (a list of float views in training, else as the parent) and ``data_samples``.
        """
        if not training or not self.view_augments:
            out = super().forward(data, training)
            if self.channels_last:
                inputs = out['inputs']
                out['inputs'] = (
                    [v.contiguous(memory_format=torch.channels_last) for v in inputs]
                    if isinstance(inputs, list)
                    else inputs.contiguous(memory_format=torch.channels_last)
                )
            return out
        if not isinstance(data, dict):
            raise ValueError('BatchAugDataPreprocessor: data must be a dict from default_collate')
        inputs, data_samples = self.cast_data([data['inputs'], data.get('data_samples')])
        views = inputs if isinstance(inputs, list) else [inputs]
        if self._channel_conversion:
            views = [v[:, [2, 1, 0], ...] for v in views]
        views = self.augment_views([v.float() for v in views])
        if self._enable_normalize:
            views = [(v - self.mean) / self.std for v in views]
        if self.channels_last:
            views = [v.contiguous(memory_format=torch.channels_last) for v in views]
        return {'inputs': views, 'data_samples': data_samples}
