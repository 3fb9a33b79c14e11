"""bench/pipeline.py runs in smoke mode, and its stock pipelines mirror the CLSA views and op ranges."""

import pytest


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
