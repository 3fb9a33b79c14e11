"""KNNMetric in a validation loop: the bank comes through ``process`` tagged by KNNEvalDataset; the figures equal
the one-call ``score`` on the same features, also when two ranks each process half of the samples."""

import os
import random

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from mmssl_ext.evaluation import KNNAccuracy, KNNMetric
from mmssl_ext.registry import METRICS
from tests.helpers import spawn_ranks


def _features(seed=0, n_bank=60, n_query=24, classes=4, dim=8):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(classes, dim, generator=g) * 2
    bank_labels = torch.arange(n_bank) % classes
    query_labels = torch.arange(n_query) % classes
    bank = F.normalize(centers[bank_labels] + torch.randn(n_bank, dim, generator=g) * 1.5, dim=1)
    query = F.normalize(centers[query_labels] + torch.randn(n_query, dim, generator=g) * 1.5, dim=1)
    return bank, bank_labels, query, query_labels


def _samples(bank, bank_labels, query, query_labels, name='knn'):
    samples = [dict(feat=f, gt_label=torch.tensor([int(y)]), knn_role='bank', knn_set=name)
               for f, y in zip(bank, bank_labels)]  # fmt: skip
    samples += [dict(feat=f, gt_label=torch.tensor([int(y)]), knn_role='query', knn_set=name)
                for f, y in zip(query, query_labels)]  # fmt: skip
    return samples


def test_bank_through_the_loop_equals_score_in_any_order():
    bank, bank_labels, query, query_labels = _features()
    expected = KNNAccuracy(k=10, temperature=0.1).score(bank, bank_labels, query, query_labels)
    assert 0.0 < expected['knn/top1'] < 100.0  # noisy clusters: a figure that can be wrong
    samples = _samples(bank, bank_labels, query, query_labels)
    random.Random(0).shuffle(samples)  # the metric must not rely on bank-first order
    metric = METRICS.build(dict(type='KNNMetric', k=10, temperature=0.1))
    assert isinstance(metric, KNNMetric)
    metric.process(None, samples)
    assert metric.evaluate(len(samples)) == pytest.approx(expected)
    # wrong query labels: the figure moves (the metric reads the labels it was given)
    metric.process(None, _samples(bank, bank_labels, query, (query_labels + 1) % 4))
    assert metric.evaluate(len(samples))['knn/top1'] < expected['knn/top1']


def test_two_sets_in_one_loop_each_with_its_prefix():
    a, b = _features(seed=1), _features(seed=2)
    samples = _samples(*a, name='first') + _samples(*b, name='second')
    figures = {}
    for name in ('first', 'second'):
        metric = KNNMetric(k=10, prefix=f'{name}_knn', dataset_name=name)
        metric.process(None, samples)
        figures.update(metric.evaluate(len(samples)))
    assert figures['first_knn/top1'] == pytest.approx(KNNMetric(k=10).score(*a)['knn/top1'])
    assert figures['second_knn/top1'] == pytest.approx(KNNMetric(k=10).score(*b)['knn/top1'])


def test_bad_roles_and_missing_queries_are_named():
    metric = KNNMetric(k=2)
    with pytest.raises(ValueError, match="knn_role must be 'bank' or 'query', got 'train'"):
        metric.process(None, [dict(feat=torch.zeros(3), gt_label=torch.tensor([0]), knn_role='train')])
    metric.process(None, [dict(feat=torch.ones(3), gt_label=torch.tensor([0]), knn_role='bank')])
    with pytest.raises(ValueError, match='no query samples reached the metric'):
        metric.compute_metrics(metric.results)


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    samples = _samples(*_features())
    # MMEngine's DefaultSampler (shuffle=False) on 2 ranks: rank r takes items r, r + 2, ...
    metric = KNNMetric(k=10, temperature=0.1)
    metric.process(None, samples[rank::2])
    torch.save(metric.evaluate(len(samples)), os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


@pytest.mark.dist  # 2 processes
def test_two_ranks_gather_bank_and_queries_to_the_one_process_figure(tmp_path):
    expected = KNNMetric(k=10, temperature=0.1).score(*_features())
    for figures in spawn_ranks(_worker, tmp_path, weights_only=False):
        assert figures == pytest.approx(expected)
