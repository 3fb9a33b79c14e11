"""bench/aps_tokens.py: the smoke mode runs and reports steps and token throughput."""

import pytest


def test_bench_script_smoke_mode(capsys):
    from bench.aps_tokens import main

    rows = main(['--batch', '4', '--repeats', '1', '--arch', 'tiny-test'])
    assert set(rows) == {'APS (25% tokens, 4 steps / batch)', 'all tokens (1 step / batch)'}
    aps = rows['APS (25% tokens, 4 steps / batch)']
    assert aps['steps_per_s'] == pytest.approx(4 / aps['sec'])
    assert 'tokens/s vs all tokens' in capsys.readouterr().out
