"""IntraBatchMix: a fixed lam mixes each row with a permutation of the batch."""

import torch

from mmssl_ext.models.feature_augs import FeatureTriplet, IntraBatchMix
from tests.models.feature_augs.feataug_helpers import N, gen, triplet


def test_intra_batch_mix_fixed_lam_mixes_with_a_permutation():
    a, t, q = triplet()
    out = IntraBatchMix(lam=0.25)(FeatureTriplet(a, t, q), gen()).anchor
    partners = (out[:, None, :] - 0.25 * a[:, None, :] - 0.75 * a[None, :, :]).norm(dim=-1).argmin(1)
    assert torch.allclose(out, 0.25 * a + 0.75 * a[partners], atol=1e-6)
    assert sorted(partners.tolist()) == list(range(N))
