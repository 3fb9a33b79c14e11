"""BaseFeatureAugmenter, sample_beta: neutral settings, apply_prob, renorm, seeding, registry, argument checks."""

import pytest
import torch

from mmssl_ext.models.feature_augs import (
    FeatureDropout,
    FeatureTriplet,
    GaussianNoise,
    IntraBatchMix,
    NegativeInterpolation,
    PositiveExtrapolation,
    ResidualMLPGenerator,
    sample_beta,
)
from mmssl_ext.registry import FEATURE_AUGMENTERS
from tests.models.feature_augs.feataug_helpers import RANDOM_AUGS, D, build, gen, triplet


@pytest.mark.parametrize(
    'aug',
    [
        GaussianNoise(std=0.0, on=('anchor', 'target')),
        FeatureDropout(p=0.0, on=('anchor', 'target')),
        IntraBatchMix(lam=1.0, on=('anchor', 'target')),
        PositiveExtrapolation(lam=1.0),
        NegativeInterpolation(mu=1.0),
        ResidualMLPGenerator(feat_dim=D, hidden_dim=8, noise_dim=4, on=('anchor', 'target')),
    ],
    ids=lambda a: type(a).__name__,
)
def test_neutral_settings_reproduce_the_input_bit_for_bit(aug):
    feats = triplet(normalise=False)
    out = aug(feats, gen())
    for field in ('anchor', 'target', 'negatives'):
        assert torch.equal(getattr(out, field), getattr(feats, field)), field


@pytest.mark.parametrize('name', list(RANDOM_AUGS))
def test_apply_prob_zero_returns_the_inputs(name):
    feats = triplet()
    out = build(name, apply_prob=0.0)(feats, gen())
    for field in ('anchor', 'target', 'negatives'):
        assert torch.equal(getattr(out, field), getattr(feats, field)), field


@pytest.mark.parametrize('name', list(RANDOM_AUGS))
def test_random_settings_change_exactly_the_modified_fields(name):
    aug = build(name)
    if name == 'ResidualMLPGenerator':  # leave the identity
        torch.nn.init.normal_(aug.mlp[2].weight)
    feats = triplet()
    out = aug(feats, gen())
    for field in ('anchor', 'target', 'negatives'):
        same = torch.equal(getattr(out, field), getattr(feats, field))
        assert same is (field not in aug.modified_fields()), field


@pytest.mark.parametrize('name', list(RANDOM_AUGS))
def test_apply_prob_half_changes_about_half_the_rows(name):
    n = 1000
    aug = build(name, apply_prob=0.5)
    if name == 'ResidualMLPGenerator':
        torch.nn.init.normal_(aug.mlp[2].weight)
    feats = triplet(n=n, k=n)
    out = aug(feats, gen(5))
    for field in aug.modified_fields():
        x, y = getattr(feats, field), getattr(out, field)
        changed = (x != y).any(dim=1)
        assert 400 <= changed.sum().item() <= 600, field  # mean 500, std ~16
        assert torch.equal(y[~changed], x[~changed])


@pytest.mark.parametrize('name', list(RANDOM_AUGS))
def test_renorm_gives_unit_rows(name):
    aug = build(name, renorm=True)
    out = aug(triplet(normalise=False), gen())
    for field in aug.modified_fields():
        norms = getattr(out, field).norm(dim=1)
        assert torch.allclose(norms, torch.ones_like(norms), atol=1e-5), field


@pytest.mark.parametrize('name', list(RANDOM_AUGS))
def test_same_seed_same_output_other_seed_other_output(name):
    aug = build(name)
    if name == 'ResidualMLPGenerator':
        torch.nn.init.normal_(aug.mlp[2].weight)
    feats = triplet()
    out1, out2, out3 = aug(feats, gen(7)), aug(feats, gen(7)), aug(feats, gen(8))
    fields = aug.modified_fields()
    assert all(torch.equal(getattr(out1, f), getattr(out2, f)) for f in fields)
    assert not all(torch.equal(getattr(out1, f), getattr(out3, f)) for f in fields)


