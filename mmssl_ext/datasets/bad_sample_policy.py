# Copyright (c) mmssl_ext contributors. All rights reserved.
"""What a training run does with a sample whose image cannot be read: stop (default) or skip, counted and bounded."""

import logging
from typing import Any, Dict, List, Sized, Union, cast

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from torch.utils.data import Dataset

from mmssl_ext.registry import DATASETS

from .transforms import CorruptImageError

__all__ = ['BadSamplePolicyDataset', 'TooManyBadSamplesError']

#: What counts as a bad sample: a file that is missing, unreadable or does not decode. Anything else (a bug in a
#: transform, a wrong config) stops the run under either policy.
BAD_SAMPLE_ERRORS = (CorruptImageError, FileNotFoundError, OSError)


class TooManyBadSamplesError(RuntimeError):
    """More bad samples than ``max_fraction`` of the dataset: the data, not a few files, is broken."""


@DATASETS.register_module()
class BadSamplePolicyDataset(Dataset):
    """Wrap a dataset with a policy for samples whose image is missing, unreadable or corrupt.

    ``policy='fail'`` (the default, and what an unwrapped dataset does) raises the loader's error, which names the
    file. ``policy='skip'`` logs the file once, keeps a list of the skipped files, and returns the next good
    sample in index order instead (deterministic, so a resumed run sees what the uninterrupted one saw); it
    raises :class:`TooManyBadSamplesError` listing the files once more than ``max_fraction`` of the dataset is
    bad. Each data-loading process (each worker) counts what it has met itself, so the bound holds per process.
    Only file errors (:data:`BAD_SAMPLE_ERRORS`) are skipped; any other error stops the run under either policy.

    Example::

        train_dataloader = dict(dataset=dict(
            type='BadSamplePolicyDataset', policy='skip', max_fraction=0.001,
            dataset=dict(type='CIFAR10Folder', data_root='data/cifar10', ...)))

    Args:
        dataset (Dataset | dict): The dataset, or its config.
        policy (str): ``'fail'`` or ``'skip'``. Defaults to 'fail'.
        max_fraction (float): With ``'skip'``, the share of the dataset that may be bad, in ``[0, 1)``.
            Defaults to 0.001.
    """

    def __init__(self, dataset: Union[Dataset, Dict], policy: str = 'fail', max_fraction: float = 0.001) -> None:
        if policy not in ('fail', 'skip'):
            raise ValueError(f"BadSamplePolicyDataset: policy must be 'fail' or 'skip', got {policy!r}")
        if not 0.0 <= max_fraction < 1.0:
            raise ValueError(f'BadSamplePolicyDataset: max_fraction must be in [0, 1), got {max_fraction}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        if len(cast(Sized, self.dataset)) == 0:  # torch's Dataset declares no __len__
            raise ValueError('BadSamplePolicyDataset: the wrapped dataset is empty')
        self.policy = policy
        self.max_fraction = max_fraction
        self.skipped: Dict[int, str] = {}

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information."""
        return getattr(self.dataset, 'metainfo', {})

    def __len__(self) -> int:
        return len(cast(Sized, self.dataset))

    def __getattr__(self, name: str) -> Any:
        # reached only for attributes this wrapper lacks: behave as the wrapped dataset (get_gt_labels, ...)
        if name == 'dataset':
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def _file(self, index: int) -> str:
        if isinstance(self.dataset, BaseDataset):
            info = self.dataset.get_data_info(index)
            return str(info.get('img_path', f'sample {index}'))
        return f'sample {index}'

    def __getitem__(self, index: int) -> Any:
        if self.policy == 'fail':
            return self.dataset[index]
        n = len(self)
        for step in range(n):
            i = (index + step) % n
            if i in self.skipped:
                continue
            try:
                return self.dataset[i]
            except BAD_SAMPLE_ERRORS as err:
                self._skip(i, err)
        raise TooManyBadSamplesError(f'BadSamplePolicyDataset: no sample of {n} could be read')

    def _skip(self, index: int, err: Exception) -> None:
        self.skipped[index] = self._file(index)
        count, allowed = len(self.skipped), int(self.max_fraction * len(self))
        if count > allowed:
            files: List[str] = list(self.skipped.values())
            raise TooManyBadSamplesError(
                f'{count} bad samples, more than max_fraction={self.max_fraction} of {len(self)} ({allowed}): '
                + ', '.join(files[:20])
                + (' ...' if count > 20 else '')
                + '; repair or remove the files, or raise max_fraction'
            ) from err
        print_log(
            f'Skipping bad sample {index} ({self.skipped[index]}): {type(err).__name__}: {err} '
            f'[{count} skipped in this process, at most {allowed}]',
            logger='current',
            level=logging.WARNING,
        )
