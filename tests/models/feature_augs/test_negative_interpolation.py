"""NegativeInterpolation: the queue buffer is untouched, rows are convex combinations of two rows, no negatives."""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.feature_augs import FeatureAugmentation, FeatureTriplet, NegativeInterpolation
from tests.models.feature_augs.feataug_helpers import D, K, gen, triplet


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


def test_negative_interpolation_without_negatives_explains():
    a, t, _ = triplet()
    with pytest.raises(ValueError, match='negatives.*queue'):
        NegativeInterpolation()(FeatureTriplet(a, t, None))
    with pytest.raises(ValueError, match='negatives'):
        FeatureAugmentation(dict(type='NegativeInterpolation'))(a, t)
