"""The bench scripts run in smoke mode (tiny sizes, one repeat) so that they never rot; their table writer
replaces its own block only."""

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


def test_pipeline_bench_smoke(capsys):
    from bench.pipeline import main

    rows = main(['--smoke'])
    expected = [
        (case, size, impl)
        for size in ('cifar', 'imagenet')
        for case in ('simclr', 'clsa7', 'aps')
        for impl in ('mmssl_ext', 'fast', 'stock')
        if not (case == 'aps' and impl == 'fast')  # APS has no batched path
    ]
    assert [(r['case'], r['size'], r['impl']) for r in rows] == expected
    views = {'simclr': 2, 'clsa7': 7, 'aps': 2}
    stock = {(r['case'], r['size']): r for r in rows if r['impl'] == 'stock'}
    for r in rows:
        assert r['views'] == views[r['case']] and r['views_per_s'] > 0 and r['images'] == 4
        assert r['ratio'] == pytest.approx(r['views_per_s'] / stock[r['case'], r['size']]['views_per_s'])
    out = capsys.readouterr().out
    assert '| Case | Size | Implementation | Views per sample | Views/s | Ratio vs stock |' in out
    assert '| clsa7 | imagenet | stock | 7 |' in out and 'Command: `python bench/pipeline.py' in out


@pytest.mark.parametrize(
    'size, sides', [('imagenet', (224, 224, 224, 192, 160, 128, 96)), ('cifar', (32, 32, 32, 28, 24, 20, 16))]
)
def test_pipeline_bench_stock_clsa_seven_views(size, sides):
    import numpy as np

    from bench.pipeline import SIZES, build_pipeline, stock_pipeline

    config = stock_pipeline('clsa7', size)
    groups = next(t for t in config if t['type'] == 'MultiView')['transforms']
    assert [[op['type'] for op in g].count('RandAugment') for g in groups] == [0, 0, 1, 1, 1, 1, 1]
    assert 'CLSARandAugment' not in repr(config)
    pipeline = build_pipeline(config, 'mmpretrain')  # our types are unknown in the mmpretrain scope
    h, w = SIZES[size]
    img = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    np.random.seed(0)
    inputs = pipeline(dict(img=img, img_shape=(h, w), ori_shape=(h, w)))['inputs']
    assert [tuple(x.shape) for x in inputs] == [(3, s, s) for s in sides]


def test_pipeline_bench_stock_pool_mirrors_clsa_ranges():
    import math

    import numpy as np
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import TRANSFORMS

    from bench.pipeline import stock_randaugment
    from mmssl_ext.datasets.transforms.clsa_randaugment import OP_NAMES, SIGNED_OPS, op_parameter

    cfg = stock_randaugment()
    assert cfg['num_policies'] == 5 and cfg['magnitude_std'] == 'inf'
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        stock = TRANSFORMS.build(cfg)
    assert len(stock.transforms) == len(OP_NAMES) == 14
    np.random.seed(0)
    img = np.random.randint(0, 256, (8, 8, 3), dtype=np.uint8)
    for name, op in zip(OP_NAMES, stock.transforms):
        clsa = [op_parameter(name, v) for v in range(1, 10)]
        if clsa[0] is None:
            if name == 'Identity':
                assert op(dict(img=img.copy()))['img'].tobytes() == img.tobytes()
            else:
                assert type(op).__name__ == name and op.prob == 0.5
            continue
        assert op.prob == 0.5 and op.random_negative_prob == (0.5 if name in SIGNED_OPS else 0.0), name
        drawn = np.array([op.random_magnitude() for _ in range(2000)])
        if name in ('Brightness', 'Color', 'Contrast', 'Sharpness'):
            drawn = 1 + drawn  # mmpretrain's factor
        if name.startswith('Translate'):
            clsa = [0.03 * v for v in range(1, 10)]  # op_parameter's fraction of the size
        if name == 'Posterize':
            assert {math.ceil(m) for m in drawn} == set(clsa)
            continue
        width = max(clsa) - min(clsa)
        assert abs(drawn.min() - min(clsa)) < 0.01 * width and abs(drawn.max() - max(clsa)) < 0.01 * width, name
    with pytest.raises(ValueError, match='magnitude_max'):
        stock_randaugment(magnitude_max=9)


def test_batch_ops_bench_smoke(capsys):
    from bench.batch_ops import main

    rows = main(['--smoke', '--sizes', 'cifar'])
    assert {r['op'] for r in rows} >= {'hue', 'blur', 'equalize', 'rotate', 'resized_crop'}
    for r in rows:
        assert r['batch'] == 2 and r['batched'] > 0 and r['per_image'] > 0
        assert r['speedup'] == pytest.approx(r['per_image'] / r['batched'])
    assert '| cifar | hue | 2 |' in capsys.readouterr().out


def test_guard_cost_bench_smoke(capsys):
    from bench.guard_cost import main

    rows = main(['--widths', '4', '--batch', '2', '--repeats', '1'])
    assert set(rows) == {4} and rows[4]['check'] > 0 and rows[4]['step'] > 0
    # ResNet-18 at width 4 plus SimCLR's 32-2048-128 projector: the parameter count the check covers
    assert 0.3e6 < rows[4]['params'] < 0.4e6
    assert '| 4 |' in capsys.readouterr().out
