"""The bench scripts run in smoke mode (tiny sizes, one repeat) so that they never rot; their table writer
replaces its own block only."""

import pytest


def test_train_step_bench_smoke(capsys):
    from bench.train_step import main

    rows = main(['--smoke', '--cases', 'simclr', 'mocov2'])
    assert [(r['case'], r['impl']) for r in rows] == [
        ('simclr', 'mmssl_ext'),
        ('simclr', 'mmpretrain'),
        ('mocov2', 'mmssl_ext'),
        ('mocov2', 'mmpretrain'),
    ]
    for r in rows:
        assert r['excl'] > 0 and r['incl'] > 0 and r['views'] == 2 and r['batch'] == 4
    assert rows[0]['ratio_excl'] == pytest.approx(rows[0]['excl'] / rows[1]['excl'])
    assert '| simclr | mmpretrain | 4 x 2 |' in capsys.readouterr().out


def test_losses_bench_smoke(capsys):
    from bench.losses import main

    rows = main(['--sizes', '64', '--repeats', '1', '--losses', 'infonce'])
    assert set(rows[('infonce', 64)]) == {'ours', 'ours_chunked', 'ref'}
    assert 'infonce' in capsys.readouterr().out


def test_write_block_replaces_only_its_block(tmp_path):
    from bench.common import write_block

    doc = tmp_path / 'b.md'
    doc.write_text('# Benchmarks\n\nintro\n')
    write_block('bench/x.py', 'X', ['| a |', '|---|'], path=str(doc))
    write_block('bench/y.py', 'Y', ['y1'], path=str(doc))
    write_block('bench/x.py', 'X', ['| b |'], path=str(doc))
    text = doc.read_text()
    assert text.count('<!-- bench/x.py:begin -->') == 1 and '| a |' not in text and '| b |' in text
    assert text.index('## X') < text.index('## Y') and 'y1' in text and text.startswith('# Benchmarks\n\nintro')
