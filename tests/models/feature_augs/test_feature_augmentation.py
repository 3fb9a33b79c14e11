"""FeatureAugmentation: detach_input / detach_output, the chain order, loss weight and argument checks."""

import pytest
import torch

from mmssl_ext.models.feature_augs import FeatureAugmentation, PositiveExtrapolation
from tests.models.feature_augs.feataug_helpers import _leaves, gen, triplet


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
