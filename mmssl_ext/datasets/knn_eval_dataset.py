# Copyright (c) mmssl_ext contributors. All rights reserved.
"""A kNN evaluation set: the labelled bank and the queries in one dataset, for a validation or test loop."""

from typing import Any, Dict, List, Optional, Sized, Union, cast

from mmengine.dataset import BaseDataset
from torch.utils.data import Dataset

from mmssl_ext.registry import DATASETS

from .dataset_utils import dataset_has_labels, spread_indices

__all__ = ['KNNEvalDataset']


@DATASETS.register_module()
class KNNEvalDataset(Dataset):
    """The bank split followed by the query split, each sample tagged with its role.

    MMEngine's validation and test loops iterate one dataloader and hand its samples to the evaluator. A kNN
    metric needs two sets: the labelled bank (the training split through a test pipeline) and the queries (the
    test split). This dataset is both, in that order; the packed data sample of each item gets the metainfo
    ``knn_role`` (``'bank'`` or ``'query'``) and ``knn_set`` (``name``), which
    :class:`~mmssl_ext.evaluation.KNNAccuracy` (``KNNMetric``) reads after MMEngine has gathered the results of
    every rank. Several sets can be monitored in one run by concatenating datasets of different ``name`` and
    giving each metric its ``dataset_name`` and ``prefix``.

    Example::

        val_dataloader = dict(batch_size=512, sampler=dict(type='DefaultSampler', shuffle=False),
                              dataset=dict(type='KNNEvalDataset', bank=train_set, query=test_set))
        val_evaluator = dict(type='KNNMetric', k=200, temperature=0.1)
        val_cfg = dict(type='KNNValLoop')

    Args:
        bank (Dataset | dict): The labelled bank (training split, test pipeline), or its config.
        query (Dataset | dict): The labelled query split, or its config.
        bank_size (int, optional): Keep this many bank samples, spread evenly over the split (class balance
            kept for class-sorted folders). Defaults to None (the whole split).
        query_size (int, optional): Likewise for the queries. Defaults to None.
        name (str): The set's name, written to each sample as ``knn_set``. Defaults to 'knn'.
    """

    def __init__(
        self,
        bank: Union[Dataset, Dict],
        query: Union[Dataset, Dict],
        bank_size: Optional[int] = None,
        query_size: Optional[int] = None,
        name: str = 'knn',
    ) -> None:
        self.bank = DATASETS.build(bank) if isinstance(bank, dict) else bank
        self.query = DATASETS.build(query) if isinstance(query, dict) else query
        self.name = name
        self.bank_indices = self._indices('bank', self.bank, bank_size)
        self.query_indices = self._indices('query', self.query, query_size)

    @staticmethod
    def _indices(field: str, dataset: Dataset, size: Optional[int]) -> List[int]:
        total = len(cast(Sized, dataset))
        if total == 0:
            raise ValueError(f'KNNEvalDataset: the {field} dataset is empty')
        if size is not None and size < 1:
            raise ValueError(f'KNNEvalDataset: {field}_size must be >= 1 or None, got {size}')
        return spread_indices(total, size) if size is not None else list(range(total))

    @property
    def has_labels(self) -> bool:
        """Whether both the bank and the queries carry class labels (``gt_label``)."""
        return dataset_has_labels(self.bank) and dataset_has_labels(self.query)

    @property
    def metainfo(self) -> dict:
        """The query split's meta information (classes)."""
        return dict(getattr(self.query, 'metainfo', {}))

    @property
    def bank_len(self) -> int:
        """Number of bank samples (the first items of the dataset)."""
        return len(self.bank_indices)

    def __len__(self) -> int:
        return len(self.bank_indices) + len(self.query_indices)

    def get_data_info(self, index: int) -> dict:
        """The data info of item ``index`` (bank first, then queries).

        Args:
            index (int): Item index.

        Returns:
            dict: The underlying dataset's info, when it has ``get_data_info``, else an empty dict.
        """
        dataset, inner = self._locate(index)
        if isinstance(dataset, BaseDataset):
            return dataset.get_data_info(inner)
        return {}

    def _locate(self, index: int) -> tuple:
        if not 0 <= index < len(self):
            raise IndexError(f'KNNEvalDataset: index {index} out of range for {len(self)} items')
        if index < self.bank_len:
            return self.bank, self.bank_indices[index]
        return self.query, self.query_indices[index - self.bank_len]

    def __getitem__(self, index: int) -> Any:
        dataset, inner = self._locate(index)
        item = dataset[inner]
        samples = item.get('data_samples') if isinstance(item, dict) else None
        if samples is None or not hasattr(samples, 'set_metainfo'):
            raise TypeError(
                'KNNEvalDataset: each item must be a packed sample (a dict with a data_samples element, from '
                f'PackInputs at the end of the pipeline), got {type(item).__name__}'
            )
        samples.set_metainfo(dict(knn_role='bank' if index < self.bank_len else 'query', knn_set=self.name))
        return item
