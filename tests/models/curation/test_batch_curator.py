"""BatchCurator: threshold / fraction selection, floors, ties, warm-up, false negatives, oversampling, checks, gate."""

import pytest
import torch

from mmssl_ext.models.curation import BatchCurator
from mmssl_ext.models.utils import frechet_distance
from tests.models.algorithms.simclr_helpers import B, aligned_pairs, antiparallel_batch, scored_pairs, unit


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids contention with other jobs on the machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.mark.parametrize(
    'policy', [dict(pos_threshold=0.0), dict(keep_fraction=(B - 1) / B)], ids=['threshold', 'fraction']
)
def test_curator_drops_the_antiparallel_pair(policy):
    features = antiparallel_batch()
    z1, z2 = features[:, 0], features[:, 1]
    sims = (z1 * z2).sum(-1)
    assert float(sims[2]) == pytest.approx(-1.0) and bool((sims[torch.arange(B) != 2] > 0).all())
    selection = BatchCurator(**policy).select_pairs(z1, z2)
    expected = torch.ones(B, dtype=torch.bool)
    expected[2] = False
    assert torch.equal(selection.keep, expected)
    assert not selection.skip
    assert selection.stats['kept_frac'] == pytest.approx((B - 1) / B)
    assert selection.stats['pos_sim'] == pytest.approx(float(sims.mean()), abs=1e-6)
    assert selection.stats['pos_sim_kept'] == pytest.approx(float(sims[expected].mean()), abs=1e-6)


def test_keep_fraction_keeps_the_best_scoring_pairs():
    z1, z2 = scored_pairs([0.9, -0.5, 0.1, 0.7, 0.3, -0.9, 0.5, 0.2])
    keep = BatchCurator(keep_fraction=0.5).select_pairs(z1, z2).keep
    assert torch.nonzero(keep).squeeze(1).tolist() == [0, 3, 4, 6]


def test_min_kept_floor_keeps_the_best_scoring_pairs():
    z1, z2 = scored_pairs([-0.2, -0.5, 0.4, -0.1, -0.9, -0.3])
    keep = BatchCurator(pos_threshold=0.9, min_kept=3).select_pairs(z1, z2).keep
    assert torch.nonzero(keep).squeeze(1).tolist() == [0, 2, 3]
    # default floor of 2 with everything below the threshold
    keep = BatchCurator(pos_threshold=0.9).select_pairs(z1, z2).keep
    assert torch.nonzero(keep).squeeze(1).tolist() == [2, 3]


def test_ties_are_broken_by_sample_order():
    scores = torch.tensor([0.1, 0.5, 0.5, 0.2, 0.5, 0.5, 0.5, 0.0])
    z1, z2 = scored_pairs(scores)
    assert torch.equal(BatchCurator.pair_similarity(z1, z2), scores)
    curator = BatchCurator(keep_fraction=3 / 8)
    assert torch.nonzero(curator.select_pairs(z1, z2).keep).squeeze(1).tolist() == [1, 2, 4]
    assert curator.rank_pairs(scores, 4).nonzero().squeeze(1).tolist() == [1, 2, 4, 5]


def test_is_active_follows_the_warmup():
    by_epoch = BatchCurator(warmup_epochs=2)
    assert [by_epoch.is_active(e, 100) for e in range(4)] == [False, False, True, True]
    assert by_epoch.is_active(None, None)
    by_iter = BatchCurator(warmup_iters=5)
    assert not by_iter.is_active(0, 4) and by_iter.is_active(0, 5) and by_iter.is_active(None, None)
    both = BatchCurator(warmup_epochs=1, warmup_iters=10)
    assert not both.is_active(1, 3) and not both.is_active(0, 20) and both.is_active(1, 10)
    assert BatchCurator().is_active(0, 0)


