"""bench/train_step.py runs in smoke mode (tiny sizes, one repeat), so that it never rots."""

import pytest


def test_train_step_bench_smoke(capsys):
    from bench.train_step import main

    rows = main(['--smoke', '--cases', 'simclr', 'mocov2'])
    assert [(r['case'], r['impl']) for r in rows] == [
        ('simclr', 'mmssl_ext'),
        ('simclr', 'mmpretrain'),
        ('simclr', 'mmssl_ext channels-last'),
        ('simclr', 'mmssl_ext fast'),
        ('mocov2', 'mmssl_ext'),
        ('mocov2', 'mmpretrain'),
        ('mocov2', 'mmssl_ext channels-last'),
        ('mocov2', 'mmssl_ext fast'),
    ]
    for r in rows:
        assert r['excl'] > 0 and r['incl'] > 0 and r['views'] == 2 and r['batch'] == 4
    assert rows[0]['ratio_excl'] == pytest.approx(rows[0]['excl'] / rows[1]['excl'])
    assert rows[3]['fast_ratio'] == pytest.approx(rows[3]['incl'] / rows[0]['incl'])
    assert rows[3]['fast_ratio_cl'] == pytest.approx(rows[3]['incl'] / rows[2]['incl'])
    assert '| simclr | mmpretrain | 4 x 2 |' in capsys.readouterr().out
