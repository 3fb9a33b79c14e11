"""Weighted kNN: equality to the reference formula, chunk invariance, metric bookkeeping."""

import math

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.evaluation import KNNAccuracy, weighted_knn_predict


def reference_knn(query, bank, labels, num_classes, k, t):
    """Direct loop transcription of InstDisc's weighted vote."""
    query, bank = F.normalize(query, dim=1), F.normalize(bank, dim=1)
    out = torch.zeros(len(query), num_classes, dtype=torch.float64)
    for i, q in enumerate(query):
        sims = [(float(q @ b), int(y)) for b, y in zip(bank, labels)]
        sims.sort(key=lambda s: -s[0])
        for s, y in sims[:k]:
            out[i, y] += math.exp(s / t)
    return out


@pytest.mark.parametrize('k,t', [(1, 0.1), (5, 0.07), (200, 0.5)])
def test_matches_reference_formula(k, t):
    g = torch.Generator().manual_seed(0)
    bank, query = torch.randn(60, 16, generator=g), torch.randn(13, 16, generator=g)
    labels = torch.randint(0, 4, (60,), generator=g)
    got = weighted_knn_predict(query, bank, labels, 4, k=k, temperature=t, chunk_size=5)
    torch.testing.assert_close(got.double(), reference_knn(query, bank, labels, 4, k, t), rtol=1e-5, atol=1e-5)


def test_chunking_does_not_change_scores():
    g = torch.Generator().manual_seed(1)
    bank, query = torch.randn(100, 8, generator=g), torch.randn(37, 8, generator=g)
    labels = torch.randint(0, 3, (100,), generator=g)
    a = weighted_knn_predict(query, bank, labels, 3, k=10, chunk_size=1)
    b = weighted_knn_predict(query, bank, labels, 3, k=10, chunk_size=1000)
    # Votes are sums of exp(s / 0.07) (up to ~1e6): a chunk of 1 and one of 1000 take different float32 matmul
    # paths, so compare relative to the vote size (a wrong chunk offset would be off by whole votes).
    torch.testing.assert_close(a, b, rtol=1e-5, atol=0.0)


def test_scale_invariance_of_cosine_votes():
    g = torch.Generator().manual_seed(2)
    bank, query = torch.randn(30, 8, generator=g), torch.randn(5, 8, generator=g)
    labels = torch.randint(0, 3, (30,), generator=g)
    a = weighted_knn_predict(query, bank, labels, 3, k=7)
    b = weighted_knn_predict(query * 9.0, bank * 0.1, labels, 3, k=7)
    torch.testing.assert_close(a, b)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match='feature dims differ'):
        weighted_knn_predict(torch.randn(2, 3), torch.randn(4, 5), torch.zeros(4), 2)
    with pytest.raises(ValueError, match='bank labels'):
        weighted_knn_predict(torch.randn(2, 3), torch.randn(4, 3), torch.zeros(3), 2)


def test_metric_accuracy_on_separable_and_shuffled_labels():
    centers = torch.eye(4) * 10
    bank = centers.repeat_interleave(10, 0) + torch.randn(40, 4) * 0.1
    bank_labels = torch.arange(4).repeat_interleave(10)
    query = centers + torch.randn(4, 4) * 0.1
    metric = KNNAccuracy(k=5, topk=(1, 2))
    metric.set_bank(bank, bank_labels)
    metric.process(None, [dict(feat=q, gt_label=torch.tensor([i])) for i, q in enumerate(query)])
    assert metric.compute_metrics(metric.results) == {'top1': 100.0, 'top2': 100.0}
    # the one-call entry point used by the hook and knn_eval gives the same, prefixed figures
    labels = torch.arange(4)
    assert KNNAccuracy(k=5, topk=(1, 2)).score(bank, bank_labels, query, labels) == {
        'knn/top1': 100.0,
        'knn/top2': 100.0,
    }
    assert KNNAccuracy(k=5).score(bank, bank_labels, query, (labels + 1) % 4)['knn/top1'] == 0.0
    # wrong labels for every query: top-1 must be 0
    wrong = [(f, (y + 1) % 4) for f, y in metric.results]
    assert metric.compute_metrics(wrong)['top1'] == 0.0


def test_metric_requires_bank_and_fields():
    metric = KNNAccuracy()
    with pytest.raises(KeyError, match="'feat' and 'gt_label'"):
        metric.process(None, [dict(feat=torch.zeros(3))])
    metric.results.append((torch.zeros(3), 0))
    with pytest.raises(RuntimeError, match='set_bank'):
        metric.compute_metrics(metric.results)


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
