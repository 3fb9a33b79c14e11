"""KNNEvalDataset: the bank then the queries, each packed sample tagged with its role and set name."""

import pytest
import torch
from torch.utils.data import Dataset

from mmssl_ext.datasets import DigitsDataset, KNNEvalDataset
from mmssl_ext.registry import DATASETS

PIPELINE = [dict(type='PackInputs')]


def _digits(split):
    return dict(type='DigitsDataset', split=split, img_size=8, pipeline=PIPELINE)


def test_bank_items_come_first_then_the_queries_each_tagged():
    data = KNNEvalDataset(bank=_digits('train'), query=_digits('test'), bank_size=30, query_size=20, name='digits')
    assert len(data) == 50 and data.bank_len == 30 and data.has_labels
    bank, query = DigitsDataset(split='train', img_size=8), DigitsDataset(split='test', img_size=8)
    for index in (0, 29, 30, 49):
        item = data[index]
        sample = item['data_samples']
        role = 'bank' if index < 30 else 'query'
        assert sample.knn_role == role and sample.knn_set == 'digits'
        source, inner = (bank, data.bank_indices[index]) if role == 'bank' else (query, data.query_indices[index - 30])
        assert int(sample.gt_label) == int(source.get_gt_labels()[inner])
        assert torch.equal(item['inputs'], torch.from_numpy(source.get_data_info(inner)['img']).permute(2, 0, 1))
        assert data.get_data_info(index)['gt_label'] == int(source.get_gt_labels()[inner])
    # the subsets are spread over each split, so every class of the class-sorted digits splits is present
    assert len(set(data.bank_indices)) == 30 and max(data.bank_indices) > len(bank) // 2
    assert data.metainfo['classes'] == query.metainfo['classes']


def test_whole_splits_by_default_and_built_from_the_registry():
    data = DATASETS.build(dict(type='KNNEvalDataset', bank=_digits('train'), query=_digits('test')))
    assert len(data) == len(DigitsDataset(split='train')) + len(DigitsDataset(split='test'))
    assert data[len(data) - 1]['data_samples'].knn_set == 'knn'
    with pytest.raises(IndexError, match='out of range'):
        data[len(data)]


class _Unpacked(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, index):
        return torch.zeros(3)


class _Empty(_Unpacked):
    def __len__(self):
        return 0


class _NoLabels(_Unpacked):
    def get_data_info(self, index):
        return dict(img_path=f'{index}.png')  # an unlabelled image folder's info


def test_bad_input_is_named():
    with pytest.raises(ValueError, match='the query dataset is empty'):
        KNNEvalDataset(bank=_digits('train'), query=_Empty())
    with pytest.raises(ValueError, match='bank_size must be >= 1 or None, got 0'):
        KNNEvalDataset(bank=_digits('train'), query=_digits('test'), bank_size=0)
    with pytest.raises(TypeError, match='PackInputs'):
        KNNEvalDataset(bank=_Unpacked(), query=_Unpacked())[0]
    assert not KNNEvalDataset(bank=_NoLabels(), query=_digits('test')).has_labels
    assert not KNNEvalDataset(bank=_digits('train'), query=_NoLabels()).has_labels
