"""KNNAccuracy: metric bookkeeping and the one-call ``score`` entry point."""

import pytest
import torch

from mmssl_ext.evaluation import KNNAccuracy


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
    wrong = [(f, (y + 1) % 4, is_bank) for f, y, is_bank in metric.results]
    assert metric.compute_metrics(wrong)['top1'] == 0.0


def test_metric_requires_bank_and_fields():
    metric = KNNAccuracy()
    with pytest.raises(KeyError, match="'feat' and 'gt_label'"):
        metric.process(None, [dict(feat=torch.zeros(3))])
    metric.results.append((torch.zeros(3), 0, False))
    with pytest.raises(RuntimeError, match='set_bank'):
        metric.compute_metrics(metric.results)
