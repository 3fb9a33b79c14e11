"""Feature triplets, generators and the random settings of every augmenter for their tests (helper, not collected)."""

import torch
import torch.nn.functional as F

from mmssl_ext.models.feature_augs import FeatureTriplet
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


def _leaves():
    a, t, q = triplet()
    return a.clone().requires_grad_(), t.clone().requires_grad_(), q
