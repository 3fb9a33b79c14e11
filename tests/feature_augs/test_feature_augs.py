"""Feature-space augmenters (methods.md Part B 3): identities, FT formulas, randomness, gradient flow, registry."""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.feature_augs import (
    FeatureAugmentation,
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

N, D, K = 32, 16, 64


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def triplet(seed=0, n=N, d=D, k=K, normalise=True):
    g = gen(1000 + seed)
    a, t, q = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g), torch.randn(k, d, generator=g)
    if normalise:
        a, t, q = F.normalize(a, dim=1), F.normalize(t, dim=1), F.normalize(q, dim=1)
    return FeatureTriplet(a, t, q)


# name -> kwargs that give a genuinely random augmenter
RANDOM_AUGS = {
    'GaussianNoise': dict(std=0.5, on=('anchor', 'target')),
    'FeatureDropout': dict(p=0.3, on=('anchor', 'target')),
    'IntraBatchMix': dict(alpha=1.0, on=('anchor', 'target')),
    'PositiveExtrapolation': dict(alpha=2.0),
    'NegativeInterpolation': dict(alpha=1.6),
    'ResidualMLPGenerator': dict(feat_dim=D, hidden_dim=8, noise_dim=4, on=('anchor', 'target')),
}


def build(name, **kwargs):
    torch.manual_seed(0)  # ResidualMLPGenerator's first Linear
    return FEATURE_AUGMENTERS.build(dict(type=name, **{**RANDOM_AUGS[name], **kwargs}))


# ----------------------------------------------------------------------------- identities


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


# ----------------------------------------------------------------------------- FT formulas


def test_positive_extrapolation_lam_2_is_2a_minus_t():
    a, t, q = triplet()
    out = PositiveExtrapolation(lam=2.0)(FeatureTriplet(a, t, q))
    assert torch.equal(out.anchor, 2 * a - t)
    assert torch.equal(out.target, 2 * t - a)
    assert out.negatives is q


def _row_lams(a, t, out_a):
    # out_a - a = (lam - 1) (a - t)  =>  lam per element
    return 1 + (out_a - a) / (a - t)


def test_positive_extrapolation_default_lam_is_one_scalar_in_1_2():
    for seed in range(10):
        a, t, _ = triplet(seed)
        out = PositiveExtrapolation()(FeatureTriplet(a, t, None), gen(seed))
        lam = _row_lams(a.double(), t.double(), out.anchor.double())
        assert torch.allclose(lam, lam[0, 0].expand_as(lam), atol=1e-4)
        assert 1.0 <= lam[0, 0] <= 2.0
        lam_t = 1 + (out.target.double() - t.double()) / (t.double() - a.double())
        assert torch.allclose(lam_t, lam, atol=1e-4)


def test_positive_extrapolation_per_element_lams_differ():
    a, t, _ = triplet()
    out = PositiveExtrapolation(per_element=True)(FeatureTriplet(a, t, None), gen())
    lam = _row_lams(a.double(), t.double(), out.anchor.double())
    assert lam.std() > 0.05
    assert lam.min() >= 1 - 1e-4 and lam.max() <= 2 + 1e-4


def test_negative_interpolation_leaves_the_queue_buffer_untouched():
    buffer = F.normalize(torch.randn(2 * K, D, generator=gen(3)), dim=1)
    before = buffer.clone()
    view = buffer[:K]
    a, t, _ = triplet()
    out = NegativeInterpolation(renorm=True)(FeatureTriplet(a, t, view), gen())
    assert torch.equal(buffer, before)
    assert out.negatives.data_ptr() != buffer.data_ptr()
    assert not torch.equal(out.negatives, view)


@pytest.mark.parametrize('mu', [0.3, None])
def test_negative_interpolation_rows_are_convex_combinations_of_two_rows(mu):
    a, t, q = triplet()
    q = q.double()
    out = NegativeInterpolation(mu=mu)(FeatureTriplet(a.double(), t.double(), q), gen()).negatives
    # for row i and each candidate j: the least-squares mu of out_i - q_j = mu (q_i - q_j)
    diff = q[:, None, :] - q[None, :, :]  # [i, j, D]
    rhs = out[:, None, :] - q[None, :, :]
    denom = (diff * diff).sum(-1)
    mus = (rhs * diff).sum(-1) / denom.clamp_min(1e-12)
    resid = (rhs - mus[..., None] * diff).norm(dim=-1)
    resid.diagonal().fill_(float('inf'))  # j == i is not a second row ...
    fixed = (out - q).norm(dim=1) < 1e-12  # ... except at a fixed point of the permutation: out_i = q_i
    assert fixed.sum() < K // 4
    best = torch.where(fixed, torch.arange(K), resid.argmin(1))
    rows = torch.arange(K)[~fixed]
    assert resid[rows, best[rows]].max() < 1e-9
    mu_rows = mus[rows, best[rows]]
    assert (mu_rows >= 0).all() and (mu_rows <= 1).all()
    assert torch.allclose(mu_rows, mu_rows[0].expand_as(mu_rows), rtol=0, atol=1e-9)  # one scalar per call
    if mu is not None:
        assert torch.allclose(mu_rows, torch.full_like(mu_rows, mu), rtol=0, atol=1e-9)
    assert sorted(best.tolist()) == list(range(K))  # the partners form a permutation


