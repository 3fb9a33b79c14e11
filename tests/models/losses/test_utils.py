"""mmssl_ext.models.losses.utils: masked_logsumexp does not underflow."""

import torch

from mmssl_ext.models.losses import masked_logsumexp


def test_masked_logsumexp_does_not_underflow():
    x = torch.tensor([[-1000.0, -1001.0, 5.0]])
    mask = torch.tensor([[True, True, False]])
    expected = torch.tensor([-1000.0 + torch.log1p(torch.exp(torch.tensor(-1.0))).item()])
    torch.testing.assert_close(masked_logsumexp(x, mask), expected)
    naive = torch.log((torch.exp(x) * mask).sum(-1))
    assert torch.isinf(naive).all()
