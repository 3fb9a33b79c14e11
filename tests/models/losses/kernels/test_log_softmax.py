"""contrastive_log_softmax against the dense formula with an explicit weighted mask (values and gradcheck)."""

import torch
import torch.nn.functional as F

from mmssl_ext.models.losses import PairMasks, contrastive_log_softmax


def test_kernel_against_dense_formula_with_explicit_weighted_mask():
    g = torch.Generator().manual_seed(1)
    a = F.normalize(torch.randn(5, 4, generator=g, dtype=torch.float64), dim=-1).requires_grad_(True)
    c = F.normalize(torch.randn(7, 4, generator=g, dtype=torch.float64), dim=-1).requires_grad_(True)
    weights = torch.rand(5, 7, generator=g, dtype=torch.float64) * (torch.rand(5, 7, generator=g) > 0.4)
    masks = PairMasks(explicit=weights, anchor_rows=torch.arange(5), contrast_cols=torch.arange(7))
    rows = contrastive_log_softmax(a, c, masks, 0.5)
    s = a @ c.T / 0.5
    n = weights.sum(1)
    ref = torch.where(n > 0, s.logsumexp(1) - (weights * s).sum(1) / n.clamp(min=1e-12), torch.zeros_like(n))
    torch.testing.assert_close(rows, ref)
    assert torch.autograd.gradcheck(lambda a, c: contrastive_log_softmax(a, c, masks, 0.5), (a, c))
