"""Fast linear probe on frozen features: the pure function."""

import pytest
import torch

from mmssl_ext.evaluation import linear_probe


def _blobs(n_per_class: int, num_classes: int = 10, dim: int = 32, spread: float = 10.0, seed: int = 0):
    """Gaussian blobs with class means ``spread`` apart on the axes (unit noise)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(num_classes).repeat_interleave(n_per_class)
    means = torch.zeros(num_classes, dim)
    means[torch.arange(num_classes), torch.arange(num_classes)] = spread
    feats = means[labels] + torch.randn(len(labels), dim, generator=g)
    return feats, labels


def test_separable_features_reach_full_accuracy():
    train_x, train_y = _blobs(50, seed=0)
    test_x, test_y = _blobs(20, seed=1)
    metrics = linear_probe(train_x, train_y, test_x, test_y, epochs=30)
    assert metrics == {'linear/top1': 100.0, 'linear/top5': 100.0}


def test_separable_without_standardization_and_with_weight_decay():
    train_x, train_y = _blobs(50, seed=0)
    test_x, test_y = _blobs(20, seed=1)
    metrics = linear_probe(train_x, train_y, test_x, test_y, epochs=30, standardize=False, weight_decay=1e-3)
    assert metrics['linear/top1'] == 100.0


def test_swapped_test_labels_score_zero():
    # the probe really predicts the classes it learnt: shifting every test label by one gives 0%
    train_x, train_y = _blobs(50, seed=0)
    test_x, test_y = _blobs(20, seed=1)
    metrics = linear_probe(train_x, train_y, test_x, (test_y + 1) % 10, epochs=30)
    assert metrics['linear/top1'] == 0.0


def test_random_labels_stay_near_chance_on_held_out_data():
    g = torch.Generator().manual_seed(0)
    train_x, test_x = torch.randn(500, 64, generator=g), torch.randn(2000, 64, generator=g)
    train_y, test_y = torch.randint(0, 10, (500,), generator=g), torch.randint(0, 10, (2000,), generator=g)
    metrics = linear_probe(train_x, train_y, test_x, test_y, epochs=50)
    # chance is 10% / 50%; the binomial std on 2000 samples is ~0.7 / ~1.1 points
    assert 6.0 < metrics['linear/top1'] < 14.0
    assert 44.0 < metrics['linear/top5'] < 56.0
    # while it does fit the training set (the probe is not broken, the labels are just noise)
    assert linear_probe(train_x, train_y, train_x, train_y, epochs=50)['linear/top1'] > 40.0


def test_same_seed_gives_identical_results_and_leaves_global_rng_alone():
    g = torch.Generator().manual_seed(3)
    train_x, test_x = torch.randn(300, 16, generator=g), torch.randn(200, 16, generator=g)
    train_y, test_y = torch.randint(0, 7, (300,), generator=g), torch.randint(0, 7, (200,), generator=g)
    kwargs = dict(epochs=5, batch_size=32)
    state = torch.get_rng_state()
    first = linear_probe(train_x, train_y, test_x, test_y, seed=1, **kwargs)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(12345)  # the global seed plays no part
    assert linear_probe(train_x, train_y, test_x, test_y, seed=1, **kwargs) == first
    results = {tuple(linear_probe(train_x, train_y, test_x, test_y, seed=s, **kwargs).values()) for s in range(4)}
    assert len(results) > 1  # ... but the seed does (it orders the mini-batches)


def test_standardize_makes_the_result_scale_invariant():
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(5, 20, generator=g) * 0.5  # overlapping classes: ~85% top-1, not saturated
    train_y, test_y = torch.randint(0, 5, (400,), generator=g), torch.randint(0, 5, (300,), generator=g)
    train_x = centers[train_y] + torch.randn(400, 20, generator=g)
    test_x = centers[test_y] + torch.randn(300, 20, generator=g)
    base = linear_probe(train_x, train_y, test_x, test_y, epochs=20)
    assert 60.0 < base['linear/top1'] < 100.0
    for scale, shift in ((1000.0, 0.0), (1000.0, 50.0), (1e-3, 0.0)):
        other = linear_probe(train_x * scale + shift, train_y, test_x * scale + shift, test_y, epochs=20)
        for key, value in base.items():
            assert other[key] == pytest.approx(value, abs=0.5)  # at most one test sample of float noise
    # without standardization the same lr on 1000x larger features does worse
    raw = linear_probe(train_x * 1000, train_y, test_x * 1000, test_y, epochs=20, standardize=False)
    assert raw['linear/top1'] < base['linear/top1']


def test_top5_only_with_five_classes_and_num_classes_argument():
    train_x, train_y = _blobs(20, num_classes=3, seed=0)
    test_x, test_y = _blobs(10, num_classes=3, seed=1)
    assert set(linear_probe(train_x, train_y, test_x, test_y, epochs=5)) == {'linear/top1'}
    # more declared classes than seen: top5 is reported and covers the 3 real ones
    metrics = linear_probe(train_x, train_y, test_x, test_y, num_classes=6, epochs=5)
    assert metrics['linear/top5'] == 100.0


def test_no_autograd_graph_and_works_under_no_grad():
    train_x, train_y = _blobs(10, seed=0)
    train_x.requires_grad_(True)
    with torch.no_grad():
        metrics = linear_probe(train_x, train_y, train_x.detach(), train_y, epochs=3)
    assert all(type(v) is float for v in metrics.values())
    assert train_x.grad is None


@pytest.mark.parametrize(
    'args, kwargs, match',
    [
        ((torch.zeros(4), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {}, 'train_feats must be a \\[N, D\\]'),
        ((torch.zeros(4, 3), torch.zeros(4, 1, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {}, 'train_labels must be a \\[N\\]'),
        ((torch.zeros(4, 3), torch.zeros(5, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {}, 'train_labels for 4 rows of train_feats'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(2, 5), torch.zeros(2, dtype=torch.long)),
         {}, 'test_feats has dimension 5 but train_feats has 3'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3), torch.zeros(3, dtype=torch.long)),
         {}, 'test_labels for 2 rows of test_feats'),
        ((torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {}, 'train_feats is empty'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)),
         {}, 'test_feats is empty'),
        ((torch.zeros(4, 3), torch.tensor([0, 1, 2, 3]), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {'num_classes': 3}, 'train_labels out of range'),
        ((torch.zeros(4, 3), torch.tensor([0, 1, -1, 0]), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {}, 'train_labels out of range'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3), torch.tensor([0, 7])),
         {'num_classes': 5}, 'test_labels out of range'),
        ((torch.zeros(4, 3), torch.zeros(4), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {}, 'train_labels must hold integer'),
        ((torch.full((4, 3), float('nan')), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3),
          torch.zeros(2, dtype=torch.long)), {}, 'train_feats contains NaN'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {'epochs': 0}, 'epochs must be'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {'batch_size': 0}, 'batch_size must be'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {'lr': 0.0}, 'lr must be'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {'weight_decay': -1.0}, 'weight_decay must be'),
        ((torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
         {'num_classes': 0}, 'num_classes must be'),
    ],
)  # fmt: skip
def test_invalid_inputs_raise_value_error_naming_the_argument(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        linear_probe(*args, **kwargs)
