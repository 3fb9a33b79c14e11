"""GaussianNoise: the noise has the requested standard deviation."""

import torch

from mmssl_ext.models.feature_augs import FeatureTriplet, GaussianNoise
from tests.models.feature_augs.feataug_helpers import gen


def test_gaussian_noise_has_the_requested_std():
    x = torch.zeros(500, 64)
    out = GaussianNoise(std=0.3)(FeatureTriplet(x, x), gen()).anchor
    assert abs(out.std().item() - 0.3) < 0.01 and abs(out.mean().item()) < 0.01