def test_inactive_selection_keeps_all_but_reports_statistics():
    features = antiparallel_batch()
    z1, z2 = features[:, 0], features[:, 1]
    curator = BatchCurator(pos_threshold=0.0, frd_threshold=1e-9)
    selection = curator.select_pairs(z1, z2, active=False)
    assert bool(selection.keep.all()) and not selection.skip
    assert selection.stats['kept_frac'] == 1.0
    assert selection.stats['pos_sim'] == pytest.approx(float((z1 * z2).sum(-1).mean()), abs=1e-6)
    assert selection.stats['frd'] == pytest.approx(float(frechet_distance(z1, z2)), rel=1e-9)
    assert selection.stats['frd'] > 1e-9
    active = curator.select_pairs(z1, z2, active=True)
    assert active.skip and not bool(active.keep[2])


def test_false_negatives_marks_entries_above_the_threshold():
    anchors, contrast = unit(4, 5, seed=4, dtype=torch.float32), unit(6, 5, seed=5, dtype=torch.float32)
    sims = anchors @ contrast.T
    threshold = float(sims.flatten().sort().values[15])
    mask = BatchCurator(neg_threshold=threshold).false_negatives(anchors, contrast)
    assert mask.dtype == torch.bool and mask.shape == (4, 6)
    assert torch.equal(mask, sims > threshold)
    assert int(mask.sum()) == 24 - 16
    assert BatchCurator().false_negatives(anchors, contrast) is None


def test_oversample_returns_the_best_pairs_in_ascending_order():
    z1, z2 = scored_pairs([0.1, 0.8, -0.2, 0.9, 0.5, 0.3])
    index = BatchCurator(select_num=3).oversample(z1, z2)
    assert index.dtype == torch.long and index.tolist() == [1, 3, 4]
    with pytest.raises(ValueError, match=r'select_num=8 .* brought 6'):
        BatchCurator(select_num=8).oversample(z1, z1)
    with pytest.raises(ValueError, match='select_num'):
        BatchCurator().oversample(z1, z1)


@pytest.mark.parametrize(
    'field,value',
    [
        ('pos_threshold', 1.5),
        ('pos_threshold', -1.01),
        ('neg_threshold', 2.0),
        ('keep_fraction', 0.0),
        ('keep_fraction', 1.2),
        ('frd_threshold', 0.0),
        ('frd_threshold', -1.0),
        ('select_num', 1),
        ('min_kept', 0),
        ('warmup_epochs', -1),
        ('warmup_iters', -2),
    ],
)
def test_curator_validates_its_arguments(field, value):
    name = {'warmup_epochs': 'epochs=-1', 'warmup_iters': 'iters=-2'}.get(field, field)
    with pytest.raises(ValueError, match=name):
        BatchCurator(**{field: value})


def test_boundary_arguments_are_accepted():
    BatchCurator(pos_threshold=-1.0, neg_threshold=1.0, keep_fraction=1.0, select_num=2, min_kept=1)


def test_frd_statistic_equals_frechet_distance():
    features = aligned_pairs(16, 6, seed=7, noise=0.8)
    z1, z2 = features[:, 0], features[:, 1]
    stats = BatchCurator().select_pairs(z1, z2).stats
    assert stats['frd'] == pytest.approx(float(frechet_distance(z1, z2)), rel=1e-12)
    assert stats['frd'] > 0
    assert 'frd' not in BatchCurator(log_frd=False).select_pairs(z1, z2).stats


def test_gate_skips_only_when_active_and_above_the_threshold():
    features = aligned_pairs(16, 6, seed=8, noise=0.8)
    z1, z2 = features[:, 0], features[:, 1]
    frd = float(frechet_distance(z1, z2))
    assert BatchCurator(frd_threshold=frd * 0.99).select_pairs(z1, z2).skip
    assert not BatchCurator(frd_threshold=frd * 0.99).select_pairs(z1, z2, active=False).skip
    assert not BatchCurator(frd_threshold=frd * 1.01).select_pairs(z1, z2).skip
    assert not BatchCurator(log_frd=True).select_pairs(z1, z2).skip  # logging only, no gate