def test_global_rng_is_used_without_a_generator():
    feats = triplet()
    torch.manual_seed(11)
    out1 = PositiveExtrapolation()(feats)
    torch.manual_seed(11)
    out2 = PositiveExtrapolation()(feats)
    assert torch.equal(out1.anchor, out2.anchor)


@pytest.mark.parametrize('a,b', [(2.0, 2.0), (1.6, 1.6), (0.5, 3.0)])
def test_sample_beta_mean_and_variance(a, b):
    x = sample_beta(a, b, (200_000,), gen(), dtype=torch.float64)
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    assert x.min() >= 0 and x.max() <= 1
    assert abs(x.mean().item() - mean) < 0.004
    assert abs(x.var().item() - var) / var < 0.03
    assert torch.equal(x, sample_beta(a, b, (200_000,), gen(), dtype=torch.float64))


def test_sample_beta_shapes_and_bad_parameters():
    assert sample_beta(2.0, 2.0, (), gen()).shape == ()
    assert sample_beta(2.0, 2.0, 5, gen()).shape == (5,)
    with pytest.raises(ValueError, match='alpha'):
        sample_beta(0.0, 1.0)
    with pytest.raises(ValueError, match='beta'):
        sample_beta(1.0, -1.0)


@pytest.mark.parametrize('name', list(RANDOM_AUGS))
def test_registry_builds_every_augmenter(name):
    aug = FEATURE_AUGMENTERS.build(dict(type=name, **RANDOM_AUGS[name]))
    assert type(aug).__name__ == name


def test_no_augmenter_modifies_its_inputs():
    feats = triplet()
    copies = [x.clone() for x in feats]
    for name in RANDOM_AUGS:
        build(name)(feats, gen())
    assert all(torch.equal(x, c) for x, c in zip(feats, copies))


@pytest.mark.parametrize(
    'cfg,field',
    [
        (dict(type='GaussianNoise', std=-0.1), 'std'),
        (dict(type='FeatureDropout', p=1.0), '`p`'),
        (dict(type='FeatureDropout', p=-0.1), '`p`'),
        (dict(type='GaussianNoise', on=('queue',)), '`on`'),
        (dict(type='GaussianNoise', on=('negatives',)), '`on`'),
        (dict(type='FeatureDropout', on=()), '`on`'),
        (dict(type='IntraBatchMix', apply_prob=1.5), 'apply_prob'),
        (dict(type='IntraBatchMix', alpha=0.0), 'alpha'),
        (dict(type='IntraBatchMix', lam=1.5), 'lam'),
        (dict(type='PositiveExtrapolation', alpha=-1.0), 'alpha'),
        (dict(type='NegativeInterpolation', mu=2.0), 'mu'),
        (dict(type='ResidualMLPGenerator', feat_dim=0), 'feat_dim'),
        (dict(type='ResidualMLPGenerator', feat_dim=4, noise_std=-1.0), 'noise_std'),
    ],
)
def test_bad_arguments_name_the_field(cfg, field):
    with pytest.raises(ValueError, match=field):
        FEATURE_AUGMENTERS.build(cfg)


def test_bad_shapes_name_the_field():
    a, t, q = triplet()
    with pytest.raises(ValueError, match='target'):
        GaussianNoise()(FeatureTriplet(a, t[:-1], q))
    with pytest.raises(ValueError, match='negatives'):
        GaussianNoise()(FeatureTriplet(a, t, q[:, :-1]))
    with pytest.raises(ValueError, match='anchor'):
        GaussianNoise()(FeatureTriplet(a[0], t[0], None))
    with pytest.raises(ValueError, match='feat_dim'):
        ResidualMLPGenerator(feat_dim=D + 1)(FeatureTriplet(a, t))


def test_sample_beta_with_a_generator_leaves_the_global_stream_alone():
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    g = gen()
    first = sample_beta(2.0, 2.0, (8,), g)
    second = sample_beta(2.0, 2.0, (8,), g)
    assert not torch.equal(first, second)  # the generator advanced
    assert torch.equal(torch.rand(4), expected)  # the global generator did not
