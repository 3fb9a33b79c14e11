"""tools/visualization/browse_dataset.py on shipped configs shrunk to the digits: every view, seeded, as a PNG."""

from typing import List, Tuple

import numpy as np
import pytest

from tests.helpers import smoke_cfg

SIMCLR = 'simclr/simclr_resnet18_1xb256-lars-coslr-1000e_cifar10.py'
CLSA_MULTI = 'clsa/clsa_resnet18_1xb256-multi-coslr-1000e_cifar10.py'


def _declared_views(cfg) -> List[int]:
    """Crop size of every view the train pipeline's MultiView declares, in output order."""
    multi = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'MultiView']
    assert len(multi) == 1
    groups, counts = multi[0]['transforms'], multi[0]['num_views']
    counts = [counts] * len(groups) if isinstance(counts, int) else counts
    sizes = []
    for group, count in zip(groups, counts):
        crop = next(t for t in group if t['type'] == 'RandomResizedCrop')
        sizes += [int(crop['scale'])] * count
    return sizes


@pytest.mark.parametrize(('config', 'expected_views'), [(SIMCLR, 2), (CLSA_MULTI, 1 + 5 + 5)])
def test_views_match_the_multiview_and_are_seeded(config, expected_views, tmp_path):
    from tools.visualization.browse_dataset import collect_views

    cfg = smoke_cfg(config, tmp_path, img_size=16)
    sizes = _declared_views(cfg)
    assert len(sizes) == expected_views
    rows = collect_views(cfg, num_samples=3, seed=7)
    assert len(rows) == 3
    for row in rows:
        assert [view.shape for view in row] == [(s, s, 3) for s in sizes]
        assert all(view.dtype == np.uint8 for view in row)
    if config == CLSA_MULTI:
        assert len(set(sizes)) == 5  # crops of different sizes survive the shrink
    again = collect_views(cfg, num_samples=3, seed=7)
    for row, row_again in zip(rows, again):
        for view, view_again in zip(row, row_again):
            np.testing.assert_array_equal(view, view_again)
    other = collect_views(cfg, num_samples=3, seed=8)
    assert any(not np.array_equal(a, b) for r, o in zip(rows, other) for a, b in zip(r, o))


@pytest.mark.parametrize(('config', 'grid'), [(SIMCLR, (2, 2)), (CLSA_MULTI, (2, 11))])
def test_png_grid_reads_back(config, grid: Tuple[int, int], tmp_path):
    import matplotlib.image as mpimg
    from mmengine.config import Config

    from tools.visualization.browse_dataset import CELL_INCHES, main

    path = tmp_path / 'cfg.py'
    smoke_cfg(config, tmp_path, img_size=16).dump(str(path))
    out = tmp_path / 'grids' / 'views.png'
    args = [str(path), '--out', str(out), '--num-samples', str(grid[0]), '--seed', '3', '--dpi', '40']
    assert main(args) == str(out)
    image = mpimg.imread(str(out))  # fails on anything but a valid PNG
    rows, cols = grid
    assert image.shape[:2] == (round(40 * (CELL_INCHES * rows + 0.4)), round(40 * CELL_INCHES * cols))
    assert image[..., :3].std() > 0.05  # views were drawn, not a blank canvas
    assert Config.fromfile(str(path)).train_dataloader.dataset.type == 'DigitsDataset'


def test_bgr_is_flipped_when_the_preprocessor_asks(tmp_path):
    from tools.visualization.browse_dataset import collect_views

    cfg = smoke_cfg(SIMCLR, tmp_path, img_size=16)
    from mmcv.transforms import BaseTransform

    from mmssl_ext.registry import TRANSFORMS

    @TRANSFORMS.register_module(name='TintForBrowseTest', force=True)
    class Tint(BaseTransform):  # the digits are grey: zero the last channel so a channel flip shows
        def transform(self, results: dict) -> dict:
            results['img'] = results['img'].copy()
            results['img'][..., 2] = 0
            return results

    pipeline = [dict(type='TintForBrowseTest'), dict(type='PackInputs')]
    cfg.train_dataloader.dataset.pipeline = pipeline  # a single view: one column
    cfg.data_preprocessor['to_rgb'] = False
    plain = collect_views(cfg, num_samples=1, seed=0)
    assert len(plain[0]) == 1
    cfg.data_preprocessor['to_rgb'] = True
    flipped = collect_views(cfg, num_samples=1, seed=0)
    assert plain[0][0][..., 2].max() == 0 and plain[0][0][..., 0].max() > 0
    np.testing.assert_array_equal(flipped[0][0], plain[0][0][..., ::-1])


def test_clear_errors(tmp_path):
    from tools.visualization.browse_dataset import collect_views, main

    cfg = smoke_cfg(SIMCLR, tmp_path, img_size=16)
    with pytest.raises(ValueError, match=r'num_samples \(--num-samples\) must be an integer >= 1, got 0'):
        collect_views(cfg, num_samples=0)
    with pytest.raises(ValueError, match=r"split \(--split\) must be one of \['train', 'val', 'test'\]"):
        collect_views(cfg, split='bank')
    cfg.train_dataloader.dataset.pipeline = [dict(type='RandomFlip', prob=0.5)]  # no PackInputs: no `inputs`
    with pytest.raises(ValueError, match='no `inputs` tensor or MultiView-style list'):
        collect_views(cfg, num_samples=1)
    with pytest.raises(ValueError, match=r"--out must end in \.png, got 'grid\.jpg'"):
        main(['cfg.py', '--out', 'grid.jpg'])
