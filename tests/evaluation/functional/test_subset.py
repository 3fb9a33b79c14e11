"""Evaluation subsets: class-balanced spread indices and loaders that ignore mmengine's stale deepcopy memo."""

import pytest


def test_spread_indices_keep_class_balance_of_sorted_folders():
    from mmssl_ext.evaluation import spread_indices

    labels = [c for c in range(10) for _ in range(500)]  # a class-sorted folder listing
    picked = spread_indices(len(labels), 1000)
    assert len(set(picked)) == 1000 and picked == sorted(picked)
    counts = [sum(labels[i] == c for i in picked) for c in range(10)]
    assert counts == [100] * 10
    assert spread_indices(7, 50) == list(range(7))
    with pytest.raises(ValueError, match='size must be >= 1'):
        spread_indices(7, 0)


def test_eval_subsets_ignore_mmengine_stale_deepcopy_memo():
    """mmengine's get_subset deep-copies through a memo shared by the whole process (a mutable default
    argument): an entry left for a recycled id replaced a transform by an old object. The memo is emptied."""
    from mmengine.dataset import BaseDataset, Compose
    from mmengine.registry import DefaultScope

    from mmssl_ext.evaluation.functional.subset import build_eval_dataloader
    from mmssl_ext.registry import DATASETS

    with DefaultScope.overwrite_default_scope('mmssl_ext'):
        dataset = DATASETS.build(dict(type='DigitsDataset', split='test', pipeline=[dict(type='PackInputs')]))
    memo = BaseDataset._copy_without_annotation.__defaults__[0]
    memo[id(dataset.pipeline)] = 'stale object of an earlier subset'
    loader = build_eval_dataloader(
        dict(dataset=dataset, batch_size=4, sampler=dict(type='DefaultSampler', shuffle=False)), size=10
    )
    assert isinstance(loader.dataset.pipeline, Compose) and len(loader.dataset) == 10
