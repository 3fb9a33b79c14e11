"""bench/batch_ops.py runs in smoke mode (tiny sizes, one repeat), so that it never rots."""

import pytest


def test_batch_ops_bench_smoke(capsys):
    from bench.batch_ops import main

    rows = main(['--smoke', '--sizes', 'cifar'])
    assert {r['op'] for r in rows} >= {'hue', 'blur', 'equalize', 'rotate', 'resized_crop'}
    for r in rows:
        assert r['batch'] == 2 and r['batched'] > 0 and r['per_image'] > 0
        assert r['speedup'] == pytest.approx(r['per_image'] / r['batched'])
    assert '| cifar | hue | 2 |' in capsys.readouterr().out
