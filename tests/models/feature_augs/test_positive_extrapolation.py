"""PositiveExtrapolation: lam = 2 gives 2a - t, the default lam in [1, 2], per-element lams, gradient flow."""

import torch

from mmssl_ext.models.feature_augs import FeatureAugmentation, FeatureTriplet, PositiveExtrapolation
from tests.models.feature_augs.feataug_helpers import _leaves, gen, triplet


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


def test_positive_extrapolation_gradient_reaches_anchor_through_both_outputs():
    a, t, q = _leaves()
    out = FeatureAugmentation(dict(type='PositiveExtrapolation', lam=2.0), detach_input=False)(a, t.detach(), q)
    out.target.sum().backward()  # t' = 2t - a: gradient -1 into the anchor through the target
    assert torch.equal(a.grad, -torch.ones_like(a))
