"""Budget benchmark report: mean, sample std and gain over the random baseline."""

import pytest

from tools.benchmarks.budget import report


def test_summary_mean_std_and_gain():
    runs = {
        'random-resnet': [{'seed': 0, 'knn/top1': 20.0, 'knn/top5': 70.0, 'linear/top1': 25.0}],
        'simclr': [
            {'seed': s, 'knn/top1': v, 'knn/top5': 80.0, 'linear/top1': 40.0, 'train_s': 60.0, 'img_per_s': 100.0}
            for s, v in ((0, 40.0), (1, 44.0))
        ],
    }
    summary = report.summarise(runs)
    mean, std = summary['simclr']['knn/top1']
    assert mean == 42.0 and std == pytest.approx(8**0.5)  # sample std of (40, 44)
    assert summary['simclr']['gain'] == 22.0 and summary['random-resnet']['gain'] is None
    # one seed has no std yet: the cell shows the mean alone
    assert summary['random-resnet']['knn/top1'] == (20.0, None)
    assert report._cell(summary['random-resnet']['knn/top1']) == '20.00'
    assert report._cell(summary['simclr']['knn/top1']) == '42.00 ± 2.83'
