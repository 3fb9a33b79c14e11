"""FeatureDropout: inverted dropout, in train and eval mode."""

import torch

from mmssl_ext.models.feature_augs import FeatureDropout, FeatureTriplet
from tests.models.feature_augs.feataug_helpers import gen


def test_feature_dropout_is_inverted_dropout_in_any_mode():
    x = torch.ones(200, 50)
    aug = FeatureDropout(p=0.2).eval()
    out = aug(FeatureTriplet(x, x), gen()).anchor
    assert set(out.unique().tolist()) == {0.0, 1.25}
    assert abs((out == 0).float().mean().item() - 0.2) < 0.02
