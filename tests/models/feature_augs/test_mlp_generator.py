"""ResidualMLPGenerator: starts as the identity and learns."""

import torch

from mmssl_ext.models.feature_augs import FeatureTriplet, ResidualMLPGenerator
from tests.models.feature_augs.feataug_helpers import D, N, gen, triplet


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
