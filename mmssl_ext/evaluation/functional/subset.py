# Copyright (c) mmssl_ext contributors. All rights reserved.
"""Evenly spread evaluation subsets (class-sorted folders stay class-balanced)."""

from typing import List, Optional, Union

from mmengine.dataset import BaseDataset
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmssl_ext.datasets.dataset_utils import spread_indices
from mmssl_ext.registry import DATASETS

__all__ = ['spread_indices', 'build_eval_dataloader']


def _subset(dataset: BaseDataset, indices: List[int]) -> BaseDataset:
    """``dataset.get_subset(indices)`` without MMEngine's stale deepcopy memo.

    ``BaseDataset._copy_without_annotation(self, memo=dict())`` (mmengine 0.10) keeps its memo as a mutable default
    argument, shared by every subset made in the process. Once an object in it is freed, a new object that gets
    the same id is "copied" as the stale one: a transform of a later pipeline came back as an old dataset. The
    memo is emptied before each copy.
    """
    defaults = BaseDataset._copy_without_annotation.__defaults__
    if defaults and isinstance(defaults[0], dict):
        defaults[0].clear()
    return dataset.get_subset(indices)


def build_eval_dataloader(loader_cfg: Union[dict, object], size: Optional[int] = None, seed: Optional[int] = 0):
    """Build an evaluation dataloader, optionally on an evenly spread subset of ``size`` samples.

    Args:
        loader_cfg (dict | DataLoader): Dataloader config (or an already built dataloader).
        size (int, optional): Keep this many samples, spread over the dataset. Defaults to None (all).
        seed (int, optional): Seed of the dataloader. Defaults to 0.

    Returns:
        DataLoader: The dataloader.
    """
    if not isinstance(loader_cfg, dict) or size is None:
        return Runner.build_dataloader(loader_cfg, seed=seed)
    cfg = dict(loader_cfg)
    dataset = cfg['dataset']
    if isinstance(dataset, dict):
        with DefaultScope.overwrite_default_scope('mmssl_ext'):
            dataset = DATASETS.build(dataset)
    if not isinstance(dataset, BaseDataset):
        raise TypeError(f'build_eval_dataloader: subsets need an MMEngine BaseDataset, got {type(dataset).__name__}')
    cfg['dataset'] = _subset(dataset, spread_indices(len(dataset), size))
    return Runner.build_dataloader(cfg, seed=seed)
