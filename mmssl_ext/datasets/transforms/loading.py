# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Image loading with a clear error for missing, empty or corrupt files."""

from typing import Any, Optional

import mmcv
import mmengine.fileio as fileio
from mmcv.transforms import LoadImageFromFile as _MMCVLoadImageFromFile

from mmssl_ext.registry import TRANSFORMS

__all__ = ['LoadImageFromFile', 'CorruptImageError']


class CorruptImageError(ValueError):
    """Raised when an image file exists but cannot be decoded."""


@TRANSFORMS.register_module()
class LoadImageFromFile(_MMCVLoadImageFromFile):
    """Drop-in for mmcv's ``LoadImageFromFile`` that names the bad file and the reason.

    mmcv reports an undecodable file as a bare ``AssertionError``; this raises
    :class:`FileNotFoundError` for a missing file and :class:`CorruptImageError` for an empty or
    undecodable one, both with the path. ``ignore_empty=True`` keeps mmcv's skip behaviour. Samples
    that already carry an in-memory ``img`` (the embedded digits dataset, mmpretrain's CIFAR10 / CIFAR100
    python releases, which decode to RGB) pass through untouched, so any pipeline can run on them.

    Args:
        channel_order (str): ``'bgr'`` (mmcv's order) or ``'rgb'`` for a decoded file; ``'rgb'`` matches the
            in-memory RGB images of the CIFAR releases, so one pipeline serves both. Defaults to ``'bgr'``.
        **kwargs: The arguments of mmcv's ``LoadImageFromFile`` (``to_float32``, ``color_type``,
            ``imdecode_backend``, ``ignore_empty``, ``backend_args``).
    """

    def __init__(self, channel_order: str = 'bgr', **kwargs: Any) -> None:
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"LoadImageFromFile: channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
        super().__init__(**kwargs)
        self.channel_order = channel_order

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']`` into ``results['img']``.

        Args:
            results (dict): The sample; ``img_path`` names the file.

        Returns:
            dict, optional: The sample with ``img``, ``img_shape`` and ``ori_shape``, or None when
            ``ignore_empty`` is set and the file is unusable.
        """
        if results.get('img') is not None and results.get('img_path') is None:
            return results
        filename = results.get('img_path')
        if filename is None:
            raise KeyError("LoadImageFromFile: the sample has neither 'img_path' nor an in-memory 'img'")
        try:
            img_bytes = fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError:
            if self.ignore_empty:
                return None
            raise FileNotFoundError(f'LoadImageFromFile: image file not found: {filename}') from None
        img = None
        if img_bytes:
            try:
                img = mmcv.imfrombytes(
                    img_bytes, flag=self.color_type, channel_order=self.channel_order, backend=self.imdecode_backend
                )
            except Exception:  # decoders raise many types for broken data
                img = None
        if img is None:
            if self.ignore_empty:
                return None
            raise CorruptImageError(
                f'LoadImageFromFile: cannot decode image file {filename} ({len(img_bytes)} bytes): '
                'the file is empty, truncated or not an image. Re-create it or remove it from the dataset.'
            )
        if self.to_float32:
            img = img.astype('float32')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