def test_intra_batch_mix_fixed_lam_mixes_with_a_permutation():
    a, t, q = triplet()
    out = IntraBatchMix(lam=0.25)(FeatureTriplet(a, t, q), gen()).anchor
    partners = (out[:, None, :] - 0.25 * a[:, None, :] - 0.75 * a[None, :, :]).norm(dim=-1).argmin(1)
    assert torch.allclose(out, 0.25 * a + 0.75 * a[partners], atol=1e-6)
    assert sorted(partners.tolist()) == list(range(N))


def test_feature_dropout_is_inverted_dropout_in_any_mode():
    x = torch.ones(200, 50)
    aug = FeatureDropout(p=0.2).eval()
    out = aug(FeatureTriplet(x, x), gen()).anchor
    assert set(out.unique().tolist()) == {0.0, 1.25}
    assert abs((out == 0).float().mean().item() - 0.2) < 0.02


def test_gaussian_noise_has_the_requested_std():
    x = torch.zeros(500, 64)
    out = GaussianNoise(std=0.3)(FeatureTriplet(x, x), gen()).anchor
    assert abs(out.std().item() - 0.3) < 0.01 and abs(out.mean().item()) < 0.01


# ----------------------------------------------------------------------------- apply_prob, renorm, randomness


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


# ----------------------------------------------------------------------------- gradient flow


def _leaves():
    a, t, q = triplet()
    return a.clone().requires_grad_(), t.clone().requires_grad_(), q


def test_detach_input_stops_the_gradient_into_modified_fields_only():
    a, t, q = _leaves()
    fa = FeatureAugmentation(dict(type='GaussianNoise', std=0.1), detach_input=True)
    out = fa(a, t, q, generator=gen())
    assert not out.anchor.requires_grad
    assert out.target is t
    (out.anchor * out.target).sum().backward()
    assert a.grad is None or not a.grad.any()
    assert t.grad is not None and t.grad.abs().sum() > 0


def test_without_detach_input_the_gradient_reaches_the_anchor():
    a, t, q = _leaves()
    out = FeatureAugmentation(dict(type='GaussianNoise', std=0.1), detach_input=False)(a, t, q, generator=gen())
    (out.anchor * out.target).sum().backward()
    assert torch.allclose(a.grad, t.detach())  # d(a + noise) / da = I


def test_positive_extrapolation_gradient_reaches_anchor_through_both_outputs():
    a, t, q = _leaves()
    out = FeatureAugmentation(dict(type='PositiveExtrapolation', lam=2.0), detach_input=False)(a, t.detach(), q)
    out.target.sum().backward()  # t' = 2t - a: gradient -1 into the anchor through the target
    assert torch.equal(a.grad, -torch.ones_like(a))


def test_detach_output_detaches_modified_fields():
    a, t, q = _leaves()
    fa = FeatureAugmentation(
        [dict(type='GaussianNoise', std=0.1), dict(type='NegativeInterpolation')],
        detach_input=False,
        detach_output=True,
    )
    assert fa.modified_fields() == ('anchor', 'negatives')
    out = fa(a, t, q.requires_grad_(), generator=gen())
    assert not out.anchor.requires_grad and not out.negatives.requires_grad
    assert out.target.requires_grad


def test_mlp_generator_starts_as_identity_and_learns():
    aug = ResidualMLPGenerator(feat_dim=D, hidden_dim=32, noise_dim=8)
    a, t, _ = triplet()
    out = aug(FeatureTriplet(a, t), gen())
    assert torch.equal(out.anchor, a)
    loss = (out.anchor * torch.randn(N, D, generator=gen(2))).sum()
    loss.backward()
    assert aug.mlp[2].weight.grad.abs().sum() > 0  # zero-initialised, but its gradient is not zero
    with torch.no_grad():
        for p in aug.parameters():
            if p.grad is not None:
                p -= 0.1 * p.grad
    aug.zero_grad()
    out = aug(FeatureTriplet(a, t), gen())
    assert not torch.equal(out.anchor, a)
    out.anchor.pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in aug.parameters())
    aug.init_weights()
    assert torch.equal(aug(FeatureTriplet(a, t), gen()).anchor, a)


# ----------------------------------------------------------------------------- FeatureAugmentation, registry, errors


def test_chain_order_and_switches():
    a, t, q = triplet()
    fa = FeatureAugmentation(
        [PositiveExtrapolation(lam=2.0), dict(type='GaussianNoise', std=0.0, on='target')], loss_weight=0.5
    )
    out = fa(a, t, q)
    assert torch.equal(out.anchor, 2 * a - t) and torch.equal(out.target, 2 * t - a)
    assert fa.enabled and fa.modified_fields() == ('anchor', 'target')
    assert not FeatureAugmentation(dict(type='GaussianNoise'), loss_weight=0.0).enabled
    with pytest.raises(ValueError, match='loss_weight'):
        FeatureAugmentation(dict(type='GaussianNoise'), loss_weight=-1.0)
    with pytest.raises(ValueError, match='augmenters'):
        FeatureAugmentation([])
    with pytest.raises(TypeError, match='augmenters'):
        FeatureAugmentation(torch.nn.Linear(2, 2))


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


def test_negative_interpolation_without_negatives_explains():
    a, t, _ = triplet()
    with pytest.raises(ValueError, match='negatives.*queue'):
        NegativeInterpolation()(FeatureTriplet(a, t, None))
    with pytest.raises(ValueError, match='negatives'):
        FeatureAugmentation(dict(type='NegativeInterpolation'))(a, t)


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
