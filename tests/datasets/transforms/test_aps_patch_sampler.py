"""APSPatchSampler: the asymmetric patch sampler and its view-2 probabilities (methods.md 2.6 values)."""

import numpy as np
import pytest

from mmssl_ext.datasets.transforms import (
    APSPatchSampler,
    view2_probabilities,
)
from mmssl_ext.utils import register_all_modules

register_all_modules(init_default_scope=True)


def test_identical_boxes_zero_the_covered_row():
    p = view2_probabilities((0, 0, 32, 32), (0, 0, 32, 32), [0, 1, 2, 3], grid=4, power=3).reshape(4, 4)
    assert np.all(p[0] == 0)
    np.testing.assert_allclose(p[1:], 1 / 12, rtol=1e-12)


def test_half_cell_shift_gives_the_spec_values():
    p = view2_probabilities((0, 0, 32, 32), (0, 4, 32, 32), [0], grid=4, power=3)
    assert p[0] == pytest.approx(0.008264, abs=5e-7)  # 0.5^3 / (0.5^3 + 15)
    np.testing.assert_allclose(p[1:], 0.066116, atol=5e-7)
    assert p.sum() == pytest.approx(1.0)


def test_zoomed_view2_zeroes_the_four_covered_cells():
    p = view2_probabilities((0, 0, 32, 32), (0, 0, 16, 16), [0], grid=4, power=3).reshape(4, 4)
    assert np.all(p[:2, :2] == 0)
    mask = np.ones((4, 4), dtype=bool)
    mask[:2, :2] = False
    np.testing.assert_allclose(p[mask], 1 / 12, rtol=1e-12)


def test_power_sharpens_partial_cells():
    p1 = view2_probabilities((0, 0, 32, 32), (0, 4, 32, 32), [0], grid=4, power=1)
    assert p1[0] == pytest.approx(0.5 / 15.5)


def test_flip_aware_mirrors_columns_and_the_official_mode_ignores_flips():
    box = (0, 0, 32, 32)
    blind = view2_probabilities(box, box, [0], 4, flip1=True, flip2=False, flip_aware=False).reshape(4, 4)
    assert blind[0, 0] == 0 and blind[0, 3] > 0  # official: flips ignored
    # view 1 flipped: its token (0, 0) shows the crop's column 3, which view 2 (not flipped) has at token (0, 3)
    aware = view2_probabilities(box, box, [0], 4, flip1=True, flip2=False, flip_aware=True).reshape(4, 4)
    assert aware[0, 3] == 0 and aware[0, 0] > 0
    # both flipped: the same token ids cover each other again
    both = view2_probabilities(box, box, [0], 4, flip1=True, flip2=True, flip_aware=True).reshape(4, 4)
    assert both[0, 0] == 0 and np.count_nonzero(both == 0) == 1


def _results(boxes, flips=(False, False)):
    return {'crop_bbox': list(boxes), 'flip': list(flips), 'img': [None, None]}


def test_view1_chunks_tile_the_grid_and_view2_ids_are_distinct():
    np.random.seed(0)
    sampler = APSPatchSampler(img_size=32, patch_size=2, ratio=0.25, nsampling=4)
    out = sampler(_results([(0, 0, 20, 20), (5, 5, 20, 20)]))
    idx1, idx2 = out['idx_view1'], out['idx_view2']
    assert idx1.shape == idx2.shape == (4, 64) and idx1.dtype == idx2.dtype == np.int64
    assert sorted(idx1.reshape(-1).tolist()) == list(range(256))  # disjoint chunks covering all 256 tokens
    for row in idx2:
        assert len(set(row.tolist())) == 64 and row.min() >= 0 and row.max() < 256


def test_view2_avoids_the_cells_view1_covers():
    np.random.seed(1)
    sampler = APSPatchSampler(img_size=8, patch_size=2, ratio=0.25, nsampling=1)  # grid 4, 4 tokens
    out = sampler(_results([(0, 0, 32, 32), (0, 0, 32, 32)]))  # identical boxes
    covered = set(out['idx_view1'][0].tolist())
    assert covered.isdisjoint(out['idx_view2'][0].tolist())


def test_too_few_uncovered_cells_fall_back_to_uniform_without_crashing():
    np.random.seed(2)
    # view 2 sits inside one cell of view 1: every view-2 cell is covered, all weights are 0
    sampler = APSPatchSampler(img_size=8, patch_size=2, ratio=0.5, nsampling=2)
    out = sampler(_results([(0, 0, 32, 32), (0, 0, 4, 4)]))
    for row in out['idx_view2']:
        assert len(set(row.tolist())) == 8
    probs = np.zeros(16)
    probs[[3, 7]] = 0.5  # only two non-zero cells for 8 draws: both are taken, 6 more uniformly
    picked = sampler.sample_view2(probs)
    assert {3, 7} <= set(picked.tolist()) and len(set(picked.tolist())) == 8


def test_sampler_arguments_and_missing_boxes_raise():
    with pytest.raises(ValueError, match='nsampling'):
        APSPatchSampler(ratio=0.5, nsampling=3)
    with pytest.raises(ValueError, match='patch_size'):
        APSPatchSampler(img_size=32, patch_size=3)
    with pytest.raises(ValueError, match='crop_bbox'):
        APSPatchSampler()({'img': [None, None]})
    with pytest.raises(ValueError, match='ids1'):
        view2_probabilities((0, 0, 8, 8), (0, 0, 8, 8), [16], grid=4)
