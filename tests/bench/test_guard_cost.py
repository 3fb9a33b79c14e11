"""bench/guard_cost.py runs in smoke mode (tiny sizes, one repeat), so that it never rots."""


def test_guard_cost_bench_smoke(capsys):
    from bench.guard_cost import main

    rows = main(['--widths', '4', '--batch', '2', '--repeats', '1'])
    assert set(rows) == {4} and rows[4]['check'] > 0 and rows[4]['step'] > 0
    # ResNet-18 at width 4 plus SimCLR's 32-2048-128 projector: the parameter count the check covers
    assert 0.3e6 < rows[4]['params'] < 0.4e6
    assert '| 4 |' in capsys.readouterr().out
