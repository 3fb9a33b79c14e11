"""bench/losses.py runs in smoke mode (tiny sizes, one repeat), so that it never rots."""


def test_losses_bench_smoke(capsys):
    from bench.losses import main

    rows = main(['--sizes', '64', '--repeats', '1', '--losses', 'infonce'])
    assert set(rows[('infonce', 64)]) == {'ours', 'ours_chunked', 'ref'}
    assert 'infonce' in capsys.readouterr().out
