# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Dataset facts the evaluation code needs: whether samples carry labels, evenly spread subsets."""

from typing import List, Sized, cast

__all__ = ['dataset_has_labels', 'spread_indices']


def dataset_has_labels(dataset: object) -> bool:
    """Whether a dataset's samples carry a class label (``gt_label``), read from its first sample's info.

    mmpretrain's ``CustomDataset(with_label=False)`` (an unlabelled image folder) has none; wrappers holding the
    dataset as ``.dataset`` (subsets, the bad-sample policy) are looked through. A dataset without
    ``get_data_info`` is assumed labelled (its samples are checked when features are extracted).

    Args:
        dataset (object): The dataset (e.g. ``dataloader.dataset``).

    Returns:
        bool: False when the samples have no ``gt_label``.
    """
    while not hasattr(dataset, 'get_data_info') and hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    if not hasattr(dataset, 'get_data_info') or len(cast(Sized, dataset)) == 0:
        return True
    info = dataset.get_data_info(0)
    return not isinstance(info, dict) or 'gt_label' in info


def spread_indices(total: int, size: int) -> List[int]:
    """``size`` indices spread evenly over ``range(total)`` (all of them when ``size >= total``).

    Folder datasets list samples class by class, so the first ``size`` samples would all share a
    class; an even stride keeps every class in proportion.

    Args:
        total (int): Number of samples.
        size (int): Number wanted.

    Returns:
        list[int]: Sorted, distinct indices.
    """
    if size < 1:
        raise ValueError(f'spread_indices: size must be >= 1, got {size}')
    if size >= total:
        return list(range(total))
    return [int(i * total / size) for i in range(size)]
