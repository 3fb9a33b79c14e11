"""bench/common.py: the benchmarks' table writer replaces its own block only."""


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
